package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/graph"
)

// commsWorld is the team's standard pen-register order (phoneA, phoneB) over
// contacts: the read tests' seven rows plus a party both targets call, a
// contact between two non-targets, and one more outside the window.
type commsWorld struct {
	tm       *team
	auth     *writ.Authority
	q        ReadQuery
	inside   int      // contact rows inside the grant
	shown    []string // non-target numbers that may appear (as pseudonyms)
	hidden   []string // non-target numbers that must not appear at all
	nonTargs []string // every non-target number in the data
}

const (
	common1  = "+15551110007" // called by both targets
	between1 = "+15551110008" // only in contact with another non-target
)

func newCommsWorld(t *testing.T) *commsWorld {
	e := newSQLiteEnv(t)
	tm := e.team()
	a := tm.authority(tm.invC, penRegister("PR-COMMS"), true)
	inside := tm.insertContacts(a.ID)
	rows := []writ.Contact{
		{Caller: phoneA.Value, Callee: common1, StartedAt: day(3).Add(14 * time.Hour), DurationSec: 30, Type: "call"},
		{Caller: common1, Callee: phoneB.Value, StartedAt: day(4).Add(15 * time.Hour), DurationSec: 40, Type: "call"},
		{Caller: phoneB.Value, Callee: common1, StartedAt: day(5).Add(16 * time.Hour), DurationSec: 50, Type: "call"},
		{Caller: common1, Callee: between1, StartedAt: day(6), DurationSec: 60, Type: "call"},            // two non-targets
		{Caller: between1, Callee: "+15551110009", StartedAt: day(7), DurationSec: 5, Type: "sms"},       // two non-targets
		{Caller: phoneA.Value, Callee: "+15551110010", StartedAt: day(45), DurationSec: 5, Type: "call"}, // after the window
	}
	for i := range rows {
		rows[i].Prov = writ.Provenance{Dataset: "cdr", Source: "comms.csv", Offset: int64(i + 1),
			ContentHash: fmt.Sprintf("%064x", 1000+i), Batch: "b2", BasisKind: "authority", BasisID: a.ID}
	}
	if n, err := e.db.InsertContacts(context.Background(), rows); err != nil || n != len(rows) {
		t.Fatalf("InsertContacts = %d, %v", n, err)
	}
	return &commsWorld{tm: tm, auth: a, q: ReadQuery{AuthorityID: a.ID, Purpose: purpose, From: day(0), To: day(30)},
		inside: len(inside) + 3,
		shown:  []string{"+15551110001", "+15551110002", "+15551110003", common1},
		hidden: []string{"+15551110004", "+15551110005", "+15551110006", between1, "+15551110009", "+15551110010"},
		nonTargs: []string{"+15551110001", "+15551110002", "+15551110003", "+15551110004", "+15551110005",
			"+15551110006", common1, between1, "+15551110009", "+15551110010", phoneX.Value}}
}

func (w *commsWorld) pseudonym(number string) string {
	return graph.Pseudonymize(w.tm.e.log.PseudonymKey(w.auth.ID), number)
}

