package graph

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// SwitchOptions tune burner-switch detection.
type SwitchOptions struct {
	MaxGap     int64   // seconds from the old number's last contact to the new one's first; 0 means 3 days
	MinSilence int64   // the old number is silent at least this long before the data ends, and the new one absent this long after it starts; 0 means 2 days
	MinShared  int     // matching contacts needed; 0 means 2
	MinScore   float64 // matching contacts over the smaller contact set; 0 means 0.5

	// Fixes, when set, gives the location fixes of the handset each
	// number was used in (see Fix), as an analyst holding a location
	// authority too would read them. A replacement is then also judged by
	// where its handset was: an old and a new number whose handsets kept
	// to the same places (home, work) are one person's, and numbers whose
	// handsets never met are not. Nil: contacts alone.
	Fixes func(u uint32) []Fix
}

// Place evidence (used when SwitchOptions.Fixes is set).
const (
	placeSame  = 0.7 // place similarity that lets one shared contact do
	placeOther = 0.4 // below it, the handsets were not one person's
)

// Switch is a number that went silent and the new number that took over
// its contacts.
type Switch struct {
	Old, New uint32
	Score    float64 // matching contacts over the smaller contact set
	Shared   int
	Places   float64 // how alike the places of the two handsets are, 0 to 1; -1: not known
}

// Switches finds replacement numbers ("burner switches"): a number Y that
// first appears within MaxGap after a number X goes silent for good, whose
// contacts match X's. A contact of X matches a contact of Y when it is the
// same number, when it is itself an old number already matched to Y's
// contact (so a group that switches together is followed once one of them
// is found), or when both went through a switch in the same window (counted
// at most min(|X's|, |Y's|) times). Pairs are taken greedily, best score
// first, one new number per old one, and rounds repeat until none is
// added, so each match can support the next; the pairs found are then
// re-paired jointly (refineSwitches). With o.Fixes, where the handsets were
// counts too: see placeEvidence.accept and docs/graph.md.
func (g *Graph) Switches(o SwitchOptions) []Switch {
	if o.MaxGap == 0 {
		o.MaxGap = 3 * 86400
	}
	if o.MinSilence == 0 {
		o.MinSilence = 2 * 86400
	}
	if o.MinShared == 0 {
		o.MinShared = 2
	}
	if o.MinScore == 0 {
		o.MinScore = 0.5
	}
	n := g.Len()
	if n == 0 {
		return nil
	}
	start, end := g.Nodes[0].First, g.Nodes[0].Last
	for _, nd := range g.Nodes {
		start, end = min(start, nd.First), max(end, nd.Last)
	}
	minDeg := o.MinShared
	if o.Fixes != nil {
		minDeg = 1 // one shared contact may do when the handsets agree
	}
	ev := newPlaceEvidence(g, o.Fixes, o.MaxGap, minDeg)
	isOld := make([]bool, n)
	var olds, news []uint32
	for u := range g.Nodes {
		if g.Degree(uint32(u)) < minDeg {
			continue
		}
		first, last := ev.first(uint32(u)), ev.last(uint32(u))
		if last <= end-o.MinSilence {
			isOld[u] = true
			olds = append(olds, uint32(u))
		}
		if first >= start+o.MinSilence {
			news = append(news, uint32(u))
		}
	}
	// New numbers sorted by first sight, to find each old number's
	// candidates by binary search.
	slices.SortFunc(news, func(a, b uint32) int { return cmp.Compare(ev.first(a), ev.first(b)) })
	out := g.greedySwitches(o, ev, olds, news, isOld)
	out = g.refineSwitches(out, o, ev)
	slices.SortFunc(out, func(a, b Switch) int { return cmp.Compare(g.Nodes[a.Old].Last, g.Nodes[b.Old].Last) })
	return out
}

