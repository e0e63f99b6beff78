package near

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// brute is the documented test, on every probe in time order.
func brute(q writ.NearQuery, order []int, dev string, lat, lon, acc float64, us int64) (int, bool) {
	if dev == q.Exclude || (q.MaxAccM > 0 && acc > q.MaxAccM) {
		return 0, false
	}
	for _, i := range order {
		p := q.Probes[i]
		if d := us - p.At.UnixMicro(); d > q.Within.Microseconds() || d < -q.Within.Microseconds() {
			continue
		}
		dy := (lat - p.Lat) * MetresPerDeg
		dx := (lon - p.Lon) * math.Cos(p.Lat*math.Pi/180) * MetresPerDeg
		if dx*dx+dy*dy <= q.RadiusM*q.RadiusM {
			return i, true
		}
	}
	return 0, false
}

// TestMatch checks Match, Overlaps and Pieces against the brute force on
// random tracks and points around them.
func TestMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var matched, tested int
	for n := range 300 {
		q := writ.NearQuery{RadiusM: []float64{5, 100, 400, 3000}[rng.IntN(4)],
			Within: []time.Duration{time.Second, 10 * time.Minute, 2 * time.Hour}[rng.IntN(3)]}
		if rng.IntN(2) == 0 {
			q.MaxAccM = 50
		}
		if rng.IntN(2) == 0 {
			q.Exclude = "d1"
		}
		lat, lon := 50.85+rng.Float64()*0.05, 4.35+rng.Float64()*0.05
		at := t0
		for range 1 + rng.IntN(80) {
			if rng.IntN(5) == 0 { // a jump: a new piece
				lat, lon = 50.85+rng.Float64()*0.05, 4.35+rng.Float64()*0.05
			}
			q.Probes = append(q.Probes, writ.Probe{Lat: lat + rng.NormFloat64()*1e-4, Lon: lon + rng.NormFloat64()*1e-4, At: at})
			if rng.IntN(8) != 0 { // some probes share a time
				at = at.Add(time.Duration(rng.IntN(1200)) * time.Second)
			}
		}
		rng.Shuffle(len(q.Probes), func(i, j int) { q.Probes[i], q.Probes[j] = q.Probes[j], q.Probes[i] })
		if err := q.Check(); err != nil {
			t.Fatal(err)
		}
		// The probes in time order, then in q's order.
		order := make([]int, len(q.Probes))
		for i := range order {
			order[i] = i
		}
		for i := 1; i < len(order); i++ {
			for j := i; j > 0 && q.Probes[order[j]].At.Before(q.Probes[order[j-1]].At); j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
		m := New(q)
		pieces := m.Pieces()
		for range 400 {
			p := q.Probes[rng.IntN(len(q.Probes))]
			spread := q.RadiusM * 2 / MetresPerDeg
			plat, plon := p.Lat+(rng.Float64()-0.5)*spread, p.Lon+(rng.Float64()-0.5)*spread
			us := p.At.UnixMicro() + int64((rng.Float64()-0.5)*3*float64(q.Within.Microseconds()))
			dev := []string{"d1", "d2"}[rng.IntN(2)]
			acc := float64(rng.IntN(100))
			wi, wok := brute(q, order, dev, plat, plon, acc, us)
			gi, gok := m.Match(dev, plat, plon, acc, us)
			if wok != gok || wi != gi {
				t.Fatalf("track %d: Match(%s, %v, %v, acc %v, %d) = %d, %v; want %d, %v", n, dev, plat, plon, acc, us, gi, gok, wi, wok)
			}
			// Near, then Wants, as a store asks them, is Match.
			ni, nok := m.Near(plat, plon, us)
			if w := m.Wants(dev, acc); (nok && w) != gok || (gok && ni != gi) {
				t.Fatalf("track %d: Near = %d, %v and Wants = %v; Match = %d, %v", n, ni, nok, w, gi, gok)
			}
			tested++
			if !wok {
				continue
			}
			matched++
			// A block holding the point is never skipped, nor is the
			// point outside every piece.
			ms := us / 1000
			b0, b1 := ms-rng.Int64N(5000), ms+rng.Int64N(5000)
			lat0, lon0, lat1, lon1 := plat-rng.Float64()*1e-3, plon-rng.Float64()*1e-3, plat+rng.Float64()*1e-3, plon+rng.Float64()*1e-3
			if !m.Overlaps(b0, b1, lat0, lon0, lat1, lon1) {
				t.Fatalf("track %d: Overlaps skipped a block holding a near point", n)
			}
			if from, to, ok := m.Window(b0, b1, lat0, lon0, lat1, lon1); !ok || ms < from || ms > to {
				t.Fatalf("track %d: Window = [%d, %d], %v for a block holding a near point at %d", n, from, to, ok, ms)
			}
			in := false
			for _, pc := range pieces {
				if plat >= pc.MinLat && plat <= pc.MaxLat && plon >= pc.MinLon && plon <= pc.MaxLon && us >= pc.FromUs && us <= pc.ToUs {
					in = true
				}
			}
			if !in {
				t.Fatalf("track %d: a near point lies in no piece", n)
			}
		}
		// Points at the edges of the time bins, where Near's bin (found
		// through a reciprocal) must be exact.
		for k := range m.bins {
			for _, off := range []int64{-1, 0, 1} {
				us := m.t0 + int64(k)*m.bw + off
				p := q.Probes[rng.IntN(len(q.Probes))]
				wi, wok := brute(q, order, "d2", p.Lat, p.Lon, 0, us)
				if gi, gok := m.Near(p.Lat, p.Lon, us); gok != wok || gi != wi {
					t.Fatalf("track %d: Near(%v, %v, bin %d edge %+d) = %d, %v; want %d, %v", n, p.Lat, p.Lon, k, off, gi, gok, wi, wok)
				}
			}
			if k > 50 {
				break
			}
		}
		// A block far in time or space is skipped.
		lo, hi := m.Span()
		if m.Overlaps(hi/1000+2, hi/1000+10, 0, 0, 1, 1) || m.Overlaps(lo/1000-10, lo/1000-2, 50, 4, 51, 5) {
			t.Fatalf("track %d: Overlaps kept a block beyond the track's span", n)
		}
		if m.Overlaps(lo/1000, hi/1000, -10, -10, -9, -9) {
			t.Fatalf("track %d: Overlaps kept a block far from every probe", n)
		}
	}
	if matched < tested/10 || matched == tested {
		t.Errorf("%d of %d points matched; the test exercises too little", matched, tested)
	}
	if New(writ.NearQuery{RadiusM: 1, Within: time.Second}) != nil {
		t.Error("New(no probes) != nil")
	}
}

