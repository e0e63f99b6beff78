package world

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRingMembers(t *testing.T) {
	_, _, tr := sharedWorld(t)
	roles := map[string]int{}
	for _, m := range tr.Ring.Members {
		roles[m.Role]++
		p, ok := tr.Person(m.Person)
		if !ok || p.RingRole != m.Role {
			t.Errorf("ring member %s (%s): persons.csv role %q", m.Person, m.Role, p.RingRole)
		}
		if len(m.Phones) == 0 || len(m.Devices) == 0 {
			t.Errorf("ring member %s has no phone or device", m.Person)
		}
		burners := 0
		for _, ph := range m.Phones {
			if ph.Kind == "burner" {
				burners++
			}
		}
		if m.Role != "buyer" && burners < 2 {
			t.Errorf("ring %s %s has %d burners, want a chain of at least two", m.Role, m.Person, burners)
		}
		if (m.Role == "supplier" || m.Role == "courier") && len(m.Plates) == 0 {
			t.Errorf("ring %s %s has no car", m.Role, m.Person)
		}
	}
	if roles["seller"] != 1 || roles["supplier"] != 2 || roles["courier"] != 3 || roles["buyer"] < 4 || roles["buyer"] > 6 {
		t.Errorf("ring roles = %v, want 1 seller, 2 suppliers, 3 couriers, 4-6 buyers", roles)
	}
	if len(tr.Ring.Meetings) < 2 || len(tr.Ring.Visits) < roles["buyer"] {
		t.Errorf("ring has %d meetings and %d visits in %d days", len(tr.Ring.Meetings), len(tr.Ring.Visits), tr.Manifest.Days)
	}
	for _, id := range []string{tr.Ring.Places.Shop, tr.Ring.Places.Warehouse, tr.Ring.Places.Cafe} {
		if _, ok := tr.Place(id); !ok {
			t.Errorf("ring place %s not in places.csv", id)
		}
	}
}

func TestConvoy(t *testing.T) {
	dir, _, tr := sharedWorld(t)
	type key struct{ plate, camera string }
	reads := map[key][]time.Time{}
	eachLine(t, filepath.Join(dir, "events/plate_reads.csv"), func(f []string) {
		at, _ := time.Parse(time.RFC3339, f[2])
		k := key{f[0], f[1]}
		reads[k] = append(reads[k], at)
	})
	has := func(plate, camera string, at time.Time) bool {
		for _, x := range reads[key{strings.ReplaceAll(plate, "-", ""), camera}] {
			if x.Equal(at) {
				return true
			}
		}
		return false
	}
	for _, m := range tr.Ring.Meetings {
		c := m.Convoy
		if len(c.Reads) < 2 {
			t.Errorf("convoy of %s: %d cameras on its route, want at least 2", m.Date, len(c.Reads))
		}
		if c.GapSeconds < 1 || c.GapSeconds > 60 {
			t.Errorf("convoy of %s: gap %ds, want seconds", m.Date, c.GapSeconds)
		}
		for _, r := range c.Reads {
			if d := r.FollowAt.Sub(r.LeadAt); d != time.Duration(c.GapSeconds)*time.Second {
				t.Errorf("convoy of %s at %s: follower %v behind, want %ds", m.Date, r.Camera, d, c.GapSeconds)
			}
			if !has(c.Lead, r.Camera, r.LeadAt) || !has(c.Follow, r.Camera, r.FollowAt) {
				t.Errorf("convoy of %s: plate_reads.csv lacks %s at %s %v or %s at %v", m.Date, c.Lead, r.Camera, r.LeadAt, c.Follow, r.FollowAt)
			}
		}
	}
}

// TestBurnerSwitches checks that a replaced burner's device stops pinging
// and its successor starts at the switch.
func TestBurnerSwitches(t *testing.T) {
	_, _, tr := sharedWorld(t)
	if len(tr.Switches) == 0 || len(tr.Ring.Switches) < 6 {
		t.Fatalf("%d burner switches, %d in the ring; want every burner-carrying member to switch", len(tr.Switches), len(tr.Ring.Switches))
	}
	old, nw := map[string]time.Time{}, map[string]time.Time{}
	for _, s := range tr.Switches {
		if s.At.Before(tr.Start) || !s.At.Before(tr.End) || s.OldNumber == s.NewNumber || s.OldDevice == s.NewDevice {
			t.Errorf("switch %+v: outside the window or not a new phone", s)
		}
		old[s.OldDevice], nw[s.NewDevice] = s.At, s.At
	}
	var before, after int
	for _, p := range pings(t) {
		at := time.Unix(p.at, 0)
		if sw, ok := old[p.device]; ok {
			if !at.Before(sw) {
				t.Fatalf("ping %+v: the old burner pings after its switch at %v", p, sw)
			}
			before++
		}
		if sw, ok := nw[p.device]; ok {
			if at.Before(sw) {
				t.Fatalf("ping %+v: the new burner pings before its switch at %v", p, sw)
			}
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Errorf("old burners pinged %d times, new ones %d; want both", before, after)
	}
}

// TestRingMeetsAndCalls checks that the members' devices are together at the
// café during meetings, and that they call each other on their burners.
func TestRingMeetsAndCalls(t *testing.T) {
	dir, _, tr := sharedWorld(t)
	cafe, _ := tr.Place(tr.Ring.Places.Cafe)
	owner := map[string]string{}
	burner := map[string]string{}
	for _, m := range tr.Ring.Members {
		for _, d := range m.Devices {
			owner[d] = m.Person
		}
		for _, p := range m.Phones {
			if p.Kind == "burner" {
				burner[p.Number] = m.Person
			}
		}
	}
	present := map[string]map[string]bool{} // date -> persons seen at the café
	for _, m := range tr.Ring.Meetings {
		present[m.Date] = map[string]bool{}
	}
	for _, pg := range pings(t) {
		p, ok := owner[pg.device]
		if !ok {
			continue
		}
		at := time.Unix(pg.at, 0).UTC()
		if h := at.Hour(); h != 11 || present[at.Format("2006-01-02")] == nil {
			continue
		}
		if metres(pg.lat, pg.lon, cafe.Lat, cafe.Lon) < 200 {
			present[at.Format("2006-01-02")][p] = true
		}
	}
	for _, m := range tr.Ring.Meetings {
		for _, p := range m.Members {
			if !present[m.Date][p] {
				t.Errorf("meeting of %s: no ping of %s at the café between 11:00 and 12:00 UTC", m.Date, p)
			}
		}
	}
	var ringCalls int
	eachLine(t, filepath.Join(dir, "events/contacts.csv"), func(f []string) {
		if burner[f[0]] != "" && burner[f[1]] != "" {
			ringCalls++
		}
	})
	if ringCalls < tr.Manifest.Days*3 {
		t.Errorf("%d burner-to-burner calls in %d days; want the ring to talk", ringCalls, tr.Manifest.Days)
	}
}
