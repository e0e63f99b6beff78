package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// prov is provenance for a test row; the hash is what makes it unique.
func prov(hash string) writ.Provenance {
	return writ.Provenance{Dataset: "test-data", Source: "test.csv", Offset: int64(len(hash)), ContentHash: hash,
		Batch: "batch-1", BasisKind: "authority", BasisID: 1}
}

func contact(hash, caller, callee string, at time.Time) writ.Contact {
	return writ.Contact{Caller: caller, Callee: callee, StartedAt: at, DurationSec: 42, Type: "call", Prov: prov(hash)}
}

func ping(hash, device string, at time.Time, lat, lon float64) writ.Ping {
	return writ.Ping{Device: device, At: at, Lat: lat, Lon: lon, AccuracyM: 8.5, Prov: prov(hash)}
}

func plateRead(hash, plate string, at time.Time, lat, lon float64) writ.PlateRead {
	return writ.PlateRead{Plate: plate, Camera: "cam-7", At: at, Lat: lat, Lon: lon, Prov: prov(hash)}
}

// hashes lists the content hashes of rows, which identify them across a
// round trip.
func hashes[T any](rows []T, p func(T) writ.Provenance) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, p(r).ContentHash)
	}
	return out
}

func contactProv(r writ.Contact) writ.Provenance     { return r.Prov }
func pingProv(r writ.Ping) writ.Provenance           { return r.Prov }
func plateReadProv(r writ.PlateRead) writ.Provenance { return r.Prov }
func recordProv(r writ.Record) writ.Provenance       { return r.Prov }

func wantInserted(t *testing.T, call string, n int, err error, want int) {
	t.Helper()
	if n != want || err != nil {
		t.Errorf("%s = %d, %v, want %d new rows", call, n, err, want)
	}
}

