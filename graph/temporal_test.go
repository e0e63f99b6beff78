package graph

import "testing"

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