// greedySwitches takes candidate pairs one at a time, best first, one new
// number per old one. A match changes the scores of the old numbers in
// contact with the matched old number (its contacts now map to the new
// number), so only those are scored again; the rest keep their place in a
// heap, and entries of an old number scored again are dropped as stale.
func (g *Graph) greedySwitches(o SwitchOptions, ev *placeEvidence, olds, news []uint32, isOld []bool) []Switch {
	matched := make(map[uint32]uint32) // old -> new
	taken := make(map[uint32]bool)     // new numbers already matched
	version := make(map[uint32]int)    // old -> times scored
	h := &switchHeap{g: g}
	score := func(x uint32) {
		version[x]++
		last := ev.last(x)
		i, _ := slices.BinarySearchFunc(news, last, func(y uint32, t int64) int { return cmp.Compare(ev.first(y), t) })
		for ; i < len(news) && ev.first(news[i])-last <= o.MaxGap; i++ {
			y := news[i]
			if taken[y] || y == x {
				continue
			}
			s := g.switchScore(x, y, matched, isOld, o.MaxGap)
			if s.Shared == 0 {
				continue // every rule asks for a matching contact
			}
			s.Places = ev.similarity(x, y)
			if ev.accept(s, o) {
				heap.Push(h, switchCand{s, version[x]})
			}
		}
	}
	for _, x := range olds {
		score(x)
	}
	var out []Switch
	for h.Len() > 0 {
		c := heap.Pop(h).(switchCand)
		x, y := c.Old, c.New
		if _, ok := matched[x]; ok || taken[y] || c.version != version[x] {
			continue
		}
		matched[x], taken[y] = y, true
		out = append(out, c.Switch)
		for _, a := range g.Neighbors(x) {
			if _, ok := matched[a]; isOld[a] && !ok {
				score(a)
			}
		}
	}
	return out
}

// switchCand is a scored candidate and the version of its old number's
// scores it belongs to.
type switchCand struct {
	Switch
	version int
}

// switchHeap orders candidates best first: score weighed by places, then
// score, shared contacts, closer degrees, and ids, so the order is total.
type switchHeap struct {
	g *Graph
	c []switchCand
}

func (h *switchHeap) Len() int { return len(h.c) }
func (h *switchHeap) Less(i, j int) bool {
	a, b := h.c[i].Switch, h.c[j].Switch
	return cmp.Or(cmp.Compare(b.Score*placeFactor(b.Places), a.Score*placeFactor(a.Places)),
		cmp.Compare(b.Score, a.Score), cmp.Compare(b.Shared, a.Shared),
		cmp.Compare(h.g.degGap(a), h.g.degGap(b)), cmp.Compare(a.Old, b.Old), cmp.Compare(a.New, b.New)) < 0
}
func (h *switchHeap) Swap(i, j int) { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *switchHeap) Push(x any)    { h.c = append(h.c, x.(switchCand)) }
func (h *switchHeap) Pop() any {
	x := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return x
}