func testInsertEvents(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	t.Run("idempotent", func(t *testing.T) {
		var rows []writ.Contact
		for i := range 5 {
			rows = append(rows, contact(fmt.Sprint("c", i), "+15550000001", "+15550000002", t0.Add(time.Duration(i)*time.Minute)))
		}
		n, err := db.InsertContacts(ctx, rows)
		wantInserted(t, "InsertContacts(5 new)", n, err, 5)
		n, err = db.InsertContacts(ctx, rows)
		wantInserted(t, "InsertContacts(same 5)", n, err, 0)
		// A call is one batch, keyed by its rows: other rows are another
		// batch, even if some were stored before (ingest keys batches by
		// the file's bytes and line numbers instead; see CommitBatch).
		more := []writ.Contact{contact("c5", "+15550000003", "+15550000001", t0), contact("c6", "+15550000003", "+15550000001", t0)}
		n, err = db.InsertContacts(ctx, more)
		wantInserted(t, "InsertContacts(2 new)", n, err, 2)
		dup := contact("c7", "+15550000003", "+15550000001", t0)
		n, err = db.InsertContacts(ctx, []writ.Contact{dup, dup})
		wantInserted(t, "InsertContacts(one new row twice)", n, err, 1)
		n, err = db.InsertContacts(ctx, []writ.Contact{dup})
		wantInserted(t, "InsertContacts(that row again)", n, err, 0)
		n, err = db.InsertContacts(ctx, nil)
		wantInserted(t, "InsertContacts(nil)", n, err, 0)
		if got := count(t, db, "contacts"); got != 8 {
			t.Errorf("contacts stored = %d, want 8", got)
		}
	})
	t.Run("large batch", func(t *testing.T) {
		// More rows than fit in one statement's parameters.
		rows := make([]writ.Ping, 6000)
		for i := range rows {
			rows[i] = ping(fmt.Sprint("p", i), fmt.Sprint("dev-", i%7), t0.Add(time.Duration(i)*time.Second), 40.7, -74.0)
		}
		n, err := db.InsertPings(ctx, rows)
		wantInserted(t, "InsertPings(6000 new)", n, err, 6000)
		n, err = db.InsertPings(ctx, rows)
		wantInserted(t, "InsertPings(same 6000)", n, err, 0)
		// One bad row in the last chunk rolls back the whole batch.
		bad := make([]writ.Ping, 6000)
		for i := range bad {
			bad[i] = ping(fmt.Sprint("q", i), "dev-1", t0, 40.7, -74.0)
		}
		bad[5999].Lat = 100
		n, err = db.InsertPings(ctx, bad)
		if writ.ErrorKind(err) != writ.EInvalid || n != 0 {
			t.Errorf("InsertPings(with lat 100) = %d, %v, want 0 and an invalid error", n, err)
		}
		if got := count(t, db, "pings"); got != 6000 {
			t.Errorf("pings stored = %d, want 6000 (the failed batch stored nothing)", got)
		}
	})
	t.Run("plate reads and records", func(t *testing.T) {
		reads := []writ.PlateRead{plateRead("r1", "ABC123", t0, 40.7, -74.0), plateRead("r2", "XYZ999", t0, 40.7, -74.0)}
		n, err := db.InsertPlateReads(ctx, reads)
		wantInserted(t, "InsertPlateReads(2 new)", n, err, 2)
		n, err = db.InsertPlateReads(ctx, reads)
		wantInserted(t, "InsertPlateReads(same 2)", n, err, 0)
		s := f.subject(t, f.c, "Jon Doe")
		recs := []writ.Record{{Entity: writ.EntityPerson, SubjectID: s.ID, ObservedAt: t0, Fields: map[string]string{"name": "Jon"}, Prov: prov("d1")},
			{Entity: writ.EntityVehicle, RecordID: "V-1", ObservedAt: t0, Fields: map[string]string{"plate": "1ABC123"}, Prov: prov("d3")}}
		n, err = db.InsertRecords(ctx, recs)
		wantInserted(t, "InsertRecords(2 new, one unlinked)", n, err, 2)
		n, err = db.InsertRecords(ctx, recs)
		wantInserted(t, "InsertRecords(same 2)", n, err, 0)
		bad := []struct {
			name string
			r    writ.Record
			kind string
		}{
			{"subject 999", writ.Record{Entity: writ.EntityPerson, SubjectID: 999, ObservedAt: t0, Prov: prov("d2")}, writ.EInvalid},
			{"no entity", writ.Record{ObservedAt: t0, Prov: prov("d4")}, writ.EInvalid},
			{"unknown entity", writ.Record{Entity: "Pet", ObservedAt: t0, Prov: prov("d5")}, writ.EInvalid},
			{"field both protected and not", writ.Record{Entity: writ.EntityPerson, ObservedAt: t0, Prov: prov("d6"),
				Fields: map[string]string{"religion": "x"}, Protected: map[string]string{"religion": "x"}}, writ.EInvalid},
		}
		for _, tt := range bad {
			n, err = db.InsertRecords(ctx, []writ.Record{tt.r})
			if writ.ErrorKind(err) != tt.kind || n != 0 {
				t.Errorf("InsertRecords(%s) = %d, %v, want 0 and kind %s", tt.name, n, err, tt.kind)
			}
		}
		if got := count(t, db, "records"); got != 2 {
			t.Errorf("records stored = %d, want 2", got)
		}
	})
	t.Run("provenance required", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(*writ.Provenance)
		}{
			{"no hash", func(p *writ.Provenance) { p.ContentHash = "" }},
			{"no basis", func(p *writ.Provenance) { p.BasisKind = "" }},
			{"unknown basis", func(p *writ.Provenance) { p.BasisKind = "hearsay" }},
			{"no basis id", func(p *writ.Provenance) { p.BasisID = 0 }},
		}
		for _, tt := range tests {
			c := contact("e1", "+15550000001", "+15550000002", t0)
			tt.change(&c.Prov)
			_, err := db.InsertContacts(ctx, []writ.Contact{c})
			wantKind(t, "InsertContacts("+tt.name+")", err, writ.EInvalid)
			p := ping("e1", "dev-1", t0, 40, -74)
			tt.change(&p.Prov)
			_, err = db.InsertPings(ctx, []writ.Ping{p})
			wantKind(t, "InsertPings("+tt.name+")", err, writ.EInvalid)
		}
		if got := count(t, db, "contacts"); got != 8 {
			t.Errorf("contacts stored = %d, want still 8", got)
		}
	})
}

func testReadsNeedGrant(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "+15550000001"}}
	a = f.approved(t, a)
	comms := f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatComms, From: t0, To: t0.Add(time.Hour)})
	reads := map[writ.Category]func(g *writ.Grant) error{
		writ.CatComms:    func(g *writ.Grant) error { _, err := db.Contacts(ctx, g, writ.EventQuery{}); return err },
		writ.CatLocation: func(g *writ.Grant) error { _, err := db.Pings(ctx, g, writ.EventQuery{}); return err },
		writ.CatPlates:   func(g *writ.Grant) error { _, err := db.PlateReads(ctx, g, writ.EventQuery{}); return err },
		writ.CatRecords:  func(g *writ.Grant) error { _, err := db.Records(ctx, g, writ.EventQuery{}); return err },
	}
	for cat, read := range reads {
		if rule := writ.ErrorRule(read(nil)); rule != "grant_required" {
			t.Errorf("read %s with no grant: rule %q, want grant_required", cat, rule)
		}
		if rule := writ.ErrorRule(read(&writ.Grant{})); rule != "grant_forged" {
			t.Errorf("read %s with a home-made grant: rule %q, want grant_forged", cat, rule)
		}
		want := "grant_category"
		if cat == writ.CatComms {
			want = ""
		}
		if rule := writ.ErrorRule(read(comms)); rule != want {
			t.Errorf("read %s with a comms grant: rule %q, want %q", cat, rule, want)
		}
	}
}

