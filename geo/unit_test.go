package geo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
)

func TestToken(t *testing.T) {
	k1, k2 := AuthorityKey([]byte("secret"), 1), AuthorityKey([]byte("secret"), 2)
	a, b := Token(k1, "353320115651668"), Token(k1, "353320115651668")
	if a != b {
		t.Errorf("Token(k1, d) = %s then %s, want stable", a, b)
	}
	if c := Token(k2, "353320115651668"); c == a {
		t.Errorf("Token(k2, d) = %s, want different from Token(k1, d)", c)
	}
	if c := Token(k1, "353320115651669"); c == a {
		t.Errorf("Token(k1, d') = %s, want different from Token(k1, d)", c)
	}
	if len(a) != 17 || a[0] != 'T' || strings.Contains(a, "353320") {
		t.Errorf("Token = %q, want T and 16 base32 characters, no trace of the device", a)
	}
	to, back := Tokens(k1, []string{"x", "y"})
	if back[to["x"]] != "x" || back[to["y"]] != "y" {
		t.Errorf("Tokens round trip = %v %v", to, back)
	}
}

func TestAreas(t *testing.T) {
	sq := NewPoly(writ.Polygon{{Lat: 50, Lon: 4}, {Lat: 50, Lon: 4.01}, {Lat: 50.01, Lon: 4.01}, {Lat: 50.01, Lon: 4}})
	c := Circle{Center: writ.Point{Lat: 50, Lon: 4}, RadiusM: 100}
	tests := []struct {
		name     string
		a        Area
		lat, lon float64
		want     bool
	}{
		{"square inside", sq, 50.005, 4.005, true},
		{"square outside", sq, 50.02, 4.005, false},
		{"circle 90 m north", c, 50 + 90/mPerDeg, 4, true},
		{"circle 110 m north", c, 50 + 110/mPerDeg, 4, false},
		{"circle 90 m east", c, 50, 4 + 90/(mPerDeg*0.6428), true},
		{"circle 110 m east", c, 50, 4 + 110/(mPerDeg*0.6428), false},
	}
	for _, tt := range tests {
		if got := In(tt.a, tt.lat, tt.lon); got != tt.want {
			t.Errorf("In(%s, %v, %v) = %v, want %v", tt.name, tt.lat, tt.lon, got, tt.want)
		}
	}
	tracks := []Track{
		{"a", []Fix{{T: 10, Lat: 50.005, Lon: 4.005}, {T: 100, Lat: 50, Lon: 4}}},
		{"b", []Fix{{T: 10, Lat: 50.005, Lon: 4.005}}},
		{"c", []Fix{{T: 10, Lat: 51, Lon: 4}}},
	}
	aws := []AreaWindow{{sq, 0, 50}, {c, 50, 200}}
	got := SeenAt(tracks, aws, 0)
	if len(got) != 1 || got[0].Device != "a" {
		t.Errorf("SeenAt(all) = %+v, want only a", got)
	}
	if got := SeenAt(tracks, aws, 1); len(got) != 2 || got[0].Device != "a" || got[1].Device != "b" {
		t.Errorf("SeenAt(1) = %+v, want a then b", got)
	}
}

func TestPathAndSimplify(t *testing.T) {
	// A straight line east with a kink, then 2 hours of silence, then one fix.
	var fs []Fix
	for i := range 20 {
		lat := 50.0
		if i == 10 {
			lat += 50 / mPerDeg // 50 m off the line
		}
		fs = append(fs, Fix{T: int64(i * 30), Lat: lat, Lon: 4 + float64(i)*0.001})
	}
	fs = append(fs, Fix{T: 20*30 + 7200, Lat: 50, Lon: 4.1})
	tr := Path(fs, TrajectoryOptions{ToleranceM: 10})
	if len(tr.Segments) != 2 || len(tr.Gaps) != 1 {
		t.Fatalf("Path = %d segments, %d gaps, want 2 and 1", len(tr.Segments), len(tr.Gaps))
	}
	if n := len(tr.Segments[0]); n != 5 {
		t.Errorf("Path segment 0 = %d fixes, want 5 (ends, the kink and its two neighbours)", n)
	}
	if n := len(Simplify(fs[:20], 60)); n != 2 {
		t.Errorf("Simplify(60 m) = %d fixes, want 2", n)
	}
	f := TrajectoryFeature("d", tr)
	if f.Geometry.Type != "MultiLineString" {
		t.Errorf("TrajectoryFeature = %s, want MultiLineString", f.Geometry.Type)
	}
	one := TrajectoryFeature("d", Path(fs[:20], TrajectoryOptions{}))
	if one.Geometry.Type != "LineString" {
		t.Errorf("TrajectoryFeature(no gap) = %s, want LineString", one.Geometry.Type)
	}
}

