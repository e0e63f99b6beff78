package resolve

import (
	"cmp"
	"slices"

	"github.com/writhq/writ"
)

// clusters is a union–find over records with member lists, so a merge can
// check the coherence of the two sides before it happens.
type clusters struct {
	parent  []int32
	members map[int32][]int32 // root → records
	cannot  map[int32][]int32 // record → records it must not share an entity with
	merges  []Merge
}

// Merge records why two entities were joined: the pair that triggered it
// and the mean match probability across the two sides.
type Merge struct {
	A, B        string
	Probability float64
	Coherence   float64
	Confirmed   bool
}

func newClusters(n int) *clusters {
	c := &clusters{members: map[int32][]int32{}, cannot: map[int32][]int32{}}
	c.grow(n)
	return c
}

func (c *clusters) grow(n int) {
	for i := int32(len(c.parent)); i < int32(n); i++ {
		c.parent = append(c.parent, i)
		c.members[i] = []int32{i}
	}
}

func (c *clusters) find(x int32) int32 {
	for c.parent[x] != x {
		c.parent[x] = c.parent[c.parent[x]]
		x = c.parent[x]
	}
	return x
}

// forbidden reports whether a cannot-link constraint spans roots a and b.
func (c *clusters) forbidden(a, b int32) bool {
	if len(c.cannot) == 0 {
		return false
	}
	for _, x := range c.members[a] {
		for _, y := range c.cannot[x] {
			if c.find(y) == b {
				return true
			}
		}
	}
	return false
}

func (c *clusters) union(a, b int32) {
	if len(c.members[a]) < len(c.members[b]) {
		a, b = b, a
	}
	c.parent[b] = a
	c.members[a] = append(c.members[a], c.members[b]...)
	delete(c.members, b)
}

// edge is a scored candidate pair in record indices.
type edge struct {
	x, y int32
	lo   float64 // log2 odds, context included
	ctx  float64 // the context's share of lo (context.go)
}

func (e edge) p() float64 { return probability(e.lo) }

// raw is the edge's log2 odds from the pair's own fields.
func (e edge) raw() float64 { return e.lo - e.ctx }

// maxCross bounds the pairs compared when checking coherence, so a giant
// candidate merge costs no more than a modest one.
const maxCross = 4096

// link joins entities along edges at or above the threshold, best first,
// but only when the two sides are coherent: the mean match probability over
// all pairs across them (scored on demand) must reach the threshold too.
// One strong link between two otherwise dissimilar groups does not chain
// them together.
func (c *clusters) link(edges []edge, threshold float64, prob func(x, y int32) (float64, bool), id func(int32) string) {
	slices.SortFunc(edges, func(a, b edge) int {
		if v := cmp.Compare(b.lo, a.lo); v != 0 {
			return v
		}
		if v := cmp.Compare(a.x, b.x); v != 0 {
			return v
		}
		return cmp.Compare(a.y, b.y)
	})
	for _, e := range edges {
		if e.p() < threshold {
			break
		}
		a, b := c.find(e.x), c.find(e.y)
		if a == b || c.forbidden(a, b) {
			continue
		}
		coh := c.coherence(a, b, prob)
		if coh < threshold {
			continue
		}
		c.union(a, b)
		c.merges = append(c.merges, Merge{A: id(e.x), B: id(e.y), Probability: e.p(), Coherence: coh})
	}
}

// coherence is the mean probability across the members of roots a and b,
// over an evenly spread subset when the sides are large. Pairs the run may
// not form (same dataset, when linking) have no probability and are left out.
func (c *clusters) coherence(a, b int32, prob func(x, y int32) (float64, bool)) float64 {
	ma, mb := c.members[a], c.members[b]
	total := len(ma) * len(mb)
	step := max(1, total/maxCross)
	var sum float64
	n := 0
	for k := 0; k < total; k += step {
		if p, ok := prob(ma[k/len(mb)], mb[k%len(mb)]); ok {
			sum += p
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// constrain applies investigators' decisions: cannot-links first, then
// confirmed pairs joined regardless of score; a confirmation that would
// join a rejected pair is a conflict.
func (c *clusters) constrain(musts, cannots [][2]int32, id func(int32) string) error {
	clear(c.cannot) // decisions come whole each time
	for _, p := range cannots {
		c.cannot[p[0]] = append(c.cannot[p[0]], p[1])
		c.cannot[p[1]] = append(c.cannot[p[1]], p[0])
	}
	for _, p := range musts {
		a, b := c.find(p[0]), c.find(p[1])
		if a == b {
			continue
		}
		if c.forbidden(a, b) {
			return writ.Errorf(writ.EConflict, "resolve: confirming %s and %s would join records an investigator kept apart", id(p[0]), id(p[1]))
		}
		c.union(a, b)
		c.merges = append(c.merges, Merge{A: id(p[0]), B: id(p[1]), Probability: 1, Coherence: 1, Confirmed: true})
	}
	return nil
}
