package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// The test world: a box around (52.0, 4.0), named devices D1 and D2, and
// devices D3, D4 that no location authority names.
var (
	locBox = writ.Polygon{{Lat: 51.99, Lon: 3.99}, {Lat: 51.99, Lon: 4.01}, {Lat: 52.01, Lon: 4.01}, {Lat: 52.01, Lon: 3.99}}
	devD1  = writ.Selector{Kind: writ.SelDevice, Value: "D1"}
	devD2  = writ.Selector{Kind: writ.SelDevice, Value: "D2"}
)

// locAuthority is an approved location authority of kind over days 0-10.
func (tm *team) locAuthority(kind writ.AuthorityKind, ref string, cat writ.Category, sels []writ.Selector, area writ.Polygon) *writ.Authority {
	now := time.Now().UTC()
	return tm.authority(tm.supC, AuthorityRequest{Kind: kind, IssuingBody: "District Court", Reference: ref,
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour), Categories: []writ.Category{cat},
		Selectors: sels, WindowStart: day(0), WindowEnd: day(10), Area: area}, true)
}

var pingSeq int

func (tm *team) insertPings(rows ...writ.Ping) {
	tm.e.t.Helper()
	for i := range rows {
		pingSeq++
		rows[i].AccuracyM = 10
		rows[i].Prov = writ.Provenance{Dataset: "pings", Source: "test.csv", Offset: int64(pingSeq),
			ContentHash: fmt.Sprintf("%064x", 1000000+pingSeq), Batch: "b1", BasisKind: "authority", BasisID: 1}
	}
	if _, err := tm.e.db.InsertPings(context.Background(), rows); err != nil {
		tm.e.t.Fatalf("InsertPings: %v", err)
	}
}

func ping(dev string, at time.Time, lat, lon float64) writ.Ping {
	return writ.Ping{Device: dev, At: at, Lat: lat, Lon: lon}
}

// walk is a device's fixes every 5 minutes for n steps from at, moving east.
func walk(dev string, at time.Time, n int, lat, lon float64) []writ.Ping {
	var out []writ.Ping
	for i := range n {
		out = append(out, ping(dev, at.Add(time.Duration(i)*5*time.Minute), lat, lon+float64(i)*0.0002))
	}
	return out
}