func TestGeoJSON(t *testing.T) {
	// A clockwise square comes out counterclockwise and closed.
	cw := NewPoly(writ.Polygon{{Lat: 50, Lon: 4}, {Lat: 50.01, Lon: 4}, {Lat: 50.01, Lon: 4.01}, {Lat: 50, Lon: 4.01}})
	f := AreaFeature(cw, nil)
	ring := f.Geometry.Coordinates.([][][]float64)[0]
	if len(ring) != 5 || ring[0][0] != ring[4][0] || ring[0][1] != ring[4][1] {
		t.Fatalf("AreaFeature ring = %v, want 5 positions, closed", ring)
	}
	var s float64
	for i := 0; i+1 < len(ring); i++ {
		s += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	if s <= 0 {
		t.Errorf("AreaFeature ring signed area = %v, want > 0 (counterclockwise)", s)
	}
	c := AreaFeature(Circle{Center: writ.Point{Lat: 50, Lon: 4}, RadiusM: 100}, nil)
	if n := len(c.Geometry.Coordinates.([][][]float64)[0]); n != 65 {
		t.Errorf("AreaFeature(circle) = %d positions, want 65", n)
	}
	stays := []Stay{{Lat: 50.85, Lon: 4.35, Start: 0, End: 600, N: 3}}
	b, err := json.Marshal(Collection(StayFeatures(stays, []int{0})...))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[4.35,50.85]},"properties":{"duration_s":600,"end":"1970-01-01T00:10:00Z","fixes":3,"kind":"stay","place":0,"start":"1970-01-01T00:00:00Z"}}]}`
	if string(b) != want {
		t.Errorf("StayFeatures JSON = %s, want %s", b, want)
	}
}

func TestCoLocatorQuery(t *testing.T) {
	fs := []Fix{
		{T: 100, Lat: 50.0, Lon: 4.0, Acc: 10},
		{T: 200, Lat: 50.1, Lon: 4.1, Acc: 500}, // inaccurate: CoLocation drops it
		{T: 300, Lat: 50.2, Lon: 4.2, Acc: 20},  // in the excluded area
		{T: 400, Lat: 50.3, Lon: 4.3},           // accuracy unknown: kept
	}
	home := Circle{Center: writ.Point{Lat: 50.2, Lon: 4.2}, RadiusM: 50}
	q := NewCoLocator(fs, "T1", CoLocOptions{RadiusM: 200, Within: 5 * time.Minute, Exclude: []Area{home}}).Query()
	if len(q.Probes) != 2 || q.Probes[0].At.Unix() != 100 || q.Probes[1].At.Unix() != 400 {
		t.Fatalf("Query() probes = %+v, want the fixes at 100 and 400", q.Probes)
	}
	if q.RadiusM != 200 || q.Within != 5*time.Minute || q.Exclude != "T1" || q.MaxAccM != 100 {
		t.Errorf("Query() = radius %v, within %v, exclude %q, max acc %v; want 200 m, 5 min, T1, 100",
			q.RadiusM, q.Within, q.Exclude, q.MaxAccM)
	}
	if err := q.Check(); err != nil {
		t.Errorf("Query().Check() = %v", err)
	}
	if q := NewCoLocator(fs, "T1", CoLocOptions{MaxAccM: -1}).Query(); len(q.Probes) != 4 || q.MaxAccM != 0 {
		t.Errorf("Query(keep all) = %d probes, max acc %v; want 4, 0", len(q.Probes), q.MaxAccM)
	}
}

// TestCoLocatorAdd checks the streaming count against CoLocation on the
// same pings given in another order, and what Add ignores.
func TestCoLocatorAdd(t *testing.T) {
	// The target stays at two places on three days; "A" meets it at both
	// on every day, "B" once at the first (a passer-by), "C" at the
	// second on two days, and "T" is the target.
	var target []Fix
	var tracks []Track
	places := [][2]float64{{50.85, 4.35}, {50.86, 4.37}}
	add := func(dev string, f Fix) {
		for i := range tracks {
			if tracks[i].Device == dev {
				tracks[i].Fixes = append(tracks[i].Fixes, f)
				return
			}
		}
		tracks = append(tracks, Track{Device: dev, Fixes: []Fix{f}})
	}
	for day := range int64(3) {
		for pi, pl := range places {
			for k := range int64(6) {
				at := day*86400 + int64(pi)*7200 + k*60 + 36000
				target = append(target, Fix{T: at, Lat: pl[0], Lon: pl[1], Acc: 10})
				add("A", Fix{T: at + 5, Lat: pl[0] + 0.0002, Lon: pl[1], Acc: 10})
				if day == 0 && pi == 0 && k == 2 {
					add("B", Fix{T: at, Lat: pl[0], Lon: pl[1] + 0.0003, Acc: 10})
				}
				if pi == 1 && day > 0 {
					add("C", Fix{T: at + 30, Lat: pl[0] - 0.0001, Lon: pl[1], Acc: 20})
				}
				add("T", Fix{T: at, Lat: pl[0], Lon: pl[1], Acc: 10})
				add("far", Fix{T: at, Lat: pl[0] + 0.01, Lon: pl[1], Acc: 10})
			}
		}
	}
	o := CoLocOptions{}
	want := CoLocation(target, tracks, "T", o)
	if len(want) != 2 || want[0].Device != "A" || want[0].Days != 3 || want[0].Places != 2 || want[0].Encounters != 36 ||
		want[1].Device != "C" || want[1].Days != 2 || want[1].Places != 1 {
		t.Fatalf("CoLocation() = %+v; want A (3 days, 2 places, 36 encounters), then C (2 days, 1 place)", want)
	}
	// The same pings, as a store would pass them: in reverse, each with
	// the first probe it is near, plus pings Add must ignore.
	c := NewCoLocator(target, "T", o)
	q := c.Query()
	var near []writ.NearPing
	for i := len(tracks) - 1; i >= 0; i-- {
		tr := tracks[i]
		for j := len(tr.Fixes) - 1; j >= 0; j-- {
			f := tr.Fixes[j]
			for pi, p := range q.Probes {
				if d := f.T - p.At.Unix(); d >= -600 && d <= 600 && distM(f.Lat, f.Lon, p.Lat, p.Lon) <= 100 {
					near = append(near, writ.NearPing{Device: tr.Device, At: time.Unix(f.T, 0), Lat: f.Lat, Lon: f.Lon, Probe: pi})
					break
				}
			}
		}
	}
	for i := range near {
		c.Add(&near[i])
	}
	// And shuffled, the devices' pings interleaved: Add keeps a run per
	// device, which another device's pings must not break or mix.
	shuffled := NewCoLocator(target, "T", o)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(near), func(i, j int) { near[i], near[j] = near[j], near[i] })
	for i := range near {
		shuffled.Add(&near[i])
	}
	if got := shuffled.Result(); !reflect.DeepEqual(got, want) {
		t.Errorf("CoLocator shuffled = %+v\nwant %+v", got, want)
	}
	// And split among receivers counting at once, as a store's readers
	// pass them, a few pings each in turn, with some through Add first: a
	// (day, place) may have fewer than MinEnc encounters in each share
	// and enough in their sum.
	split := NewCoLocator(target, "T", o)
	for i := range near[:4] {
		split.Add(&near[i])
	}
	var wg sync.WaitGroup
	for r := range 3 {
		recv := split.Receiver()
		wg.Go(func() {
			for i := 4 + 2*r; i < len(near); i += 6 {
				for _, p := range near[i:min(i+2, len(near))] {
					if err := recv(&p); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if got := split.Result(); !reflect.DeepEqual(got, want) {
		t.Errorf("CoLocator over three receivers = %+v\nwant %+v", got, want)
	}
	c.Add(&writ.NearPing{Device: "X", At: time.Unix(36000, 0), Probe: len(q.Probes)})
	c.Add(&writ.NearPing{Device: "X", At: time.Unix(36000, 0), Probe: -1})
	got := c.Result()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CoLocator in reverse = %+v\nwant %+v", got, want)
	}
	if got[0].First != 36005 || got[0].Last != 2*86400+7200+5*60+36005 {
		t.Errorf("A first, last = %d, %d; want the first and last encounter", got[0].First, got[0].Last)
	}
}

// distM is the near test's distance, for the tests.
func distM(lat, lon, plat, plon float64) float64 {
	const mPerDeg = 6371008.8 * math.Pi / 180
	dy := (lat - plat) * mPerDeg
	dx := (lon - plon) * math.Cos(plat*math.Pi/180) * mPerDeg
	return math.Sqrt(dx*dx + dy*dy)
}

// TrackBuilder on pings in any order gives what Fixes gives on the same
// pings in id order (the store's order), same-second fixes included.
func TestTrackBuilder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var pings []writ.Ping
	for i := range 500 {
		// Three devices; times in whole seconds, many shared.
		at := t0.Add(time.Duration(rng.IntN(120)) * time.Second)
		pings = append(pings, writ.Ping{ID: int64(i + 1), Device: []string{"a", "b", "c"}[rng.IntN(3)], At: at,
			Lat: 50 + rng.Float64(), Lon: 4 + rng.Float64(), AccuracyM: float64(rng.IntN(50))})
	}
	want := Fixes(pings)
	near := make([]writ.NearPing, len(pings))
	for i, p := range pings {
		near[i] = writ.NearPing{ID: p.ID, Device: p.Device, At: p.At, Lat: p.Lat, Lon: p.Lon, AccuracyM: p.AccuracyM, Probe: -1}
	}
	for range 5 {
		rng.Shuffle(len(near), func(i, j int) { near[i], near[j] = near[j], near[i] })
		var b TrackBuilder
		for i := range near {
			b.Add(&near[i])
		}
		if got := b.Tracks(); !reflect.DeepEqual(got, want) {
			t.Fatalf("TrackBuilder of shuffled pings differs from Fixes of them in id order")
		}
	}
	if len(want) != 3 {
		t.Fatalf("weak test: %d tracks", len(want))
	}
}