// TestOverlapsProbes checks that Overlaps asks a bin's probes, not only
// its box: a target driving 2 km in one bin passes neither the midpoint
// nor, ten minutes before, its destination.
func TestOverlapsProbes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	q := writ.NearQuery{RadiusM: 100, Within: 10 * time.Minute, Probes: []writ.Probe{
		{Lat: 50.85, Lon: 4.35, At: t0},
		{Lat: 50.87, Lon: 4.35, At: t0.Add(5 * time.Minute)},
	}}
	m := New(q)
	ms := t0.UnixMilli()
	const d = 2e-4 // about 20 m
	tests := []struct {
		name     string
		from, to int64 // ms
		lat, lon float64
		want     bool
	}{
		{"at the start, at its time", ms, ms + 1000, 50.85, 4.35, true},
		{"at the end, at its time", ms + 300_000, ms + 301_000, 50.87, 4.35, true},
		{"at the end, within Within of it", ms + 880_000, ms + 890_000, 50.87, 4.35, true},
		{"at the midpoint, 1 km from each", ms, ms + 300_000, 50.86, 4.35, false},
		{"at the end, 15 to 11 minutes before it", ms - 600_000, ms - 360_000, 50.87, 4.35, false},
		{"beside the start, past the radius", ms, ms + 1000, 50.85 + 0.0012, 4.35, false},
		{"beside the start, within the radius", ms, ms + 1000, 50.85 + 0.0008, 4.35, true},
	}
	for _, tc := range tests {
		if got := m.Overlaps(tc.from, tc.to, tc.lat-d/2, tc.lon-d/2, tc.lat+d/2, tc.lon+d/2); got != tc.want {
			t.Errorf("%s: Overlaps = %v, want %v", tc.name, got, tc.want)
		}
		if _, _, got := m.Window(tc.from, tc.to, tc.lat-d/2, tc.lon-d/2, tc.lat+d/2, tc.lon+d/2); got != tc.want {
			t.Errorf("%s: Window ok = %v, want %v", tc.name, got, tc.want)
		}
	}
	// An hour-long block at the start or the end is near only within ten
	// minutes of the probe there; one around both, within ten minutes of
	// either.
	hour := int64(time.Hour / time.Millisecond)
	w := int64(10 * time.Minute / time.Millisecond)
	for _, tc := range []struct {
		name             string
		lat0, lat1       float64
		wantFrom, wantTo int64
	}{
		{"at the start", 50.85 - d, 50.85 + d, ms - w, ms + w},
		{"at the end", 50.87 - d, 50.87 + d, ms + 300_000 - w, ms + 300_000 + w},
		{"around both", 50.85 - d, 50.87 + d, ms - w, ms + 300_000 + w},
	} {
		from, to, ok := m.Window(ms-hour/2, ms+hour/2, tc.lat0, 4.35-d, tc.lat1, 4.35+d)
		if !ok || from != tc.wantFrom || to != tc.wantTo {
			t.Errorf("%s: Window = [%d, %d], %v; want [%d, %d]", tc.name, from-ms, to-ms, ok, tc.wantFrom-ms, tc.wantTo-ms)
		}
	}
}
