package graph

import (
	"math"
	"strconv"
	"testing"
)

func TestActivity(t *testing.T) {
	// 2026-03-02 is a Monday; 1772445600 is 10:00 UTC that day.
	b := NewBuilder(0)
	b.Add("a", "b", 1772445600, 0)
	b.Add("b", "a", 1772445600+3600, 0)
	b.Add("c", "d", 1772445600, 0)
	a, _ := b.Build().ID("a")
	m := Activity(b.Events(), a)
	if m[1][10] != 1 || m[1][11] != 1 || m[1][12] != 0 {
		t.Errorf("Activity(a) Monday 10-12h = %v, want [1 1 0]", m[1][10:13])
	}
}

// TestBursts plants a two-day burst for one party among steady traffic:
// it must be found exactly, and the steady parties must have none.
func TestBursts(t *testing.T) {
	const day0 = 1772409600 // 2026-03-02 00:00 UTC
	b := NewBuilder(0)
	for d := range 30 {
		at := int64(day0 + d*86400 + 10*3600)
		for i := range 3 { // a and b: three contacts a day
			b.Add("a", "b", at+int64(i)*60, 30)
		}
		if d%2 == 0 { // c and d: every other day, never a burst
			b.Add("c", "d", at, 30)
		}
		if d == 12 || d == 13 { // a calls many numbers twice in two days
			for i := range 20 {
				b.Add("a", "x"+strconv.Itoa(i), at+3600+int64(i)*60, 30)
			}
		}
	}
	g := b.Build()
	a, _ := g.ID("a")
	got := Bursts(b.Events(), BurstOptions{})
	if len(got) != 1 {
		t.Fatalf("Bursts = %+v, want one burst for a", got)
	}
	bu := got[0]
	if bu.Party != a || bu.Start != day0+12*86400 || bu.End != day0+14*86400 || bu.Count != 46 || bu.Baseline != 3 {
		t.Errorf("Bursts = %+v, want party %d days 12-13, 46 contacts, baseline 3", bu, a)
	}
	// A lower threshold still leaves the steady parties alone.
	for _, bu := range Bursts(b.Events(), BurstOptions{Z: 1, MinCount: 1}) {
		if n := g.Name(bu.Party); n == "b" || n == "c" || n == "d" {
			t.Errorf("Bursts(Z 1) flags %s: %+v", g.Name(bu.Party), bu)
		}
	}
}

// TestChanges: "a" calls x and y in the morning for two weeks, then z and
// w in the evening; "b" keeps its habits (calls c at noon). a must rank
// first with disjoint contacts and hours, b must show no change.
func TestChanges(t *testing.T) {
	const day0 = 1772409600
	bd := NewBuilder(0)
	for d := range 28 {
		at := int64(day0 + d*86400)
		if d < 14 {
			bd.Add("a", "x", at+8*3600, 60)
			bd.Add("y", "a", at+9*3600, 60)
		} else {
			bd.Add("a", "z", at+20*3600, 60)
			bd.Add("w", "a", at+21*3600, 60)
			bd.Add("a", "w", at+21*3600+60, 60)
		}
		bd.Add("b", "c", at+12*3600, 60)
	}
	g := bd.Build()
	a, _ := g.ID("a")
	bID, _ := g.ID("b")
	mid := int64(day0 + 14*86400)
	got := Changes(bd.Events(), day0, mid, mid, day0+28*86400, 5)
	if len(got) == 0 || got[0].Party != a {
		t.Fatalf("Changes: first is %+v, want a", got)
	}
	ca := got[0]
	if ca.Hours != 1 || ca.Contacts != 1 || ca.Score != 1 || ca.Before != 28 || ca.After != 42 || math.Abs(ca.Rate-math.Log2(1.5)) > 1e-12 {
		t.Errorf("Changes(a) = %+v, want hours 1, contacts 1, 28 -> 42 contacts, rate log2(1.5)", ca)
	}
	found := false
	for _, c := range got {
		if c.Party == bID {
			found = true
			if c.Score != 0 || c.Rate != 0 {
				t.Errorf("Changes(b) = %+v, want no change", c)
			}
		}
		if g.Name(c.Party) == "x" { // x is silent after the split
			t.Errorf("Changes lists x, which has no contacts in the second window")
		}
	}
	if !found {
		t.Errorf("Changes omits b")
	}
}