func testContacts(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	const a, b, c, x, y = "+15550000001", "+15550000002", "+15550000003", "+15559999991", "+15559999992"
	rows := []writ.Contact{
		contact("c1", a, x, t0.Add(time.Hour)),
		contact("c2", x, b, t0.Add(2*time.Hour)),
		contact("c3", x, y, t0.Add(3*time.Hour)),         // neither party named
		contact("c4", a, b, t0.Add(-2*24*time.Hour)),     // before the window
		contact("c5", c, a, t0.Add(10*24*time.Hour)),     // at the window's end, which is exclusive
		contact("c6", b, a, t0),                          // at the window's start, which is inclusive
		contact("c7", c, x, t0.Add(4*time.Hour)),         // c is named by no authority
		contact("c8", a, b, t0.Add(10*24*time.Hour-1e3)), // the last microsecond inside
		contact("c9", a, b, t0.Add(time.Hour-1e3)),
	}
	rows[0].CallerDevice = "356938035643809" // the handset round-trips
	if _, err := db.InsertContacts(ctx, rows); err != nil {
		t.Fatal(err)
	}
	auth := f.authority()
	auth.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: a}, {Kind: writ.SelPhone, Value: b},
		{Kind: writ.SelDevice, Value: "dev-1"}}
	auth = f.approved(t, auth)
	win := scope.Request{AuthorityID: auth.ID, Category: writ.CatComms, From: t0, To: t0.Add(10 * 24 * time.Hour)}
	all := f.grant(t, win)
	onlyA := win
	onlyA.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: a}}
	grantA := f.grant(t, onlyA)

	tests := []struct {
		name string
		g    *writ.Grant
		q    writ.EventQuery
		want []string
	}{
		{"all named", all, writ.EventQuery{}, []string{"c1", "c2", "c6", "c8", "c9"}},
		{"one named", grantA, writ.EventQuery{}, []string{"c1", "c6", "c8", "c9"}},
		{"narrowed to b", all, writ.EventQuery{Selectors: []string{b}}, []string{"c2", "c6", "c8", "c9"}},
		{"narrowed to unnamed", all, writ.EventQuery{Selectors: []string{x}}, []string{}},
		{"narrowed to unnamed and b", all, writ.EventQuery{Selectors: []string{x, b}}, []string{"c2", "c6", "c8", "c9"}},
		{"b is not in grant A", grantA, writ.EventQuery{Selectors: []string{b}}, []string{}},
		{"from narrowed", all, writ.EventQuery{From: t0.Add(90 * time.Minute)}, []string{"c2", "c8"}},
		{"to narrowed", all, writ.EventQuery{To: t0.Add(90 * time.Minute)}, []string{"c1", "c6", "c9"}},
		{"window not widened", all, writ.EventQuery{From: t0.Add(-30 * 24 * time.Hour), To: t0.Add(30 * 24 * time.Hour)},
			[]string{"c1", "c2", "c6", "c8", "c9"}},
		// c9 lies 999ns before From and c2 1ns before To: stored microseconds
		// must compare as the times do.
		{"sub-microsecond bounds", all, writ.EventQuery{From: t0.Add(time.Hour - 1), To: t0.Add(2*time.Hour + 1)}, []string{"c1", "c2"}},
		{"limit", all, writ.EventQuery{Limit: 2}, []string{"c1", "c2"}},
	}
	for _, tt := range tests {
		got, err := db.Contacts(ctx, tt.g, tt.q)
		if h := hashes(got, contactProv); err != nil || !slices.Equal(h, tt.want) {
			t.Errorf("Contacts(%s) = %v, %v, want %v", tt.name, h, err, tt.want)
		}
	}
	t.Run("paging", func(t *testing.T) {
		var seen []string
		q := writ.EventQuery{Limit: 1}
		for range 10 {
			page, err := db.Contacts(ctx, all, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, hashes(page, contactProv)...)
			q.AfterID = page[len(page)-1].ID
		}
		if want := []string{"c1", "c2", "c6", "c8", "c9"}; !slices.Equal(seen, want) {
			t.Errorf("Contacts paged one at a time = %v, want %v", seen, want)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		got, err := db.Contacts(ctx, all, writ.EventQuery{Limit: 1})
		if err != nil || len(got) != 1 || got[0].ID == 0 {
			t.Fatalf("Contacts(limit 1) = %v, %v", got, err)
		}
		want := rows[0]
		want.ID = got[0].ID
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("Contacts() row = %+v, want %+v", got[0], want)
		}
	})
}