// refineSwitches re-pairs the numbers the greedy pass found jointly: the
// old and new numbers that could have replaced one another (the new one
// first seen after the old one's last contact, within MaxGap) form
// groups, and in each group old numbers are assigned to new ones to
// maximise the total contact similarity (Hungarian algorithm), where an
// old number's contacts that themselves switched are mapped through the
// current assignment. Rounds repeat until the assignment is stable. This
// undoes greedy choices that a later match contradicts; it cannot tell
// apart numbers whose contacts are alike (see docs/graph.md).
func (g *Graph) refineSwitches(sw []Switch, o SwitchOptions, ev *placeEvidence) []Switch {
	if len(sw) < 2 {
		return sw
	}
	A := make(map[uint32]uint32, len(sw))
	var olds, news []uint32
	for _, s := range sw {
		A[s.Old] = s.New
		olds, news = append(olds, s.Old), append(news, s.New)
	}
	feasible := func(x, y uint32) bool {
		d := ev.first(y) - ev.last(x)
		return x != y && d >= 0 && d <= o.MaxGap
	}
	// Groups: connected components of the feasible old -> new pairs.
	parent := make(map[uint32]uint32)
	var find func(u uint32) uint32
	find = func(u uint32) uint32 {
		for parent[u] != u {
			parent[u] = parent[parent[u]]
			u = parent[u]
		}
		return u
	}
	for _, u := range append(slices.Clone(olds), news...) {
		parent[u] = u
	}
	for _, x := range olds {
		for _, y := range news {
			if feasible(x, y) {
				parent[find(x)] = find(y)
			}
		}
	}
	groups := make(map[uint32][2][]uint32)
	for _, x := range olds {
		gr := groups[find(x)]
		gr[0] = append(gr[0], x)
		groups[find(x)] = gr
	}
	for _, y := range news {
		gr := groups[find(y)]
		gr[1] = append(gr[1], y)
		groups[find(y)] = gr
	}
	const maxGroup = 300 // Hungarian is cubic; larger groups keep the greedy pairs
	switched := make(map[uint32]bool, 2*len(sw))
	for _, u := range olds {
		switched[u] = true
	}
	for _, u := range news {
		switched[u] = true
	}
	prof := make(map[uint32][5]float64, len(switched))
	for u := range switched {
		prof[u] = g.switchProfile(u, switched)
	}
	for round := range 20 {
		changed := false
		next := make(map[uint32]uint32, len(A))
		for _, gr := range groups {
			xs, ys := gr[0], gr[1]
			if len(xs) > maxGroup || len(ys) > maxGroup || len(xs) == 0 || len(ys) == 0 {
				for _, x := range xs {
					if y, ok := A[x]; ok {
						next[x] = y
					}
				}
				continue
			}
			rows, cols := xs, ys
			flip := len(xs) > len(ys)
			if flip {
				rows, cols = ys, xs
			}
			cost := make([][]float64, len(rows))
			for i, r := range rows {
				cost[i] = make([]float64, len(cols))
				for j, c := range cols {
					x, y := r, c
					if flip {
						x, y = c, r
					}
					if !feasible(x, y) {
						cost[i][j] = 1e6
						continue
					}
					sim := profileSimilarity(prof[x], prof[y]) * placeFactor(ev.similarity(x, y))
					if round > 0 {
						sim *= 1 + g.switchSimilarity(x, y, A)
					}
					cost[i][j] = -sim
				}
			}
			for i, j := range assign(cost) {
				if cost[i][j] >= 1e6 {
					continue
				}
				x, y := rows[i], cols[j]
				if flip {
					x, y = y, x
				}
				next[x] = y
			}
		}
		for x, y := range next {
			if A[x] != y {
				changed = true
			}
		}
		if len(next) != len(A) {
			changed = true
		}
		A = next
		// Round 0 weighs profiles only; the contact similarity comes in
		// from round 1, so stability counts only from then.
		if !changed && round > 0 {
			break
		}
	}
	isOld := make([]bool, g.Len())
	for _, x := range olds {
		isOld[x] = true
	}
	out := make([]Switch, 0, len(A))
	for x, y := range A {
		s := g.switchScore(x, y, A, isOld, o.MaxGap)
		s.Places = ev.similarity(x, y)
		if ev.fixes != nil && !ev.accept(s, o) {
			continue // a pairing forced by the assignment, with no evidence of its own
		}
		out = append(out, s)
	}
	return out
}

// switchProfile describes how u is used, independent of which numbers it
// talks to: contacts a day, contacts made and received a day with numbers
// that never switched, distinct contacts that switched, and the share of
// contacts u made. People in one role of a group that switches together
// share a profile.
func (g *Graph) switchProfile(u uint32, switched map[uint32]bool) [5]float64 {
	days := max(1, float64(g.Nodes[u].Last-g.Nodes[u].First)/86400)
	var p [5]float64
	for i := g.Off[u]; i < g.Off[u+1]; i++ {
		b := g.Nbr[i]
		pr := &g.Pairs[g.PairOf[i]]
		if switched[b] {
			p[3]++
			continue
		}
		out, in := pr.AB, pr.BA
		if pr.A != u {
			out, in = in, out
		}
		p[1] += float64(out) / days
		p[2] += float64(in) / days
	}
	nd := g.Nodes[u]
	p[0] = float64(nd.Out+nd.In) / days
	p[4] = float64(nd.Out) / float64(max(1, nd.Out+nd.In))
	return p
}

