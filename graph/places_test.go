package graph

import (
	"math"
	"testing"
)

var (
	homeP = Fix{Lat: 50.8000, Lon: 4.3000}
	homeQ = Fix{Lat: 50.8500, Lon: 4.4000}
	work  = Fix{Lat: 50.8250, Lon: 4.2950} // where P and Q both work
)

// fixesAt returns one fix a day at each place, from day first to day last.
func fixesAt(first, last int, at ...Fix) []Fix {
	var out []Fix
	for d := first; d <= last; d++ {
		for i, f := range at {
			out = append(out, Fix{At: day0 + int64(d)*86400 + int64(i)*3600, Lat: f.Lat, Lon: f.Lon})
		}
	}
	return out
}

const day0 = 1_770_000_000

func TestPlaceSimilarity(t *testing.T) {
	near := Fix{Lat: homeP.Lat + 0.0009, Lon: homeP.Lon + 0.0009} // about 100 m away
	for _, tc := range []struct {
		name string
		a, b []Fix
		want float64
	}{
		{"same home", fixesAt(0, 5, homeP), fixesAt(6, 9, homeP), 1},
		{"a fix 100 m off", fixesAt(0, 5, homeP), fixesAt(6, 9, near), 1},
		{"different homes", fixesAt(0, 5, homeP), fixesAt(6, 9, homeQ), 0},
		{"same work, different homes", fixesAt(0, 5, homeP, work), fixesAt(6, 9, homeQ, work), 0.5},
		{"half of one's fixes shared", fixesAt(0, 5, homeP), fixesAt(6, 9, homeP, homeQ), 0.75},
		{"no fixes", fixesAt(0, 5, homeP), nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := placeSimilarity(placesFrom(tc.a), placesFrom(tc.b))
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("placeSimilarity = %g, want %g", got, tc.want)
			}
		})
	}
}

func placesFrom(fs []Fix) places {
	b := NewBuilder(0)
	b.Add("x", "y", day0, 0)
	b.Add("x", "y", day0+30*86400, 0)
	g := b.Build()
	u, _ := g.ID("x")
	return g.placesOf(u, func(uint32) []Fix { return fs }, 86400)
}

// TestSwitchesByPlace: P and Q replace their burners on the same day and
// call the same three numbers; from contacts P's old burner looks most
// like Q's new one (both call a most). Their handsets' places tell them
// apart.
func TestSwitchesByPlace(t *testing.T) {
	b := NewBuilder(0)
	calls := func(from string, first, last int, to map[string]int) {
		for d := first; d <= last; d++ {
			for c, k := range to {
				for i := range k {
					b.Add(from, c, day0+int64(d)*86400+int64(i)*600+3600, 60)
				}
			}
		}
	}
	calls("oldP", 0, 9, map[string]int{"a": 3, "b": 1, "c": 1})
	calls("oldQ", 0, 9, map[string]int{"a": 1, "b": 3, "c": 1})
	calls("newP", 10, 19, map[string]int{"a": 1, "b": 3, "c": 1})
	calls("newQ", 10, 19, map[string]int{"a": 3, "b": 1, "c": 1})
	calls("a", 0, 19, map[string]int{"d": 1}) // a, b and c stay in use throughout
	calls("b", 0, 19, map[string]int{"d": 1})
	calls("c", 0, 19, map[string]int{"d": 1})
	g := b.Build()
	fixes := map[string][]Fix{
		"oldP": fixesAt(0, 9, homeP, work), "newP": fixesAt(10, 19, homeP, work),
		"oldQ": fixesAt(0, 9, homeQ, work), "newQ": fixesAt(10, 19, homeQ, work),
	}
	got := g.Switches(SwitchOptions{Fixes: func(u uint32) []Fix { return fixes[g.Name(u)] }})
	pairs := make(map[string]string)
	for _, s := range got {
		pairs[g.Name(s.Old)] = g.Name(s.New)
	}
	want := map[string]string{"oldP": "newP", "oldQ": "newQ"}
	if len(pairs) != len(want) || pairs["oldP"] != "newP" || pairs["oldQ"] != "newQ" {
		t.Errorf("Switches with places = %v, want %v", pairs, want)
	}
	// From contacts alone the pairing follows the contact mix, wrongly:
	// that is what the places are for.
	contacts := make(map[string]string)
	for _, s := range g.Switches(SwitchOptions{}) {
		contacts[g.Name(s.Old)] = g.Name(s.New)
	}
	if contacts["oldP"] != "newQ" || contacts["oldQ"] != "newP" {
		t.Errorf("Switches from contacts = %v, want oldP -> newQ and oldQ -> newP (the same contact mix)", contacts)
	}
}
