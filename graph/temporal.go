package graph

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Activity counts u's contacts (made or received) by weekday and UTC hour:
// m[time.Weekday][hour].
func Activity(events []Event, u uint32) (m [7][24]int) {
	for _, e := range events {
		if e.Caller == u || e.Callee == u {
			t := time.Unix(e.At, 0).UTC()
			m[t.Weekday()][t.Hour()]++
		}
	}
	return m
}

// BurstOptions tune Bursts.
type BurstOptions struct {
	Z        float64 // a day is in a burst when (count - baseline) / sqrt(max(baseline, 1)) >= Z; 0 means 4
	MinCount int     // and its count is at least this; 0 means 5
}

// Burst is a run of consecutive UTC days on which a party's contacts stand
// well above its usual daily count.
type Burst struct {
	Party      uint32
	Start, End int64   // first day and the day after the last, Unix seconds at 00:00 UTC
	Count      int     // contacts over the run
	Baseline   float64 // the party's median daily count over the whole span
	Z          float64 // the highest day's score
}

// Bursts finds bursts per party on daily counts over the span of the
// events: the baseline is the party's median daily count (days without
// contacts included, so a burst does not raise its own baseline), and a
// day's score is its excess over the baseline in Poisson standard
// deviations. Consecutive burst days are one burst. Results are ordered by
// party, then start.
func Bursts(events []Event, o BurstOptions) []Burst {
	if o.Z == 0 {
		o.Z = 4
	}
	if o.MinCount == 0 {
		o.MinCount = 5
	}
	if len(events) == 0 {
		return nil
	}
	first, last := events[0].At, events[0].At
	n := 0
	for _, e := range events {
		first, last = min(first, e.At), max(last, e.At)
		n = max(n, int(e.Caller)+1, int(e.Callee)+1)
	}
	day0 := floorDay(first)
	days := int((floorDay(last)-day0)/86400) + 1
	counts := make([][]int32, n) // per party, allocated when seen
	for _, e := range events {
		d := int((floorDay(e.At) - day0) / 86400)
		for _, u := range [2]uint32{e.Caller, e.Callee} {
			if counts[u] == nil {
				counts[u] = make([]int32, days)
			}
			counts[u][d]++
			if e.Caller == e.Callee {
				break
			}
		}
	}
	var out []Burst
	sorted := make([]int32, days)
	for u, c := range counts {
		if c == nil {
			continue
		}
		copy(sorted, c)
		slices.Sort(sorted)
		base := float64(sorted[days/2])
		if days%2 == 0 {
			base = float64(sorted[days/2-1]+sorted[days/2]) / 2
		}
		sd := math.Sqrt(max(base, 1))
		var cur *Burst
		for d, k := range c {
			z := (float64(k) - base) / sd
			if z < o.Z || int(k) < o.MinCount {
				cur = nil
				continue
			}
			at := day0 + int64(d)*86400
			if cur == nil {
				out = append(out, Burst{Party: uint32(u), Start: at, Baseline: base})
				cur = &out[len(out)-1]
			}
			cur.End, cur.Count, cur.Z = at+86400, cur.Count+int(k), max(cur.Z, z)
		}
	}
	return out
}

func floorDay(t int64) int64 {
	d := t - t%86400
	if t%86400 < 0 {
		d -= 86400
	}
	return d
}

// Change compares one party's behaviour in two windows.
type Change struct {
	Party    uint32
	Before   int     // contacts in the first window
	After    int     // contacts in the second window
	Hours    float64 // total variation distance between the hour-of-day profiles, 0 (same) to 1 (disjoint)
	Contacts float64 // 1 - Jaccard similarity of the contact sets, 0 (same) to 1 (disjoint)
	Rate     float64 // log2 of the ratio of contacts a day, after over before
	Score    float64 // (Hours + Contacts) / 2
}

// Changes compares every party with at least minEvents contacts in each of
// the windows [a0, a1) and [b0, b1) (Unix seconds): the hour-of-day
// profile of its contacts, the set of numbers it was in contact with and
// its rate. Results are ordered by Score, highest first: a party that
// kept its rate but now calls other people at other hours ranks first.
func Changes(events []Event, a0, a1, b0, b1 int64, minEvents int) []Change {
	minEvents = max(minEvents, 1)
	type side struct {
		n     int
		hours [24]int
		peers map[uint32]bool
	}
	type party struct{ w [2]side }
	parties := make(map[uint32]*party)
	add := func(u, peer uint32, w int, h int) {
		p := parties[u]
		if p == nil {
			p = &party{}
			parties[u] = p
		}
		s := &p.w[w]
		if s.peers == nil {
			s.peers = make(map[uint32]bool)
		}
		s.n++
		s.hours[h]++
		s.peers[peer] = true
	}
	for _, e := range events {
		w := -1
		switch {
		case e.At >= a0 && e.At < a1:
			w = 0
		case e.At >= b0 && e.At < b1:
			w = 1
		}
		if w < 0 {
			continue
		}
		h := int((e.At - floorDay(e.At)) / 3600)
		add(e.Caller, e.Callee, w, h)
		if e.Callee != e.Caller {
			add(e.Callee, e.Caller, w, h)
		}
	}
	var out []Change
	for u, p := range parties {
		x, y := &p.w[0], &p.w[1]
		if x.n < minEvents || y.n < minEvents {
			continue
		}
		tv := 0.0
		for h := range 24 {
			tv += math.Abs(float64(x.hours[h])/float64(x.n) - float64(y.hours[h])/float64(y.n))
		}
		both := 0
		for v := range x.peers {
			if y.peers[v] {
				both++
			}
		}
		jac := float64(both) / float64(len(x.peers)+len(y.peers)-both)
		rate := math.Log2((float64(y.n) / float64(max(1, b1-b0))) / (float64(x.n) / float64(max(1, a1-a0))))
		c := Change{Party: u, Before: x.n, After: y.n, Hours: tv / 2, Contacts: 1 - jac, Rate: rate}
		c.Score = (c.Hours + c.Contacts) / 2
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Party, b.Party))
	})
	return out
}
