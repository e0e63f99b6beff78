package graph

import (
	"cmp"
	"slices"
)

// SwitchOptions tune burner-switch detection.
type SwitchOptions struct {
	MaxGap     int64   // seconds from the old number's last contact to the new one's first; 0 means 3 days
	MinSilence int64   // the old number is silent at least this long before the data ends, and the new one absent this long after it starts; 0 means 2 days
	MinShared  int     // matching contacts needed; 0 means 2
	MinScore   float64 // matching contacts over the smaller contact set; 0 means 0.5
}

// Switch is a number that went silent and the new number that took over
// its contacts.
type Switch struct {
	Old, New uint32
	Score    float64 // matching contacts over the smaller contact set
	Shared   int
}

// Switches finds replacement numbers ("burner switches"): a number Y that
// first appears within MaxGap after a number X goes silent for good, whose
// contacts match X's. A contact of X matches a contact of Y when it is the
// same number, when it is itself an old number already matched to Y's
// contact (so a group that switches together is followed once one of them
// is found), or when both went through a switch in the same window (counted
// at most min(|X's|, |Y's|) times). Pairs are taken greedily, best score
// first, one new number per old one, and rounds repeat until none is
// added, so each match can support the next.
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
	isOld := make([]bool, n)
	var olds, news []uint32
	for u, nd := range g.Nodes {
		if g.Degree(uint32(u)) < o.MinShared {
			continue
		}
		if nd.Last <= end-o.MinSilence {
			isOld[u] = true
			olds = append(olds, uint32(u))
		}
		if nd.First >= start+o.MinSilence {
			news = append(news, uint32(u))
		}
	}
	// New numbers sorted by first contact, to find each old number's
	// candidates by binary search.
	slices.SortFunc(news, func(a, b uint32) int { return cmp.Compare(g.Nodes[a].First, g.Nodes[b].First) })
	matched := make(map[uint32]uint32) // old -> new
	taken := make(map[uint32]bool)     // new numbers already matched
	var out []Switch
	for {
		var cands []Switch
		for _, x := range olds {
			if _, ok := matched[x]; ok {
				continue
			}
			last := g.Nodes[x].Last
			i, _ := slices.BinarySearchFunc(news, last, func(y uint32, t int64) int { return cmp.Compare(g.Nodes[y].First, t) })
			for ; i < len(news) && g.Nodes[news[i]].First-last <= o.MaxGap; i++ {
				y := news[i]
				if taken[y] || y == x {
					continue
				}
				s := g.switchScore(x, y, matched, isOld, o.MaxGap)
				if s.Shared >= o.MinShared && s.Score >= o.MinScore {
					cands = append(cands, s)
				}
			}
		}
		slices.SortFunc(cands, func(a, b Switch) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Shared, a.Shared),
				cmp.Compare(g.degGap(a), g.degGap(b)), cmp.Compare(a.Old, b.Old), cmp.Compare(a.New, b.New))
		})
		added := 0
		for _, c := range cands {
			if _, ok := matched[c.Old]; ok || taken[c.New] {
				continue
			}
			matched[c.Old], taken[c.New] = c.New, true
			out = append(out, c)
			added++
			// Later candidates were scored without this match; score
			// again in the next round rather than trust them.
			break
		}
		if added == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b Switch) int { return cmp.Compare(g.Nodes[a.Old].Last, g.Nodes[b.Old].Last) })
	return out
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
