package graph

import (
	"cmp"
	"slices"
	"time"
)

// Summary is what two parties' contacts add up to, seen from A.
type Summary struct {
	A, B        string
	Count       int   // contacts either way
	FromA, ToA  int   // contacts A made to B, and received from B
	Duration    int64 // total seconds
	First, Last time.Time
}

// Direction says who usually starts contact: "a", "b" or "both" (neither
// starts more than two thirds), or "" with no contact.
func (s Summary) Direction() string {
	switch {
	case s.Count == 0:
		return ""
	case 3*s.FromA > 2*s.Count:
		return "a"
	case 3*s.ToA > 2*s.Count:
		return "b"
	}
	return "both"
}

// Summarize returns the summary of a and b's contacts; Count is zero when
// they never were in contact.
func (g *Graph) Summarize(a, b string) Summary {
	s := Summary{A: a, B: b}
	u, ok1 := g.ID(a)
	v, ok2 := g.ID(b)
	if !ok1 || !ok2 {
		return s
	}
	p := g.PairBetween(u, v)
	if p == nil {
		return s
	}
	s.Count, s.Duration = p.Count(), p.Dur
	s.FromA, s.ToA = int(p.AB), int(p.BA)
	if p.A != u {
		s.FromA, s.ToA = s.ToA, s.FromA
	}
	s.First, s.Last = time.Unix(p.First, 0).UTC(), time.Unix(p.Last, 0).UTC()
	return s
}

// Matrix is the contact-frequency matrix among targets: m[i][j] is the
// number of contacts from targets[i] to targets[j].
func (g *Graph) Matrix(targets []string) [][]int {
	m := make([][]int, len(targets))
	for i, a := range targets {
		m[i] = make([]int, len(targets))
		for j, b := range targets {
			if i != j {
				m[i][j] = g.Summarize(a, b).FromA
			}
		}
	}
	return m
}

// Common is a party in contact with several targets.
type Common struct {
	ID      uint32
	Targets int // how many of the targets it was in contact with
	Count   int // contacts with them, in total
}

// CommonContacts returns the parties (other than the targets) in contact
// with at least minTargets of the targets, most shared first.
func (g *Graph) CommonContacts(targets []uint32, minTargets int) []Common {
	seen := make(map[uint32]*Common)
	isTarget := make(map[uint32]bool, len(targets))
	for _, t := range targets {
		isTarget[t] = true
	}
	for _, t := range slices.Compact(slices.Sorted(slices.Values(targets))) {
		for i := g.Off[t]; i < g.Off[t+1]; i++ {
			v := g.Nbr[i]
			if isTarget[v] {
				continue
			}
			c := seen[v]
			if c == nil {
				c = &Common{ID: v}
				seen[v] = c
			}
			c.Targets++
			c.Count += g.Pairs[g.PairOf[i]].Count()
		}
	}
	var out []Common
	for _, c := range seen {
		if c.Targets >= minTargets {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b Common) int {
		return cmp.Or(cmp.Compare(b.Targets, a.Targets), cmp.Compare(b.Count, a.Count), cmp.Compare(a.ID, b.ID))
	})
	return out
}
