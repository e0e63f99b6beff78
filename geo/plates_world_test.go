package geo

import (
	"testing"

	"github.com/writhq/writ"
)

// TestConvoyRing checks that for each lead car of the ring's convoys, every
// car that followed it is found, and nothing else.
func TestConvoyRing(t *testing.T) {
	w := loadWorld(t)
	if len(w.truth.Ring.Meetings) == 0 {
		t.Fatal("the test world has no ring meetings")
	}
	follows := map[string]map[string]bool{}
	for _, m := range w.truth.Ring.Meetings {
		l := writ.NormalizePlate(m.Convoy.Lead)
		if follows[l] == nil {
			follows[l] = map[string]bool{}
		}
		follows[l][writ.NormalizePlate(m.Convoy.Follow)] = true
	}
	for lead, want := range follows {
		got := Convoys(w.reads, lead, ConvoyOptions{})
		found := map[string]bool{}
		for _, c := range got {
			found[c.Plate] = true
			if !want[c.Plate] {
				t.Errorf("Convoys(%s) lists %+v, not a car that followed it", lead, c)
			}
		}
		for f := range want {
			if !found[f] {
				t.Errorf("Convoys(%s) = %+v, missing follower %s", lead, got, f)
			}
		}
		t.Logf("Convoys(%s) = %+v", lead, got)
	}
}

func TestHotlistWorld(t *testing.T) {
	w := loadWorld(t)
	lead := w.truth.Ring.Meetings[0].Convoy.Lead
	first, last := w.reads[0].T, w.reads[len(w.reads)-1].T
	mid := (first + last) / 2
	all := Sightings(w.reads, lead, 0, 0)
	half := Sightings(w.reads, lead, 0, mid)
	hits := Hotlist(w.reads, []string{lead}, 0, mid, false)
	if len(all) == 0 || len(half) >= len(all) {
		t.Fatalf("Sightings(%s) = %d in all, %d in the first half; want some, fewer in half", lead, len(all), len(half))
	}
	if len(hits) != len(half) {
		t.Errorf("Hotlist(%s, first half) = %d hits, want %d (the sightings in that window)", lead, len(hits), len(half))
	}
	for _, h := range hits {
		if h.Read.T >= mid {
			t.Errorf("Hotlist hit at %d, outside the window ending %d", h.Read.T, mid)
		}
	}
}

func TestHotlistFuzzy(t *testing.T) {
	reads := []Read{{Plate: "1ABC123", T: 10}, {Plate: "1A8C123", T: 20}, {Plate: "2XYZ999", T: 30}, {Plate: "1ABC123", T: 40}}
	tests := []struct {
		fuzzy    bool
		from, to int64
		want     int
	}{
		{false, 0, 0, 2},
		{true, 0, 0, 3},
		{true, 15, 35, 1},
		{false, 15, 35, 0},
	}
	for _, tt := range tests {
		if got := Hotlist(reads, []string{"1-abc-123"}, tt.from, tt.to, tt.fuzzy); len(got) != tt.want {
			t.Errorf("Hotlist(fuzzy %v, %d..%d) = %d hits, want %d", tt.fuzzy, tt.from, tt.to, len(got), tt.want)
		}
	}
}