// checkGeoJSON checks a FeatureCollection: every feature has a geometry of a
// known type whose positions are [lon, lat] in range.
func checkGeoJSON(t *testing.T, raw []byte) map[string]int {
	t.Helper()
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
			Props    map[string]any  `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil || fc.Type != "FeatureCollection" || fc.Features == nil {
		t.Fatalf("GeoJSON = %s (%v), want a FeatureCollection", raw, err)
	}
	kinds := map[string]int{}
	for _, f := range fc.Features {
		var g struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		if err := json.Unmarshal(f.Geometry, &g); err != nil || f.Type != "Feature" || f.Props == nil {
			t.Fatalf("feature %s: %v", f.Geometry, err)
		}
		var pos [][]float64
		switch g.Type {
		case "Point":
			var p []float64
			err := json.Unmarshal(g.Coordinates, &p)
			if err != nil {
				t.Fatal(err)
			}
			pos = [][]float64{p}
		case "LineString":
			if err := json.Unmarshal(g.Coordinates, &pos); err != nil || len(pos) < 2 {
				t.Fatalf("LineString %s: %v", g.Coordinates, err)
			}
		case "MultiLineString":
			var ls [][][]float64
			if err := json.Unmarshal(g.Coordinates, &ls); err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				if len(l) < 2 {
					t.Fatalf("MultiLineString line with %d positions", len(l))
				}
				pos = append(pos, l...)
			}
		case "Polygon":
			var rings [][][]float64
			if err := json.Unmarshal(g.Coordinates, &rings); err != nil || len(rings) != 1 || len(rings[0]) < 4 {
				t.Fatalf("Polygon %s: %v", g.Coordinates, err)
			}
			r := rings[0]
			if r[0][0] != r[len(r)-1][0] || r[0][1] != r[len(r)-1][1] {
				t.Fatalf("Polygon ring not closed: %v", r)
			}
			pos = r
		default:
			t.Fatalf("geometry type %q", g.Type)
		}
		for _, p := range pos {
			if len(p) != 2 || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
				t.Fatalf("position %v is not [lon, lat]", p)
			}
			// [lon, lat]: in this world lon is near 4 and lat near 52.
			if p[0] > 10 || p[1] < 40 {
				t.Fatalf("position %v has lat and lon swapped", p)
			}
		}
		kinds[g.Type]++
	}
	return kinds
}

const locPurpose = "follow the forgery ring's couriers"

func TestTrajectoryClippedToGrant(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	a := tm.locAuthority(writ.KindSearchWarrant, "SW-LOC", writ.CatLocation, []writ.Selector{devD1, devD2}, locBox)
	// D1: a morning walk and an evening walk (a gap), inside; fixes outside
	// the window and outside the area; D3 (not named) walks alongside.
	tm.insertPings(walk("D1", day(2).Add(8*time.Hour), 6, 52.0, 4.0)...)
	tm.insertPings(walk("D1", day(2).Add(18*time.Hour), 4, 52.0, 4.0)...)
	tm.insertPings(ping("D1", day(-1), 52.0, 4.0), ping("D1", day(11), 52.0, 4.0), ping("D1", day(2).Add(12*time.Hour), 52.5, 4.5))
	tm.insertPings(walk("D3", day(2).Add(8*time.Hour), 6, 52.0, 4.0)...)

	q := ReadQuery{AuthorityID: a.ID, Purpose: locPurpose, Selectors: []writ.Selector{devD1}, From: day(1), To: day(5)}
	res, err := tm.invC.Trajectory(ctx, tm.caseID, q, nil)
	if err != nil {
		t.Fatalf("Trajectory: %v", err)
	}
	if len(res.Devices) != 1 || res.Devices[0].Device != "D1" {
		t.Fatalf("devices = %+v, want D1 only", res.Devices)
	}
	d := res.Devices[0]
	if d.Fixes != 10 || len(d.Segments) != 2 || len(d.Gaps) != 1 {
		t.Fatalf("D1: %d fixes, %d segments, %d gaps; want 10 fixes in 2 segments split by 1 gap", d.Fixes, len(d.Segments), len(d.Gaps))
	}
	for _, seg := range d.Segments {
		for _, p := range seg {
			if p.At.Before(q.From) || !p.At.Before(q.To) || !locBox.Contains(writ.Point{Lat: p.Lat, Lon: p.Lon}) {
				t.Errorf("trajectory point %+v outside the grant", p)
			}
		}
	}
	if en := e.lastEntry("location.trajectory"); en.Decision != writ.DecisionGranted || en.Results != 10 || en.AuthorityID != a.ID {
		t.Errorf("audit entry = %+v, want granted with 10 results", en)
	}
	// Simplification keeps the ends of a straight walk only.
	res, err = tm.invC.Trajectory(ctx, tm.caseID, q, Analytics{}.Set("tolerance", "5"))
	if err != nil || len(res.Devices[0].Segments[0]) != 2 {
		t.Fatalf("simplified trajectory = %+v, %v; want 2 points in the first segment", res, err)
	}

	raw, err := tm.invC.AnalyseGeoJSON(ctx, tm.caseID, "location/trajectory", q, nil)
	if err != nil {
		t.Fatalf("GeoJSON: %v", err)
	}
	if k := checkGeoJSON(t, raw); k["MultiLineString"] != 1 {
		t.Errorf("GeoJSON geometries = %v, want one MultiLineString", k)
	}

	// A device the authority does not name is refused by the gate.
	q3 := q
	q3.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "D3"}}
	_, err = tm.invC.Trajectory(ctx, tm.caseID, q3, nil)
	wantErr(t, "trajectory of D3", err, writ.EForbidden, "selector_named")
	// A window outside the authority's is refused.
	q4 := q
	q4.To = day(12)
	_, err = tm.invC.Trajectory(ctx, tm.caseID, q4, nil)
	wantErr(t, "trajectory past the window", err, writ.EForbidden, "window_inside")

	// Stays and home/work run on the same grant.
	tm.insertPings(walk("D2", day(3).Add(1*time.Hour), 12, 52.0, 4.0)...)
	tm.insertPings(ping("D2", day(3).Add(2*time.Hour), 52.008, 4.0)) // leaves: ends the stay
	st, err := tm.invC.Stays(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: locPurpose,
		Selectors: []writ.Selector{devD2}, From: day(3), To: day(4)}, Analytics{}.Set("dist", "500"))
	if err != nil || len(st.Devices) != 1 || len(st.Devices[0].Stays) != 1 || len(st.Devices[0].Places) != 1 {
		t.Fatalf("Stays = %+v, %v; want one stay at one place", st, err)
	}
	raw, err = tm.invC.AnalyseGeoJSON(ctx, tm.caseID, "location/stays", ReadQuery{AuthorityID: a.ID, Purpose: locPurpose,
		Selectors: []writ.Selector{devD2}, From: day(3), To: day(4)}, Analytics{}.Set("dist", "500"))
	if err != nil {
		t.Fatal(err)
	}
	if k := checkGeoJSON(t, raw); k["Point"] != 2 {
		t.Errorf("stays GeoJSON = %v, want 2 points (stay and place)", k)
	}
	hw, err := tm.invC.HomeWork(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: locPurpose,
		Selectors: []writ.Selector{devD2}}, Analytics{}.Set("dist", "500"))
	if err != nil || len(hw.Devices) != 1 || hw.Devices[0].Home == nil || hw.Devices[0].Home.Confidence <= 0 {
		t.Fatalf("HomeWork = %+v, %v; want a home (night dwell) with confidence", hw, err)
	}
}

// TestCoLocationExcludeHomeWork: with exclude=homework the target's fixes
// at its inferred home are left out, so the household met only there drops
// out and the company kept elsewhere stays; the result names the home left
// out, and the GeoJSON draws it.
func TestCoLocationExcludeHomeWork(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	devD3 := writ.Selector{Kind: writ.SelDevice, Value: "D3"}
	a := tm.locAuthority(writ.KindSearchWarrant, "SW-HW", writ.CatLocation, []writ.Selector{devD1, devD2, devD3}, nil)
	const homeLat, homeLon = 52.0, 4.0
	for d := 1; d <= 4; d++ {
		// Nights at home, D1 (the target) and D2 (the household) together.
		for i := range 24 {
			at := day(d).Add(22*time.Hour + time.Duration(i)*20*time.Minute)
			tm.insertPings(ping("D1", at, homeLat, homeLon), ping("D2", at, homeLat, homeLon+0.0001))
		}
	}
	for _, d := range []int{2, 4} { // lunch with D3 at a café 2 km away
		at := day(d).Add(12 * time.Hour)
		tm.insertPings(walk("D1", at, 4, homeLat+0.018, homeLon)...)
		tm.insertPings(walk("D3", at, 4, homeLat+0.018, homeLon)...)
	}
	q := ReadQuery{AuthorityID: a.ID, Purpose: locPurpose, Selectors: []writ.Selector{devD1}}
	devices := func(res *CoLocationResult) []string {
		var out []string
		for _, d := range res.Devices {
			out = append(out, d.Device)
		}
		return out
	}
	all, err := tm.invC.CoLocation(ctx, tm.caseID, q, nil)
	if err != nil {
		t.Fatalf("CoLocation: %v", err)
	}
	if got := devices(all); !slices.Equal(got, []string{"D2", "D3"}) || all.Excluded != nil || all.Exclude != "" {
		t.Fatalf("co-located = %v (excluded %v); want D2 (4 nights at home), then D3, nothing excluded", got, all.Excluded)
	}
	res, err := tm.invC.CoLocation(ctx, tm.caseID, q, Analytics{}.Set("exclude", "homework"))
	if err != nil {
		t.Fatalf("CoLocation(exclude=homework): %v", err)
	}
	if got := devices(res); !slices.Equal(got, []string{"D3"}) {
		t.Errorf("co-located without home and work = %v; want D3 only", got)
	}
	if res.Exclude != "homework" || len(res.Excluded) != 1 || res.Excluded[0].Kind != "home" || res.ExcludedRadiusM != 150 ||
		math.Abs(res.Excluded[0].Lat-homeLat) > 0.001 || math.Abs(res.Excluded[0].Lon-homeLon) > 0.001 {
		t.Errorf("excluded = %+v within %v m; want the home at (%v, %v) within 150 m", res.Excluded, res.ExcludedRadiusM, homeLat, homeLon)
	}
	raw, err := tm.invC.AnalyseGeoJSON(ctx, tm.caseID, "location/colocation", q, Analytics{}.Set("exclude", "homework"))
	if err != nil {
		t.Fatal(err)
	}
	if k := checkGeoJSON(t, raw); k["Polygon"] != 1 || k["LineString"]+k["MultiLineString"] == 0 {
		t.Errorf("co-location GeoJSON = %v; want the target's track and the home left out", k)
	}
	// Over Sunday's lunch alone there is no night and no weekday: nothing
	// to leave out, and the answer says so by echoing exclude alone.
	sunday := q
	sunday.From, sunday.To = day(2).Add(11*time.Hour), day(2).Add(13*time.Hour)
	res, err = tm.invC.CoLocation(ctx, tm.caseID, sunday, Analytics{}.Set("exclude", "homework"))
	if err != nil || res.Exclude != "homework" || len(res.Excluded) != 0 || !slices.Equal(devices(res), []string{"D3"}) {
		t.Errorf("co-location over Sunday's lunch = %+v, %v; want exclude echoed, nothing excluded, D3", res, err)
	}
	// exclude=homework infers the home as location/homework does, with the
	// same settings: stays of at least 9 hours find no home in nights under 8,
	// in both, and then nothing is left out and the household stays.
	long := Analytics{}.Set("min", "9h")
	hw, err := tm.invC.HomeWork(ctx, tm.caseID, q, long)
	if err != nil || len(hw.Devices) != 1 || hw.Devices[0].Home != nil {
		t.Fatalf("HomeWork(min=9h) = %+v, %v; want no home", hw, err)
	}
	res, err = tm.invC.CoLocation(ctx, tm.caseID, q, long.Set("exclude", "homework"))
	if err != nil || len(res.Excluded) != 0 || !slices.Equal(devices(res), []string{"D2", "D3"}) {
		t.Errorf("co-location with exclude=homework, min=9h = %+v, %v; want nothing excluded, D2 and D3", res, err)
	}
	for _, bad := range []Analytics{Analytics{}.Set("exclude", "work"), Analytics{}.Set("exclude", "homework").Set("tz", "Mars/Olympus"),
		Analytics{}.Set("min", "9h"), Analytics{}.Set("tz", "UTC"), Analytics{}.Set("exclude", "homework").Set("eps", "wide")} {
		_, err := tm.invC.CoLocation(ctx, tm.caseID, q, bad)
		wantErr(t, fmt.Sprintf("co-location with %v", bad), err, writ.EInvalid, "")
	}
}

func TestCoLocationCandidatesInsideGrant(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	a := tm.locAuthority(writ.KindSearchWarrant, "SW-CO", writ.CatLocation, []writ.Selector{devD1, devD2}, nil)
	g1 := tm.locAuthority(writ.KindGeofence1, "GF-1", writ.CatLocation, nil, locBox)
	// D1 (target) meets D2 (named) and D3 (not named) on two days.
	for _, d := range []int{2, 4} {
		at := day(d).Add(12 * time.Hour)
		tm.insertPings(walk("D1", at, 4, 52.0, 4.0)...)
		tm.insertPings(walk("D2", at, 4, 52.0, 4.0)...)
		tm.insertPings(walk("D3", at, 4, 52.0, 4.0)...)
	}
	q := ReadQuery{AuthorityID: a.ID, Purpose: locPurpose, Selectors: []writ.Selector{devD1}}
	res, err := tm.invC.CoLocation(ctx, tm.caseID, q, nil)
	if err != nil {
		t.Fatalf("CoLocation: %v", err)
	}
	if len(res.Devices) != 1 || res.Devices[0].Device != "D2" || res.Devices[0].Days != 2 || res.Pseudonymous {
		t.Fatalf("co-located = %+v, want D2 only (D3 is not covered by the grant)", res.Devices)
	}
	// Only pings near the target's are read: D2's 8, not the target's own.
	if en := e.lastEntry("location.colocation.candidates"); en.Decision != writ.DecisionGranted || en.Results != 8 {
		t.Errorf("candidates audit = %+v, want granted with 8 rows (D2's)", en)
	}
	// Candidates from an area search come back as tokens of that authority.
	res, err = tm.invC.CoLocation(ctx, tm.caseID, q, Analytics{}.SetID("candidates", g1.ID))
	if err != nil {
		t.Fatalf("CoLocation(candidates): %v", err)
	}
	if len(res.Devices) != 2 || !res.Pseudonymous {
		t.Fatalf("co-located = %+v, want two tokens", res.Devices)
	}
	for _, d := range res.Devices {
		if !strings.HasPrefix(d.Device, "T") || len(d.Device) != 17 {
			t.Errorf("candidate %q is not a token", d.Device)
		}
	}
	// Candidates under an area authority that is not step 1: refused, audited.
	sw := tm.locAuthority(writ.KindSearchWarrant, "SW-AREA", writ.CatLocation, nil, locBox)
	_, err = tm.invC.CoLocation(ctx, tm.caseID, q, Analytics{}.SetID("candidates", sw.ID))
	wantErr(t, "candidates under a search warrant area", err, writ.EForbidden, ruleGeofenceStep)
	if en := e.lastEntry("location.colocation.candidates"); en.Decision != writ.DecisionDenied || en.Rule != ruleGeofenceStep {
		t.Errorf("audit = %+v, want the denial", en)
	}
	// And trajectories under an area authority are refused: tokens only.
	_, err = tm.invC.Trajectory(ctx, tm.caseID, ReadQuery{AuthorityID: sw.ID, Purpose: locPurpose}, nil)
	wantErr(t, "trajectory under an area authority", err, writ.EForbidden, ruleAreaTokens)
	if en := e.lastEntry("location.trajectory"); en.Decision != writ.DecisionDenied || en.Rule != ruleAreaTokens {
		t.Errorf("audit = %+v, want the denial", en)
	}
}

func TestGeofenceThreeSteps(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	sw := tm.locAuthority(writ.KindSearchWarrant, "SW-1", writ.CatLocation, []writ.Selector{devD1}, locBox)
	g1 := tm.locAuthority(writ.KindGeofence1, "GF-1", writ.CatLocation, nil, locBox)
	// D1, D2, D3 in the box on day 2; D4 elsewhere. D1 also moves on day 6.
	for _, d := range []string{"D1", "D2", "D3"} {
		tm.insertPings(walk(d, day(2).Add(10*time.Hour), 3, 52.0, 4.0)...)
	}
	tm.insertPings(walk("D4", day(2).Add(10*time.Hour), 3, 53.0, 5.0)...)
	tm.insertPings(walk("D1", day(6).Add(10*time.Hour), 3, 52.3, 4.3)...)
	tm.insertPings(walk("D2", day(6).Add(10*time.Hour), 3, 52.3, 4.3)...)

	step1Q := ReadQuery{AuthorityID: g1.ID, Purpose: locPurpose, From: day(2), To: day(3)}
	// Step 1 without its own authority: refused and audited.
	_, err := tm.invC.GeofenceStep1(ctx, tm.caseID, ReadQuery{AuthorityID: sw.ID, Purpose: locPurpose, From: day(2), To: day(3)})
	wantErr(t, "step 1 under a search warrant", err, writ.EForbidden, ruleGeofenceStep)
	if en := e.lastEntry("geofence.step1"); en.Decision != writ.DecisionDenied || en.Rule != ruleGeofenceStep {
		t.Errorf("audit = %+v, want the step-1 denial", en)
	}

	r1, err := tm.invC.GeofenceStep1(ctx, tm.caseID, step1Q)
	if err != nil {
		t.Fatalf("step 1: %v", err)
	}
	if r1.Devices != 3 || len(r1.Tokens) != 3 || r1.Fixes != 9 {
		t.Fatalf("step 1 = %+v, want 3 devices with 9 fixes", r1)
	}
	body, _ := json.Marshal(r1)
	for _, d := range []string{"D1", "D2", "D3", "D4"} {
		if strings.Contains(string(body), `"`+d+`"`) {
			t.Fatalf("step 1 reveals %s: %s", d, body)
		}
	}
	if en := e.lastEntry("geofence.step1"); en.Decision != writ.DecisionGranted || en.Results != 9 {
		t.Errorf("step-1 audit = %+v, want granted with 9 rows", en)
	}
	raw, err := tm.invC.AnalyseGeoJSON(ctx, tm.caseID, "geofence/step1", step1Q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := checkGeoJSON(t, raw); k["Polygon"] != 1 || len(k) != 1 {
		t.Errorf("step-1 GeoJSON = %v, want the area only", k)
	}
	// Tokens are keyed per authority: another step-1 warrant's differ.
	g1b := tm.locAuthority(writ.KindGeofence1, "GF-1b", writ.CatLocation, nil, locBox)
	r1b, err := tm.invC.GeofenceStep1(ctx, tm.caseID, ReadQuery{AuthorityID: g1b.ID, Purpose: locPurpose, From: day(2), To: day(3)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r1.Tokens {
		for _, b := range r1b.Tokens {
			if a.Token == b.Token {
				t.Fatalf("token %s is the same under two authorities", a.Token)
			}
		}
	}

	chosen := []writ.Selector{{Kind: writ.SelDevice, Value: r1.Tokens[0].Token}, {Kind: writ.SelDevice, Value: r1.Tokens[1].Token}}
	// Step 2 under the step-1 authority: refused and audited.
	_, err = tm.invC.GeofenceStep2(ctx, tm.caseID, g1.ID, ReadQuery{AuthorityID: g1.ID, Purpose: locPurpose}, nil)
	wantErr(t, "step 2 under step 1's authority", err, writ.EForbidden, ruleGeofenceStep)
	if en := e.lastEntry("geofence.step2"); en.Decision != writ.DecisionDenied || en.Rule != ruleGeofenceStep {
		t.Errorf("audit = %+v, want the step-2 denial", en)
	}
	// A step-2 authority naming the two chosen tokens, with no area.
	g2 := tm.locAuthority(writ.KindGeofence2, "GF-2", writ.CatLocation, chosen, nil)
	// Its step1 must be a step-1 authority.
	_, err = tm.invC.GeofenceStep2(ctx, tm.caseID, sw.ID, ReadQuery{AuthorityID: g2.ID, Purpose: locPurpose}, nil)
	wantErr(t, "step 2 chained to a search warrant", err, writ.EForbidden, ruleGeofenceChain)
	r2, err := tm.invC.GeofenceStep2(ctx, tm.caseID, g1.ID, ReadQuery{AuthorityID: g2.ID, Purpose: locPurpose}, nil)
	if err != nil {
		t.Fatalf("step 2: %v", err)
	}
	fixes := 0
	for _, tr := range r2.Tracks {
		fixes += tr.Fixes
		if tr.Device != chosen[0].Value && tr.Device != chosen[1].Value {
			t.Errorf("step 2 track %q is not a chosen token", tr.Device)
		}
	}
	body, _ = json.Marshal(r2)
	for _, d := range []string{"D1", "D2", "D3", "D4"} {
		if strings.Contains(string(body), `"`+d+`"`) {
			t.Fatalf("step 2 reveals %s: %s", d, body)
		}
	}
	// The chosen two of D1-D3 over the wider window: 3 fixes each on day 2,
	// plus 3 on day 6 for each of D1 and D2 among them.
	want := 0
	devOf := map[string]string{}
	for _, tok := range chosen {
		for _, d := range []string{"D1", "D2", "D3"} {
			if gfTokenOf(t, e, g1.ID, d) == tok.Value {
				devOf[tok.Value] = d
				want += 3
				if d != "D3" {
					want += 3
				}
			}
		}
	}
	if len(r2.Tracks) != 2 || fixes != want {
		t.Fatalf("step 2: %d tracks with %d fixes, want 2 with %d", len(r2.Tracks), fixes, want)
	}
	if en := e.lastEntry("geofence.step2"); en.Decision != writ.DecisionGranted || en.Results != int64(want) {
		t.Errorf("step-2 audit = %+v, want granted with %d rows", en, want)
	}
	if en := e.lastEntry("geofence.step2.tokens"); en.Decision != writ.DecisionGranted || en.AuthorityID != g1.ID {
		t.Errorf("token map audit = %+v, want the step-1 read under %d", en, g1.ID)
	}

	// Step 3 under the step-2 authority: refused and audited.
	_, err = tm.invC.GeofenceStep3(ctx, tm.caseID, g1.ID, ReadQuery{AuthorityID: g2.ID, Purpose: locPurpose})
	wantErr(t, "step 3 under step 2's authority", err, writ.EForbidden, ruleGeofenceStep)
	if en := e.lastEntry("geofence.step3"); en.Decision != writ.DecisionDenied || en.Rule != ruleGeofenceStep {
		t.Errorf("audit = %+v, want the step-3 denial", en)
	}
	// A step-3 authority names one token: only that one is identified.
	g3 := tm.locAuthority(writ.KindGeofence3, "GF-3", writ.CatLocation, chosen[:1], nil)
	r3, err := tm.invC.GeofenceStep3(ctx, tm.caseID, g1.ID, ReadQuery{AuthorityID: g3.ID, Purpose: locPurpose})
	if err != nil {
		t.Fatalf("step 3: %v", err)
	}
	if len(r3.Identified) != 1 || r3.Identified[0].Token != chosen[0].Value || r3.Identified[0].Device != devOf[chosen[0].Value] {
		t.Fatalf("step 3 = %+v, want %s identified as %s", r3.Identified, chosen[0].Value, devOf[chosen[0].Value])
	}
	// Naming the other token under the step-3 authority is refused.
	_, err = tm.invC.GeofenceStep3(ctx, tm.caseID, g1.ID, ReadQuery{AuthorityID: g3.ID, Purpose: locPurpose, Selectors: chosen[1:]})
	wantErr(t, "step 3 of a token its authority does not name", err, writ.EForbidden, "selector_named")
	// The raw analytics refuse geofence authorities.
	_, err = tm.invC.Trajectory(ctx, tm.caseID, ReadQuery{AuthorityID: g3.ID, Purpose: locPurpose}, nil)
	wantErr(t, "trajectory under a step-3 authority", err, writ.EForbidden, ruleGeofenceStep)
}

// gfTokenOf is the token of device under a step-1 authority, as the server
// computes it.
func gfTokenOf(t *testing.T, e *env, authority int64, device string) string {
	t.Helper()
	return geoToken(e.srv.cfg.GeoSecret, authority, device)
}

func TestPlates(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	lead := writ.Selector{Kind: writ.SelPlate, Value: "AB123C"}
	a := tm.locAuthority(writ.KindSearchWarrant, "SW-P", writ.CatPlates, []writ.Selector{lead}, nil)
	area := tm.locAuthority(writ.KindSearchWarrant, "SW-PA", writ.CatPlates, nil, locBox)
	var rows []writ.PlateRead
	add := func(plate, cam string, at time.Time, lat float64) {
		rows = append(rows, writ.PlateRead{Plate: plate, Camera: cam, At: at, Lat: lat, Lon: 4.0,
			Prov: writ.Provenance{Dataset: "anpr", Source: "t.csv", Offset: int64(len(rows) + 1),
				ContentHash: fmt.Sprintf("%064x", 5000+len(rows)), Batch: "b", BasisKind: "authority", BasisID: a.ID}})
	}
	t0 := day(3).Add(9 * time.Hour)
	for i, cam := range []string{"C1", "C2", "C3"} {
		at := t0.Add(time.Duration(i) * 10 * time.Minute)
		add("AB123C", cam, at, 52.0)
		add("FOLLOW1", cam, at.Add(20*time.Second), 52.0)
	}
	add("PASSER", "C1", t0.Add(30*time.Second), 52.0)
	add("HOT999", "C2", day(4), 52.0)
	add("H0T999", "C2", day(5), 52.0)  // a misread (0 for O)
	add("HOT999", "C2", day(12), 52.0) // after the window
	add("AB123C", "C9", day(3), 53.0)  // outside the area, inside the named plate's reach
	if _, err := e.db.InsertPlateReads(ctx, rows); err != nil {
		t.Fatal(err)
	}

	sg, err := tm.invC.Sightings(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: locPurpose})
	if err != nil || len(sg.Sightings) != 4 {
		t.Fatalf("Sightings = %+v, %v; want the lead's 4 reads", sg, err)
	}
	for _, s := range sg.Sightings {
		if s.Plate != "AB123C" {
			t.Errorf("sighting of %s under an authority naming only AB123C", s.Plate)
		}
	}
	raw, err := tm.invC.AnalyseGeoJSON(ctx, tm.caseID, "plates/sightings", ReadQuery{AuthorityID: a.ID, Purpose: locPurpose}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := checkGeoJSON(t, raw); k["Point"] != 4 {
		t.Errorf("sightings GeoJSON = %v, want 4 points", k)
	}

	hq := ReadQuery{AuthorityID: area.ID, Purpose: locPurpose}
	hl, err := tm.invC.Hotlist(ctx, tm.caseID, hq, []string{"hot 999"}, false)
	if err != nil || len(hl.Hits) != 1 || !hl.Hits[0].Exact {
		t.Fatalf("Hotlist = %+v, %v; want the one exact hit inside the window", hl, err)
	}
	hl, err = tm.invC.Hotlist(ctx, tm.caseID, hq, []string{"HOT999"}, true)
	if err != nil || len(hl.Hits) != 2 {
		t.Fatalf("fuzzy Hotlist = %+v, %v; want 2 hits (the day-12 read is outside the grant)", hl, err)
	}
	for _, h := range hl.Hits {
		if h.Read.At.Before(hl.Grant.From) || !h.Read.At.Before(hl.Grant.To) {
			t.Errorf("hit %+v outside the grant's window", h)
		}
	}
	// A narrower window narrows the hits.
	hq.From, hq.To = day(0), day(4).Add(time.Hour)
	if hl, err = tm.invC.Hotlist(ctx, tm.caseID, hq, []string{"HOT999"}, true); err != nil || len(hl.Hits) != 1 {
		t.Fatalf("Hotlist in days 0-4 = %+v, %v; want 1 hit", hl, err)
	}

	cq := ReadQuery{AuthorityID: a.ID, Purpose: locPurpose, Selectors: []writ.Selector{lead}}
	cv, err := tm.invC.Convoy(ctx, tm.caseID, cq, nil)
	if err != nil || len(cv.Convoys) != 0 {
		t.Fatalf("Convoy without candidates = %+v, %v; want none (the authority names no other plate)", cv, err)
	}
	cv, err = tm.invC.Convoy(ctx, tm.caseID, cq, Analytics{}.SetID("candidates", area.ID))
	if err != nil || len(cv.Convoys) != 1 || cv.Convoys[0].Plate != "FOLLOW1" || cv.Convoys[0].Cameras != 3 {
		t.Fatalf("Convoy = %+v, %v; want FOLLOW1 at 3 cameras", cv, err)
	}
	if en := e.lastEntry("plates.convoy.candidates"); en.Decision != writ.DecisionGranted || en.AuthorityID != area.ID {
		t.Errorf("candidates audit = %+v", en)
	}
	_, err = tm.outC.Convoy(ctx, tm.caseID, cq, nil)
	wantErr(t, "convoy by an outsider", err, writ.EForbidden, "roster_member")
}
