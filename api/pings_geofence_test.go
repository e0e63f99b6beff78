package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// TestPingsReadKeepsGeofenceSteps checks that the plain pings read cannot be
// used to skip the geofence process: under a step-1 authority, or any
// location authority that names no devices, it is refused and audited, so raw
// device ids come only through step 3.
func TestPingsReadKeepsGeofenceSteps(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	g1 := tm.locAuthority(writ.KindGeofence1, "GF-9", writ.CatLocation, nil, locBox)
	areaOnly := tm.locAuthority(writ.KindSearchWarrant, "SW-AREA", writ.CatLocation, nil, locBox)
	named := tm.locAuthority(writ.KindSearchWarrant, "SW-D1", writ.CatLocation, []writ.Selector{devD1}, locBox)
	tm.insertPings(walk("D1", day(2).Add(10*time.Hour), 3, 52.0, 4.0)...)
	tm.insertPings(walk("D2", day(2).Add(10*time.Hour), 3, 52.0, 4.0)...)

	for _, tc := range []struct {
		name string
		auth int64
		rule string
	}{{"geofence step 1", g1.ID, ruleGeofenceStep}, {"area-only warrant", areaOnly.ID, ruleAreaTokens}} {
		_, err := tm.invC.Pings(ctx, tm.caseID, ReadQuery{AuthorityID: tc.auth, Purpose: locPurpose, From: day(2), To: day(3)})
		wantErr(t, tc.name, err, writ.EForbidden, tc.rule)
		if en := e.lastEntry("read.pings"); en.Decision != writ.DecisionDenied || en.Rule != tc.rule || en.AuthorityID != tc.auth {
			t.Errorf("%s: audit = %+v, want a denial with rule %s", tc.name, en, tc.rule)
		}
	}
	// A warrant naming the device still reads its raw pings, and only its.
	p, err := tm.invC.Pings(ctx, tm.caseID, ReadQuery{AuthorityID: named.ID, Purpose: locPurpose, From: day(2), To: day(3)})
	if err != nil {
		t.Fatalf("Pings under a warrant naming D1: %v", err)
	}
	for _, r := range p.Rows {
		if r.Device != "D1" {
			t.Fatalf("Pings returned device %s, which the warrant does not name", r.Device)
		}
	}
	if len(p.Rows) != 3 {
		t.Errorf("Pings = %d rows, want D1's 3", len(p.Rows))
	}
}

// TestAnalysesRefusePaging checks that an analysis, which reads everything
// its grant covers, refuses limit and after rather than ignoring them.
func TestAnalysesRefusePaging(t *testing.T) {
	e := newSQLiteEnv(t)
	tm := e.team()
	named := tm.locAuthority(writ.KindSearchWarrant, "SW-P", writ.CatLocation, []writ.Selector{devD1}, locBox)
	for _, q := range []ReadQuery{{Limit: 10}, {After: 5}} {
		q.AuthorityID, q.Purpose, q.From, q.To = named.ID, locPurpose, day(2), day(3)
		var out json.RawMessage
		err := tm.invC.Analyse(context.Background(), tm.caseID, "location/trajectory", q, nil, &out)
		if writ.ErrorKind(err) != writ.EInvalid || !strings.Contains(writ.ErrorMessage(err), "do not apply") {
			t.Errorf("trajectory with limit %d after %d = %v; want invalid: paging does not apply", q.Limit, q.After, err)
		}
	}
}