// raw sends GET /api/cases/{case}/comms/{what} and returns status and body.
func (w *commsWorld) raw(c *Client, what string, q ReadQuery, extra url.Values) (int, []byte) {
	w.tm.e.t.Helper()
	v := q.Values()
	for k, x := range extra {
		v[k] = x
	}
	req, err := http.NewRequest("GET", c.BaseURL+fmt.Sprintf("/api/cases/%d/comms/%s?%s", w.tm.caseID, what, v.Encode()), nil)
	if err != nil {
		w.tm.e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		w.tm.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// noRawNumbers fails if body holds any non-target number, in any spelling
// of its digits.
func (w *commsWorld) noRawNumbers(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, n := range w.nonTargs {
		for _, form := range []string{n, strings.TrimPrefix(n, "+"), n[len(n)-7:]} {
			if bytes.Contains(body, []byte(form)) {
				t.Errorf("%s: response holds non-target number %s (as %q)", what, n, form)
			}
		}
	}
}

var commsEndpoints = []struct {
	what  string
	extra url.Values
}{
	{"summary", nil},
	{"common", url.Values{"min": {"2"}}},
	{"expand", url.Values{"k": {"3"}}},
	{"path", url.Values{"a": {phoneA.Value}, "b": {phoneB.Value}}},
	{"communities", nil},
	{"centrality", nil},
	{"activity", nil},
	{"switches", nil},
	{"export", url.Values{"format": {"graphml"}, "communities": {"true"}}},
	{"export", url.Values{"format": {"gexf"}, "communities": {"true"}}},
	{"export", url.Values{"format": {"csv"}}},
}

func TestCommsMasksNonTargetsAndStaysInsideTheGrant(t *testing.T) {
	w := newCommsWorld(t)
	e := w.tm.e
	for _, ep := range commsEndpoints {
		name := ep.what + "?" + ep.extra.Encode()
		code, body := w.raw(w.tm.invC, ep.what, w.q, ep.extra)
		if code != http.StatusOK {
			t.Fatalf("%s = %d %s", name, code, body)
		}
		w.noRawNumbers(t, name, body)
		for _, n := range w.hidden {
			if bytes.Contains(body, []byte(w.pseudonym(n))) {
				t.Errorf("%s: shows %s (pseudonym %s), a party outside the grant", name, n, w.pseudonym(n))
			}
		}
		got := e.lastEntry("read.comms." + ep.what)
		if got.Decision != writ.DecisionGranted || got.Results != int64(w.inside) || got.ActorID != w.tm.inv.ID {
			t.Errorf("%s: audit entry = %+v, want granted to %d with %d contact rows", name, got, w.tm.inv.ID, w.inside)
		}
	}
	// Everything in the grant does show, under its pseudonym.
	code, body := w.raw(w.tm.invC, "export", w.q, url.Values{"format": {"csv"}})
	if code != http.StatusOK {
		t.Fatalf("export csv = %d", code)
	}
	for _, n := range w.shown {
		if !bytes.Contains(body, []byte(w.pseudonym(n))) {
			t.Errorf("csv export lacks the pseudonym of %s, a direct contact inside the grant:\n%s", n, body)
		}
	}
}

func TestCommsResults(t *testing.T) {
	w := newCommsWorld(t)
	ctx := context.Background()
	c := w.tm.invC
	ps := w.pseudonym(common1)

	sum, err := c.CommsSummary(ctx, w.tm.caseID, w.q, nil)
	if err != nil {
		t.Fatalf("CommsSummary: %v", err)
	}
	if !slices.Equal(sum.Targets, []string{phoneA.Value, phoneB.Value}) || sum.Contacts != w.inside || sum.Parties != 6 {
		t.Errorf("summary targets %v, %d contacts, %d parties; want [A B], %d, 6", sum.Targets, sum.Contacts, sum.Parties, w.inside)
	}
	// B called A once; A never called B.
	if want := [][]int{{0, 0}, {1, 0}}; fmt.Sprint(sum.Matrix) != fmt.Sprint(want) {
		t.Errorf("matrix = %v, want %v", sum.Matrix, want)
	}
	var bc *CommsPair
	for i, p := range sum.Pairs {
		if p.A == phoneB.Value && p.B == ps {
			bc = &sum.Pairs[i]
		}
	}
	if bc == nil || bc.Count != 2 || bc.FromA != 1 || bc.ToA != 1 || bc.DurationS != 90 || bc.Direction != "both" {
		t.Errorf("pair B–common = %+v, want 2 contacts, one each way, 90 s, both (pairs %+v)", bc, sum.Pairs)
	}
	if len(sum.Pairs) != 6 {
		t.Errorf("summary has %d pairs, want 6: %+v", len(sum.Pairs), sum.Pairs)
	}

	com, err := c.CommsCommon(ctx, w.tm.caseID, w.q, nil)
	if err != nil {
		t.Fatalf("CommsCommon: %v", err)
	}
	if len(com.Common) != 1 || com.Common[0].Party != ps || com.Common[0].Count != 3 ||
		!slices.Equal(com.Common[0].Targets, []string{phoneA.Value, phoneB.Value}) {
		t.Errorf("common = %+v, want only %s with both targets, 3 contacts", com.Common, ps)
	}

	path, err := c.CommsPath(ctx, w.tm.caseID, w.q, url.Values{"a": {w.pseudonym("+15551110001")}, "b": {w.pseudonym("+15551110003")}})
	if err != nil {
		t.Fatalf("CommsPath: %v", err)
	}
	if !path.Found || path.Hops != 3 || len(path.Path) != 4 || path.Path[1] != phoneA.Value || path.Path[2] != phoneB.Value {
		t.Errorf("path 0001 → 0003 = %+v, want 0001, A, B, 0003", path)
	}
	// Hubs are not passed through: with hub_min 3 both targets are hubs.
	path, err = c.CommsPath(ctx, w.tm.caseID, w.q, url.Values{"a": {w.pseudonym("+15551110001")}, "b": {w.pseudonym("+15551110003")}, "hub_min": {"3"}, "hub_factor": {"0.01"}})
	if err != nil || path.Found {
		t.Errorf("path through hubs = %+v, %v; want not found", path, err)
	}

	exp, err := c.CommsExpand(ctx, w.tm.caseID, w.q, url.Values{"k": {"1"}, "seed": {phoneA.Value}})
	if err != nil {
		t.Fatalf("CommsExpand: %v", err)
	}
	hops := map[string]int{}
	for _, r := range exp.Reached {
		hops[r.Party] = r.Hop
	}
	if len(hops) != 5 || hops[phoneA.Value] != 0 || hops[phoneB.Value] != 1 || hops[ps] != 1 {
		t.Errorf("1-hop expansion from A = %+v, want A, B, common, 0001, 0002", exp.Reached)
	}
	exp, err = c.CommsExpand(ctx, w.tm.caseID, w.q, url.Values{"k": {"2"}, "seed": {w.pseudonym("+15551110001")}, "hub_min": {"4"}, "hub_factor": {"0.01"}})
	if err != nil {
		t.Fatalf("CommsExpand(hubs): %v", err)
	}
	var hubA bool
	for _, r := range exp.Reached {
		if r.Party == phoneA.Value {
			hubA = r.Hub
		}
		if r.Hop > 1 {
			t.Errorf("expansion went through hub A to %+v", r)
		}
	}
	if !hubA || len(exp.Reached) != 2 {
		t.Errorf("expansion from 0001 with A a hub = %+v, want 0001 and A flagged as hub", exp.Reached)
	}

	cen, err := c.CommsCentrality(ctx, w.tm.caseID, w.q, nil)
	if err != nil {
		t.Fatalf("CommsCentrality: %v", err)
	}
	if len(cen.Parties) != 6 || !cen.Parties[0].Target || cen.Parties[0].Betweenness <= 0 {
		t.Errorf("centrality = %+v, want 6 parties led by a target with betweenness", cen.Parties)
	}
	top := 0.0
	for _, p := range cen.Parties {
		if p.Eigenvector <= 0 || p.Eigenvector > 1 {
			t.Errorf("centrality: %s has eigenvector %g, want in (0, 1]", p.Party, p.Eigenvector)
		}
		top = max(top, p.Eigenvector)
	}
	if top != 1 {
		t.Errorf("centrality: largest eigenvector %g, want 1", top)
	}
	cm, err := c.CommsCommunities(ctx, w.tm.caseID, w.q, nil)
	if err != nil {
		t.Fatalf("CommsCommunities: %v", err)
	}
	n := 0
	for _, x := range cm.Communities {
		n += x.Size
	}
	if n != 6 || len(cm.Communities) == 0 {
		t.Errorf("communities cover %d parties, want 6: %+v", n, cm.Communities)
	}

	act, err := c.CommsActivity(ctx, w.tm.caseID, w.q, url.Values{"party": {phoneA.Value}})
	if err != nil {
		t.Fatalf("CommsActivity: %v", err)
	}
	// A: day 1 (Sat 2 Mar 2024) 09h, day 2 (Sun) 10h, day 3 (Mon) 14h, day 10 (Mon) 00h.
	if len(act.Parties) != 1 || act.Parties[0].Total != 4 || act.Parties[0].Counts[time.Saturday][9] != 1 ||
		act.Parties[0].Counts[time.Sunday][10] != 1 || act.Parties[0].Counts[time.Monday][14] != 1 || act.Parties[0].Counts[time.Monday][0] != 1 {
		t.Errorf("activity of A = %+v", act.Parties)
	}

	// A non-target's raw number is refused: pseudonyms cannot be matched
	// to numbers by asking.
	_, err = c.CommsPath(ctx, w.tm.caseID, w.q, url.Values{"a": {"+15551110001"}, "b": {phoneB.Value}})
	wantErr(t, "path by a non-target's number", err, writ.EInvalid, "")
}

func TestCommsDenied(t *testing.T) {
	w := newCommsWorld(t)
	e, tm := w.tm.e, w.tm
	ctx := context.Background()
	loc := penRegister("TRACK-1")
	loc.Kind = writ.KindCourtOrder
	loc.Categories = []writ.Category{writ.CatLocation}
	loc.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "imei-1"}}
	la := tm.authority(tm.invC, loc, true)
	for _, ep := range commsEndpoints {
		q := w.q
		q.AuthorityID = la.ID
		before := len(e.entries())
		code, body := w.raw(tm.invC, ep.what, q, ep.extra)
		if code != http.StatusForbidden || errorBody(t, body).Rule != "category_covered" {
			t.Errorf("%s under a location authority = %d %s, want 403 category_covered", ep.what, code, body)
		}
		list := e.entries()
		if len(list) != before+1 {
			t.Fatalf("%s: audit grew by %d, want 1", ep.what, len(list)-before)
		}
		got := list[len(list)-1]
		if got.Decision != writ.DecisionDenied || got.Rule != "category_covered" || got.Action != "read.comms."+ep.what || got.AuthorityID != la.ID {
			t.Errorf("%s: audit entry = %+v, want denied by category_covered", ep.what, got)
		}
	}
	// Not on the roster: refused and audited.
	_, err := tm.outC.CommsSummary(ctx, tm.caseID, w.q, nil)
	wantErr(t, "outsider summary", err, writ.EForbidden, "roster_member")
	if got := e.lastEntry("read.comms.summary"); got.Decision != writ.DecisionDenied || got.ActorID != tm.outsider.ID {
		t.Errorf("audit entry = %+v, want the outsider denied", got)
	}
	// A selector the order does not name.
	q := w.q
	q.Selectors = []writ.Selector{phoneX}
	_, err = tm.invC.CommsCommon(ctx, tm.caseID, q, nil)
	wantErr(t, "unnamed selector", err, writ.EForbidden, "selector_named")
	// Paging and areas do not apply.
	q = w.q
	q.Limit = 10
	_, err = tm.invC.CommsSummary(ctx, tm.caseID, q, nil)
	wantErr(t, "limit", err, writ.EInvalid, "")
	var we *writ.Error
	if err := tm.invC.CommsExport(ctx, tm.caseID, w.q, "dot", nil, io.Discard); !errors.As(err, &we) || we.Kind != writ.EInvalid {
		t.Errorf("export as dot = %v, want invalid", err)
	}
}

