package geo

import (
	"slices"
	"testing"
)

// TestCoLocationRing ranks the devices near the seller's personal phone,
// away from his home and shop, and checks that every supplier and courier
// who met him on two or more days has a device in the top 10. (One who met
// him once is not "repeatedly" co-located, and with burners switched his
// devices each meet the seller once at most.)
func TestCoLocationRing(t *testing.T) {
	w := loadWorld(t)
	seller, ok := w.truth.Ring.Member("seller", 0)
	if !ok {
		t.Fatal("the test world has no seller")
	}
	target := seller.Devices[0]
	got := CoLocation(w.byDev[target], w.tracks, target, sellerOpts(w.byDev[target]))
	owner := map[string]string{}
	for _, m := range w.truth.Ring.Members {
		for _, d := range m.Devices {
			owner[d] = m.Role + " " + m.Person
		}
	}
	for i, c := range got[:min(25, len(got))] {
		t.Logf("%2d %s %-20s score %.2f days %d places %d enc %d", i+1, c.Device, owner[c.Device], c.Score, c.Days, c.Places, c.Encounters)
	}
	met := map[string]int{}
	for _, m := range w.truth.Ring.Meetings {
		for _, p := range m.Members {
			if p != seller.Person {
				met[p]++
			}
		}
	}
	top := got[:min(10, len(got))]
	checked := 0
	for p, n := range met {
		if n < 2 {
			continue
		}
		checked++
		var devs []string
		for _, m := range w.truth.Ring.Members {
			if m.Person == p {
				devs = m.Devices
			}
		}
		if !slices.ContainsFunc(top, func(c CoLocated) bool { return slices.Contains(devs, c.Device) }) {
			t.Errorf("CoLocation(seller %s): no device of ring member %s (%v) in the top 10", target, p, devs)
		}
	}
	if checked < 3 {
		t.Errorf("only %d ring members met the seller twice, want at least 3 for the test to mean anything", checked)
	}
}

func sellerOpts(fs []Fix) CoLocOptions {
	areas, _, _ := HomeWorkAreas(fs, HomeStays(), 0, HomeWorkOptions{Loc: brussels})
	return CoLocOptions{Exclude: areas}
}
