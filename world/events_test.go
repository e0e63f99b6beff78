package world

import (
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestPingsInAreaAndWindow(t *testing.T) {
	_, sum, tr := sharedWorld(t)
	devices := map[string]bool{}
	for _, d := range tr.Devices {
		devices[d.ID] = true
	}
	start, end := tr.Start.Unix(), tr.End.Unix()
	var n int64
	seen := map[string]bool{}
	last := map[string]int64{}
	intervals := map[string]int64{}
	for _, p := range pings(t) {
		n++
		if p.at < start || p.at >= end {
			t.Fatalf("ping %+v: time outside [%d, %d)", p, start, end)
		}
		if p.lat < LatMin || p.lat > LatMax || p.lon < LonMin || p.lon > LonMax {
			t.Fatalf("ping %+v: outside the area", p)
		}
		if p.acc < 5 || p.acc > 1500 {
			t.Fatalf("ping %+v: accuracy %v m", p, p.acc)
		}
		if !devices[p.device] {
			t.Fatalf("ping %+v: device not in truth/devices.csv", p)
		}
		prev, ok := last[p.device]
		if ok && p.at > prev && p.at-prev < 3600 {
			if i := intervals[p.device]; i == 0 || p.at-prev < i {
				intervals[p.device] = p.at - prev
			}
		}
		if ok && p.at <= prev && p.at/86400 == prev/86400 {
			t.Fatalf("ping %+v: not after the device's previous ping at %d", p, prev)
		}
		last[p.device] = p.at
		seen[p.device] = true
	}
	if n != sum.Pings {
		t.Errorf("pings.csv has %d pings, summary says %d", n, sum.Pings)
	}
	if len(seen) < len(tr.Devices)*9/10 {
		t.Errorf("%d of %d devices pinged", len(seen), len(tr.Devices))
	}
	// Sampling rates vary: the shortest gap of some devices is far below others'.
	var gaps []int64
	for _, g := range intervals {
		gaps = append(gaps, g)
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	t.Logf("gap percentiles: %d %d %d", gaps[len(gaps)/10], gaps[len(gaps)/2], gaps[len(gaps)*9/10])
	if lo, hi := gaps[len(gaps)/10], gaps[len(gaps)*9/10]; hi < 4*lo {
		t.Errorf("shortest gaps between pings: 10th percentile %ds, 90th %ds; want varied sampling", lo, hi)
	}
}

// metres between two coordinates, flat-earth: fine within a city.
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	return math.Hypot((lat1-lat2)*mPerDegLat, (lon1-lon2)*mPerDegLon)
}

// TestDeviceHomeWork checks the truth of each device's home and daytime place
// against its pings: at 03:00 most devices are near home, on weekdays at
// 11:00 most of those with a workplace are near it.
func TestDeviceHomeWork(t *testing.T) {
	_, _, tr := sharedWorld(t)
	dev := map[string]*Device{}
	for i := range tr.Devices {
		if tr.Devices[i].From.IsZero() && tr.Devices[i].Person2 == "" { // burners and shared phones move between hands
			dev[tr.Devices[i].ID] = &tr.Devices[i]
		}
	}
	var home, homeNear, work, workNear int
	for _, pg := range pings(t) {
		d := dev[pg.device]
		if d == nil || pg.acc > 100 {
			continue
		}
		at := time.Unix(pg.at, 0).UTC()
		near := func(place string) bool {
			p, ok := tr.Place(place)
			if !ok {
				t.Fatalf("device %s: place %s not in truth", d.ID, place)
			}
			return metres(pg.lat, pg.lon, p.Lat, p.Lon) < 150
		}
		switch h := at.Hour(); {
		case h == 2:
			home++
			if near(d.HomePlace) {
				homeNear++
			}
		case h == 10 && d.WorkPlace != "" && at.Weekday() >= time.Tuesday && at.Weekday() <= time.Thursday:
			work++
			if near(d.WorkPlace) {
				workNear++
			}
		}
	}
	t.Logf("home %d/%d, work %d/%d", homeNear, home, workNear, work)
	if home == 0 || float64(homeNear) < 0.9*float64(home) {
		t.Errorf("%d of %d pings at 03:00 near the device's true home; want 90%%", homeNear, home)
	}
	if work == 0 || float64(workNear) < 0.6*float64(work) {
		t.Errorf("%d of %d weekday pings at 11:00 near the true workplace or school; want 60%%", workNear, work)
	}
}

func TestContacts(t *testing.T) {
	dir, sum, tr := sharedWorld(t)
	start, end := tr.Start, tr.End
	callers := map[string]map[string]bool{} // callee -> distinct callers
	device := map[string]string{}           // number -> its handset's IMEI
	for _, p := range tr.Phones {
		device[p.Number] = p.Device
	}
	var n, sms, imeis int64
	eachLine(t, filepath.Join(dir, "events/contacts.csv"), func(f []string) {
		n++
		if len(f) != 6 || !strings.HasPrefix(f[0], "+") || !strings.HasPrefix(f[1], "+") || f[0] == f[1] {
			t.Fatalf("contact %v: want two distinct E.164 numbers and six fields", f)
		}
		if f[5] != device[f[0]] {
			t.Fatalf("contact %v: caller_imei %q, want the caller's handset %q", f, f[5], device[f[0]])
		}
		if f[5] != "" {
			imeis++
		}
		at, err := time.Parse(time.RFC3339, f[2])
		if err != nil || at.Before(start) || !at.Before(end) {
			t.Fatalf("contact %v: time %v outside the window (%v)", f, at, err)
		}
		d := atoi64(t, f[3])
		switch f[4] {
		case "sms":
			sms++
			if d != 0 {
				t.Fatalf("contact %v: an sms with a duration", f)
			}
		case "call":
			if d < 0 || d > 3*3600 {
				t.Fatalf("contact %v: duration %d", f, d)
			}
		default:
			t.Fatalf("contact %v: type %q", f, f[4])
		}
		if callers[f[1]] == nil {
			callers[f[1]] = map[string]bool{}
		}
		callers[f[1]][f[0]] = true
	})
	if n != sum.Contacts || sms == 0 || sms == n {
		t.Errorf("contacts.csv: %d contacts (summary %d), %d sms", n, sum.Contacts, sms)
	}
	if imeis == 0 || imeis == n {
		t.Errorf("contacts.csv: %d of %d contacts carry the caller's IMEI, want most but not the landlines'", imeis, n)
	}
	hubs := map[string]bool{}
	for _, h := range tr.Hubs() {
		hubs[h] = true
	}
	maxOther := 0
	for callee, c := range callers {
		if !hubs[callee] {
			maxOther = max(maxOther, len(c))
		}
	}
	t.Logf("max distinct callers of a non-hub: %d; hubs: %d %d %d", maxOther, len(callers[tr.Hubs()[0]]), len(callers[tr.Hubs()[1]]), len(callers[tr.Hubs()[2]]))
	for _, h := range tr.Hubs()[:3] {
		if len(callers[h]) <= 2*maxOther {
			t.Errorf("hub %s has %d distinct callers, want more than twice any other number's %d", h, len(callers[h]), maxOther)
		}
	}
}

// TestCommunities checks that calls stay mostly inside the true communities.
func TestCommunities(t *testing.T) {
	dir, _, tr := sharedWorld(t)
	owner := map[string]string{} // number -> community of its (first) holder
	for _, p := range tr.Phones {
		if p.Person != "" {
			q, _ := tr.Person(p.Person)
			owner[p.Number] = q.Community
		}
	}
	var inside, between int
	eachLine(t, filepath.Join(dir, "events/contacts.csv"), func(f []string) {
		a, ok1 := owner[f[0]]
		b, ok2 := owner[f[1]]
		if ok1 && ok2 {
			if a == b {
				inside++
			} else {
				between++
			}
		}
	})
	t.Logf("inside %d, between %d", inside, between)
	if inside < 3*between {
		t.Errorf("calls between persons: %d inside a community, %d between; want most inside", inside, between)
	}
}

func TestPlateReads(t *testing.T) {
	dir, sum, tr := sharedWorld(t)
	cams := map[string]Camera{}
	for _, c := range tr.Cameras {
		cams[c.ID] = c
	}
	plates := map[string]bool{}
	for _, v := range tr.Vehicles {
		plates[strings.ReplaceAll(v.Plate, "-", "")] = true
	}
	var n, known int64
	eachLine(t, filepath.Join(dir, "events/plate_reads.csv"), func(f []string) {
		n++
		c, ok := cams[f[1]]
		if !ok || atof(t, f[3]) != c.Lat || atof(t, f[4]) != c.Lon {
			t.Fatalf("plate read %v: not at a known camera", f)
		}
		at, err := time.Parse(time.RFC3339, f[2])
		if err != nil || at.Before(tr.Start) || !at.Before(tr.End) {
			t.Fatalf("plate read %v: time outside the window", f)
		}
		if plates[f[0]] {
			known++
		}
	})
	if n != sum.PlateReads || n == 0 {
		t.Errorf("plate_reads.csv: %d reads, summary %d", n, sum.PlateReads)
	}
	t.Logf("%d of %d reads known", known, n)
	if float64(known) < 0.95*float64(n) || known == n {
		t.Errorf("%d of %d reads are of registered plates; want nearly all, with a few misreads", known, n)
	}
}