// profileSimilarity is in (0, 1]: 1 for equal profiles, falling with the
// log-ratio of each rate.
func profileSimilarity(a, b [5]float64) float64 {
	d := 0.0
	for i := range 4 {
		d += math.Abs(math.Log((a[i] + 0.5) / (b[i] + 0.5)))
	}
	d += 4 * math.Abs(a[4]-b[4])
	return math.Exp(-d)
}

// switchSimilarity is the cosine similarity of x's and y's contact counts,
// where each contact of x that switched is replaced by its successor under
// the assignment A (followed along a chain while the successor was in use
// by the middle of y's lifetime).
func (g *Graph) switchSimilarity(x, y uint32, A map[uint32]uint32) float64 {
	wy := make(map[uint32]float64)
	ny := 0.0
	for i := g.Off[y]; i < g.Off[y+1]; i++ {
		b := g.Nbr[i]
		if b == x {
			continue
		}
		w := float64(g.Pairs[g.PairOf[i]].Count())
		wy[b] += w
		ny += w * w
	}
	mid := g.Nodes[y].First/2 + g.Nodes[y].Last/2
	dot, nx := 0.0, 0.0
	for i := g.Off[x]; i < g.Off[x+1]; i++ {
		a := g.Nbr[i]
		if a == y {
			continue
		}
		w := float64(g.Pairs[g.PairOf[i]].Count())
		nx += w * w
		for range 8 { // chains are short; bound the walk
			b, ok := A[a]
			if !ok || g.Nodes[b].First > mid {
				break
			}
			a = b
		}
		dot += w * wy[a]
	}
	if nx == 0 || ny == 0 {
		return 0
	}
	return dot / math.Sqrt(nx*ny)
}

// placeEvidence holds the places of the numbers' handsets, read once each,
// and when each number was in use.
type placeEvidence struct {
	g               *Graph
	fixes           func(uint32) []Fix
	slack           int64
	seen            []*places // by node, read when first needed
	sim             map[[2]uint32]float64
	firstAt, lastAt []int64 // by node: first and last sight
}

// newPlaceEvidence reads the fixes of the numbers with at least minDeg
// contacts. A number is in use from its first contact, or its handset's
// first fix if earlier, to its last contact, or last fix if later: a
// burner may sit unused for days, but its handset reports where it is.
func newPlaceEvidence(g *Graph, fixes func(uint32) []Fix, slack int64, minDeg int) *placeEvidence {
	e := &placeEvidence{g: g, fixes: fixes, slack: slack, seen: make([]*places, g.Len()), sim: make(map[[2]uint32]float64),
		firstAt: make([]int64, g.Len()), lastAt: make([]int64, g.Len())}
	for u, nd := range g.Nodes {
		e.firstAt[u], e.lastAt[u] = nd.First, nd.Last
		if fixes == nil || g.Degree(uint32(u)) < minDeg {
			continue
		}
		if p := e.places(uint32(u)); p.n > 0 {
			e.firstAt[u], e.lastAt[u] = min(nd.First, p.first), max(nd.Last, p.last)
		}
	}
	return e
}

func (e *placeEvidence) places(u uint32) places {
	if e.seen[u] == nil {
		p := e.g.placesOf(u, e.fixes, e.slack)
		e.seen[u] = &p
	}
	return *e.seen[u]
}

func (e *placeEvidence) first(u uint32) int64 { return e.firstAt[u] }
func (e *placeEvidence) last(u uint32) int64  { return e.lastAt[u] }