func TestCommsExportsWellFormed(t *testing.T) {
	w := newCommsWorld(t)
	ctx := context.Background()
	for _, f := range []string{"graphml", "gexf", "csv"} {
		var buf bytes.Buffer
		if err := w.tm.invC.CommsExport(ctx, w.tm.caseID, w.q, f, url.Values{"communities": {"true"}}, &buf); err != nil {
			t.Fatalf("export %s: %v", f, err)
		}
		w.noRawNumbers(t, f, buf.Bytes())
		nodes, edges := 0, 0
		if f == "csv" {
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("csv: %v", err)
			}
			edges = len(recs) - 1
			if recs[0][0] != "a" {
				t.Errorf("csv header = %v", recs[0])
			}
		} else {
			d := xml.NewDecoder(&buf)
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s is not well-formed XML: %v", f, err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					switch se.Name.Local {
					case "node":
						nodes++
					case "edge":
						edges++
					}
				}
			}
			if nodes != 6 {
				t.Errorf("%s has %d nodes, want 6", f, nodes)
			}
		}
		if edges != 6 {
			t.Errorf("%s has %d edges, want 6", f, edges)
		}
	}
}

// TestCommsSwitchesWithHandsets: with location_authority, the switch
// analysis reads the pings of the contacts' caller handsets that authority
// names — and no others — in a second gated read, recorded with its count.
func TestCommsSwitchesWithHandsets(t *testing.T) {
	w := newCommsWorld(t)
	e, tm := w.tm.e, w.tm
	ctx := context.Background()
	prov := func(i int) writ.Provenance {
		return writ.Provenance{Dataset: "cdr", Source: "handsets.csv", Offset: int64(i + 1),
			ContentHash: fmt.Sprintf("%064x", 5000+i), Batch: "b3", BasisKind: "authority", BasisID: w.auth.ID}
	}
	calls := []writ.Contact{
		{Caller: phoneA.Value, Callee: common1, StartedAt: day(6), DurationSec: 20, Type: "call", CallerDevice: "imei-a"},
		{Caller: common1, Callee: phoneB.Value, StartedAt: day(7), DurationSec: 20, Type: "call", CallerDevice: "imei-c"},
	}
	for i := range calls {
		calls[i].Prov = prov(i)
	}
	if _, err := e.db.InsertContacts(ctx, calls); err != nil {
		t.Fatal(err)
	}
	tm.insertPings(walk("imei-a", day(6), 3, 50.85, 4.35)...)
	tm.insertPings(walk("imei-c", day(7), 2, 50.85, 4.35)...)
	tm.insertPings(ping("imei-a", day(12), 50.85, 4.35))      // outside the location authority's window (days 0-10)
	tm.insertPings(walk("imei-z", day(6), 2, 50.85, 4.35)...) // named, but no handset of these contacts

	named := tm.locAuthority(writ.KindCourtOrder, "LOC-HANDSETS", writ.CatLocation,
		[]writ.Selector{{Kind: writ.SelDevice, Value: "imei-a"}, {Kind: writ.SelDevice, Value: "imei-c"}, {Kind: writ.SelDevice, Value: "imei-z"}}, nil)
	other := tm.locAuthority(writ.KindCourtOrder, "LOC-OTHER", writ.CatLocation,
		[]writ.Selector{{Kind: writ.SelDevice, Value: "imei-other"}}, nil)

	run := func(authority int64) (int, []byte) {
		return w.raw(tm.invC, "switches", w.q, url.Values{"location_authority": {fmt.Sprint(authority)}})
	}
	code, body := run(named.ID)
	if code != http.StatusOK {
		t.Fatalf("switches with handsets = %d %s", code, body)
	}
	w.noRawNumbers(t, "switches with handsets", body)
	var sw CommsSwitches
	if err := json.Unmarshal(body, &sw); err != nil {
		t.Fatal(err)
	}
	if l := sw.Locations; l == nil || l.AuthorityID != named.ID || l.Handsets != 2 || l.Read != 2 || l.Pings != 5 || l.Grant == nil {
		t.Errorf("locations = %+v, want 2 handsets, both read, 5 pings inside the window, with the grant", sw.Locations)
	}
	got := e.lastEntry("read.comms.switches.locations")
	if got.Decision != writ.DecisionGranted || got.AuthorityID != named.ID || got.Results != 5 {
		t.Errorf("location read's audit entry = %+v, want granted under %d with 5 rows", got, named.ID)
	}

	code, body = run(other.ID)
	if code != http.StatusOK || json.Unmarshal(body, &sw) != nil || sw.Locations == nil || sw.Locations.Read != 0 || sw.Locations.Pings != 0 {
		t.Errorf("switches under an authority naming none of the handsets = %d %s, want 200 with nothing read", code, body)
	}

	for _, tc := range []struct {
		name string
		id   int64
		rule string
	}{
		{"a pen-register order", w.auth.ID, "category_covered"},
		{"a geofence step-1 authority", tm.locAuthority(writ.KindGeofence1, "GF-1", writ.CatLocation, nil,
			writ.Polygon{{Lat: 50.8, Lon: 4.3}, {Lat: 50.9, Lon: 4.3}, {Lat: 50.9, Lon: 4.4}}).ID, "geofence_step"},
	} {
		before := len(e.entries())
		code, body := run(tc.id)
		if code != http.StatusForbidden || errorBody(t, body).Rule != tc.rule {
			t.Errorf("switches with %s as location authority = %d %s, want 403 %s", tc.name, code, body, tc.rule)
		}
		if got := e.lastEntry("read.comms.switches.locations"); got.Decision != writ.DecisionDenied || got.Rule != tc.rule ||
			len(e.entries()) <= before {
			t.Errorf("%s: audit entry = %+v, want denied by %s", tc.name, got, tc.rule)
		}
	}
}
