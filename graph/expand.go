package graph

// Expander runs k-hop expansions and shortest paths on one graph, reusing
// its scratch arrays so a query costs only what it visits. It is not safe
// for concurrent use; make one per goroutine.
type Expander struct {
	g     *Graph
	hub   []bool
	stamp []uint32 // visited in the query whose epoch is stamp[u]
	epoch uint32
	hop   []uint8
	prev  []uint32
	queue []uint32
}

// NewExpander returns an expander over g that never expands through the
// nodes hub flags (nil: no hubs).
func NewExpander(g *Graph, hub []bool) *Expander {
	n := g.Len()
	return &Expander{g: g, hub: hub, stamp: make([]uint32, n), hop: make([]uint8, n), prev: make([]uint32, n)}
}

func (x *Expander) next() {
	x.epoch++
	if x.epoch == 0 { // wrapped: clear the stamps once every 2^32 queries
		clear(x.stamp)
		x.epoch = 1
	}
	x.queue = x.queue[:0]
}

func (x *Expander) isHub(u uint32) bool { return x.hub != nil && x.hub[u] }

// Reached is one node found by an expansion.
type Reached struct {
	ID  uint32
	Hop int
	Hub bool // a hub: listed, but its contacts were not followed
}

// Expand returns every node within k hops of the seeds, seeds first at hop
// 0, in breadth-first order. Hubs are reached but not expanded, so a
// voicemail number does not pull in everyone who ever called it. The
// returned slice is appended to dst.
func (x *Expander) Expand(dst []Reached, seeds []uint32, k int) []Reached {
	x.next()
	for _, s := range seeds {
		if x.stamp[s] != x.epoch {
			x.stamp[s], x.hop[s] = x.epoch, 0
			x.queue = append(x.queue, s)
		}
	}
	g := x.g
	for i := 0; i < len(x.queue); i++ {
		u := x.queue[i]
		h := int(x.hop[u])
		hub := x.isHub(u)
		dst = append(dst, Reached{ID: u, Hop: h, Hub: hub})
		if h >= k || (hub && h > 0) {
			continue
		}
		for _, v := range g.Nbr[g.Off[u]:g.Off[u+1]] {
			if x.stamp[v] != x.epoch {
				x.stamp[v], x.hop[v] = x.epoch, uint8(min(h+1, 255))
				x.queue = append(x.queue, v)
			}
		}
	}
	return dst
}

// Path returns a shortest path (fewest hops) from a to b, both included,
// or nil when there is none. Paths do not pass through hubs, though a hub
// may be an end.
func (x *Expander) Path(a, b uint32) []uint32 {
	x.next()
	g := x.g
	x.stamp[a], x.prev[a] = x.epoch, a
	x.queue = append(x.queue, a)
	for i := 0; i < len(x.queue); i++ {
		u := x.queue[i]
		if u == b {
			var p []uint32
			for v := b; ; v = x.prev[v] {
				p = append(p, v)
				if v == a {
					break
				}
			}
			for l, r := 0, len(p)-1; l < r; l, r = l+1, r-1 {
				p[l], p[r] = p[r], p[l]
			}
			return p
		}
		if u != a && x.isHub(u) {
			continue
		}
		for _, v := range g.Nbr[g.Off[u]:g.Off[u+1]] {
			if x.stamp[v] != x.epoch {
				x.stamp[v], x.prev[v] = x.epoch, u
				x.queue = append(x.queue, v)
			}
		}
	}
	return nil
}

// Components labels each node with its connected component, numbered from
// zero in order of each component's lowest node id, and returns the count.
func (g *Graph) Components() (label []int32, n int) {
	label = make([]int32, g.Len())
	for i := range label {
		label[i] = -1
	}
	var queue []uint32
	for s := range label {
		if label[s] >= 0 {
			continue
		}
		c := int32(n)
		n++
		label[s] = c
		queue = append(queue[:0], uint32(s))
		for i := 0; i < len(queue); i++ {
			u := queue[i]
			for _, v := range g.Nbr[g.Off[u]:g.Off[u+1]] {
				if label[v] < 0 {
					label[v] = c
					queue = append(queue, v)
				}
			}
		}
	}
	return label, n
}