// similarity is placeSimilarity of x's and y's handsets; -1 when not known.
func (e *placeEvidence) similarity(x, y uint32) float64 {
	if e.fixes == nil {
		return -1
	}
	k := [2]uint32{x, y}
	if v, ok := e.sim[k]; ok {
		return v
	}
	v := placeSimilarity(e.places(x), e.places(y))
	e.sim[k] = v
	return v
}

// accept says whether a candidate is a switch. From contacts alone: enough
// matching contacts. With handsets' places: never when both handsets were
// seen and kept to different places; one matching contact when they kept
// to the same places; and one matching contact more than from contacts
// alone when either number's handset is not known (landlines, foreign
// numbers: a relative abroad called from a mobile and a landline looks
// like a number replaced by another).
func (e *placeEvidence) accept(s Switch, o SwitchOptions) bool {
	switch {
	case e.fixes == nil:
		return s.Shared >= o.MinShared && s.Score >= o.MinScore
	case s.Places < 0:
		return s.Shared >= o.MinShared+1 && s.Score >= o.MinScore
	case s.Places < placeOther:
		return false
	case s.Places >= placeSame:
		return s.Shared >= 1
	}
	return s.Shared >= o.MinShared && s.Score >= o.MinScore
}

// placeFactor weighs a pairing by place evidence: strongly when it is
// known, neutrally when it is not.
func placeFactor(sim float64) float64 {
	if sim < 0 {
		return 0.5
	}
	return 0.05 + sim
}

func (g *Graph) degGap(s Switch) int {
	d := g.Degree(s.Old) - g.Degree(s.New)
	return max(d, -d)
}

func (g *Graph) switchScore(x, y uint32, matched map[uint32]uint32, isOld []bool, maxGap int64) Switch {
	lx := g.Nodes[x].Last
	ny := g.Neighbors(y)
	shared, oldSw := 0, 0
	for _, a := range g.Neighbors(x) {
		if a == y {
			continue
		}
		b, ok := matched[a]
		if !ok {
			b = a
		}
		if _, found := slices.BinarySearch(ny, b); found {
			shared++
		} else if !ok && isOld[a] && abs(g.Nodes[a].Last-lx) <= maxGap {
			oldSw++ // a went silent too: maybe it switched with x
		}
	}
	newSw := 0
	for _, b := range ny {
		if b != x && abs(g.Nodes[b].First-lx) <= maxGap {
			newSw++
		}
	}
	co := 0
	if oldSw > 0 && newSw > 0 {
		co = min(oldSw, newSw)
	}
	sh := min(shared+co, g.Degree(x), g.Degree(y))
	return Switch{Old: x, New: y, Shared: sh, Score: float64(sh) / float64(min(g.Degree(x), g.Degree(y)))}
}

func abs(x int64) int64 { return max(x, -x) }

// Merge returns the graph with each chain of switches (old -> new -> newer)
// collapsed into one node named after its first number, with the events
// rewritten, and each old node's new id. A person who changes burners
// every week then looks like one party again.
func (g *Graph) Merge(events []Event, sw []Switch) (*Graph, []Event, []uint32) {
	head := make([]uint32, g.Len())
	for u := range head {
		head[u] = uint32(u)
	}
	var find func(u uint32) uint32
	find = func(u uint32) uint32 {
		for head[u] != u {
			head[u] = head[head[u]]
			u = head[u]
		}
		return u
	}
	for _, s := range sw {
		a, b := find(s.Old), find(s.New)
		if a != b {
			if g.Nodes[b].First < g.Nodes[a].First {
				a, b = b, a
			}
			head[b] = a
		}
	}
	bd := NewBuilder(len(events))
	newID := make([]uint32, g.Len())
	for u := range newID {
		if find(uint32(u)) == uint32(u) {
			newID[u] = bd.ID(g.names[u])
		}
	}
	for u := range newID {
		newID[u] = newID[find(uint32(u))]
	}
	for _, e := range events {
		bd.AddEvent(Event{Caller: newID[e.Caller], Callee: newID[e.Callee], At: e.At, Dur: e.Dur})
	}
	return bd.Build(), bd.events, newID
}