// triangle is the area the location tests use: its long edge runs from
// (40.72, -74.02) to (40.70, -74.00), along lat+lon = -33.30.
var triangle = writ.Polygon{{Lat: 40.70, Lon: -74.02}, {Lat: 40.72, Lon: -74.02}, {Lat: 40.70, Lon: -74.00}}

// Points relative to the triangle. nearEdge lies about 0.04 m outside the
// long edge: a tolerant test (PostgreSQL's polygon @> point) takes it in.
var (
	inside   = writ.Point{Lat: 40.705, Lon: -74.015}
	inBox    = writ.Point{Lat: 40.715, Lon: -74.005} // inside the bounding box, outside the triangle
	far      = writ.Point{Lat: 40.75, Lon: -74.05}
	nearEdge = writ.Point{Lat: 40.71, Lon: -74.0099995}
)

func testPingsAndPlates(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	for _, p := range []writ.Point{inBox, far, nearEdge} {
		if triangle.Contains(p) {
			t.Fatalf("test fixture: triangle.Contains(%v) = true, want false", p)
		}
	}
	if !triangle.Contains(inside) {
		t.Fatalf("test fixture: triangle.Contains(%v) = false, want true", inside)
	}
	at := t0.Add(time.Hour)
	pings := []writ.Ping{
		ping("p1", "dev-1", at, inside.Lat, inside.Lon),
		ping("p2", "dev-1", at, far.Lat, far.Lon),
		ping("p3", "dev-3", at, inside.Lat, inside.Lon),                      // device not named
		ping("p4", "dev-2", t0.Add(-2*24*time.Hour), inside.Lat, inside.Lon), // before the window
		ping("p5", "dev-2", at, inBox.Lat, inBox.Lon),
		ping("p6", "dev-3", at, nearEdge.Lat, nearEdge.Lon),
		ping("p7", "dev-2", at, nearEdge.Lat, nearEdge.Lon),
	}
	reads := []writ.PlateRead{
		plateRead("r1", "ABC123", at, inside.Lat, inside.Lon),
		plateRead("r2", "ABC123", at, inBox.Lat, inBox.Lon),
		plateRead("r3", "XYZ999", at, inside.Lat, inside.Lon), // plate not named
		plateRead("r4", "XYZ999", at, nearEdge.Lat, nearEdge.Lon),
	}
	if _, err := db.InsertPings(ctx, pings); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertPlateReads(ctx, reads); err != nil {
		t.Fatal(err)
	}
	named := f.authority()
	named.Categories = []writ.Category{writ.CatLocation, writ.CatPlates}
	named.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}, {Kind: writ.SelDevice, Value: "dev-2"},
		{Kind: writ.SelPlate, Value: "abc-123"}}
	named = f.approved(t, named)
	area := f.authority()
	area.Categories = []writ.Category{writ.CatLocation, writ.CatPlates}
	area.Area = triangle
	area = f.approved(t, area)
	win := scope.Request{From: t0, To: t0.Add(24 * time.Hour)}
	req := func(a *writ.Authority, c writ.Category, poly writ.Polygon) scope.Request {
		r := win
		r.AuthorityID, r.Category, r.Area = a.ID, c, poly
		return r
	}
	tests := []struct {
		name  string
		r     scope.Request
		q     writ.EventQuery
		pings []string
		reads []string
	}{
		{"named", req(named, "", nil), writ.EventQuery{}, []string{"p1", "p2", "p5", "p7"}, []string{"r1", "r2"}},
		{"named in area", req(named, "", triangle), writ.EventQuery{}, []string{"p1"}, []string{"r1"}},
		{"area", req(area, "", nil), writ.EventQuery{}, []string{"p1", "p3"}, []string{"r1", "r3"}},
		{"area with selectors", req(area, "", nil), writ.EventQuery{Selectors: []string{"dev-1", "ABC123"}}, []string{}, []string{}},
	}
	for _, tt := range tests {
		r := tt.r
		r.Category = writ.CatLocation
		got, err := db.Pings(ctx, f.grant(t, r), tt.q)
		if h := hashes(got, pingProv); err != nil || !slices.Equal(h, tt.pings) {
			t.Errorf("Pings(%s) = %v, %v, want %v", tt.name, h, err, tt.pings)
		}
		r.Category = writ.CatPlates
		gotReads, err := db.PlateReads(ctx, f.grant(t, r), tt.q)
		if h := hashes(gotReads, plateReadProv); err != nil || !slices.Equal(h, tt.reads) {
			t.Errorf("PlateReads(%s) = %v, %v, want %v", tt.name, h, err, tt.reads)
		}
	}
	t.Run("round trip", func(t *testing.T) {
		got, err := db.Pings(ctx, f.grant(t, req(named, writ.CatLocation, triangle)), writ.EventQuery{})
		if err != nil || len(got) != 1 {
			t.Fatalf("Pings(named in area) = %v, %v", got, err)
		}
		want := pings[0]
		want.ID = got[0].ID
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("Pings() row = %+v, want %+v", got[0], want)
		}
		gotReads, err := db.PlateReads(ctx, f.grant(t, req(named, writ.CatPlates, triangle)), writ.EventQuery{})
		if err != nil || len(gotReads) != 1 {
			t.Fatalf("PlateReads(named in area) = %v, %v", gotReads, err)
		}
		wantRead := reads[0]
		wantRead.ID = gotReads[0].ID
		if !reflect.DeepEqual(gotReads[0], wantRead) {
			t.Errorf("PlateReads() row = %+v, want %+v", gotReads[0], wantRead)
		}
	})
}

func testRecords(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	other := f.newCase(t, "Operation Ledger", f.lead)
	s1, s2 := f.subject(t, f.c, "Jon Doe"), f.subject(t, f.c, "Ann Roe")
	s3 := f.subject(t, other, "Kim Poe")
	at := t0.Add(time.Hour)
	person := writ.EntityPerson
	rows := []writ.Record{
		{Entity: person, RecordID: "P-1", SubjectID: s1.ID, ObservedAt: at, Fields: map[string]string{"name": "Jon Doe", "dob": "1980-02-29", "note": `"quoted" ü`},
			Protected: map[string]string{"religion": "none stated"}, Prov: prov("d1")},
		{Entity: person, SubjectID: s2.ID, ObservedAt: at, Fields: map[string]string{"name": "Ann Roe"}, Prov: prov("d2")}, // not named
		{Entity: person, SubjectID: s3.ID, ObservedAt: at, Fields: map[string]string{"name": "Kim Poe"}, Prov: prov("d3")}, // another case's subject
		{Entity: person, SubjectID: s1.ID, ObservedAt: t0.Add(-2 * 24 * time.Hour), Prov: prov("d4")},                      // before the window
		{Entity: person, SubjectID: s1.ID, ObservedAt: at.Add(time.Minute), Prov: prov("d5")},                              // no fields
		{Entity: person, RecordID: "P-9", ObservedAt: at, Fields: map[string]string{"name": "Jon Doe"}, Prov: prov("d6")},  // unlinked
	}
	if _, err := db.InsertRecords(ctx, rows); err != nil {
		t.Fatal(err)
	}
	// The authority names a subject of another case; the store still returns
	// only subjects of the grant's case.
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: itoa(s1.ID)}, {Kind: writ.SelSubject, Value: itoa(s3.ID)}}
	a = f.approved(t, a)
	r := scope.Request{AuthorityID: a.ID, Category: writ.CatRecords, From: t0, To: t0.Add(24 * time.Hour)}
	g := f.grant(t, r)
	got, err := db.Records(ctx, g, writ.EventQuery{})
	if h := hashes(got, recordProv); err != nil || !slices.Equal(h, []string{"d1", "d5"}) {
		t.Fatalf("Records(s1, s3) = %v, %v, want [d1 d5]", h, err)
	}
	want := rows[0]
	want.ID = got[0].ID
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("Records() row = %+v, want %+v", got[0], want)
	}
	if got[1].Fields == nil || len(got[1].Fields) != 0 {
		t.Errorf("Records() row without fields has Fields %#v, want an empty map", got[1].Fields)
	}
	r.Selectors = []writ.Selector{{Kind: writ.SelSubject, Value: itoa(s3.ID)}}
	got, err = db.Records(ctx, f.grant(t, r), writ.EventQuery{})
	if err != nil || len(got) != 0 {
		t.Errorf("Records(subject of another case) = %v, %v, want none", hashes(got, recordProv), err)
	}
	got, err = db.Records(ctx, g, writ.EventQuery{Selectors: []string{itoa(s2.ID)}})
	if err != nil || len(got) != 0 {
		t.Errorf("Records(narrowed to unnamed subject) = %v, %v, want none", hashes(got, recordProv), err)
	}
}
