package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlstore"
)

// The property test's world: selectors from small pools (some never named by
// any authority), times in a 20-day span, points in a 0.2° box.
const (
	propRows   = 1500 // per event table (records: two thirds linked to subjects)
	propGrants = 400
	propSpan   = 20 * 24 * time.Hour
)

var (
	propBox   = writ.Polygon{{Lat: 40.60, Lon: -74.10}, {Lat: 40.80, Lon: -74.10}, {Lat: 40.80, Lon: -73.90}, {Lat: 40.60, Lon: -73.90}}
	propOuter = writ.Polygon{{Lat: 40.50, Lon: -74.20}, {Lat: 40.90, Lon: -74.20}, {Lat: 40.90, Lon: -73.80}, {Lat: 40.50, Lon: -73.80}}
)

// prow is one inserted row, reduced to what decides whether a grant covers it.
type prow struct {
	hash    string
	sels    []string // selector values that name the row (contacts: caller and callee)
	at      time.Time
	geo     bool
	pt      writ.Point
	subject int64
	value   any // the row as inserted, ID zero
}

// ptable is one event table of the world and how to read it.
type ptable struct {
	cat   writ.Category
	pool  []string // every selector value in the data
	named []string // the values the named authority names
	rows  []prow
	byKey map[string]*prow
	read  func(g *writ.Grant, q writ.EventQuery) ([]any, error)
}

func (pt *ptable) index() {
	pt.byKey = map[string]*prow{}
	for i := range pt.rows {
		pt.byKey[pt.rows[i].hash] = &pt.rows[i]
	}
}

// testClipProperty checks, over random rows and random grants, that every
// read returns exactly the stored rows inside its grant: none outside it
// (checked against the grant itself) and none inside it left out (checked
// against an expected set computed here, in Go, from the request).
func testClipProperty(t *testing.T, f *fixture) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	db, ctx := f.db, f.ctx

	other := f.newCase(t, "Operation Ledger", f.lead)
	subjectCase := map[int64]int64{}
	var subjects []string
	for i := range 6 {
		c := f.c
		if i >= 4 {
			c = other
		}
		s := f.subject(t, c, fmt.Sprint("Subject ", i))
		subjectCase[s.ID] = c.ID
		subjects = append(subjects, itoa(s.ID))
	}
	pool := func(prefix string, named, strangers int) (all, names []string) {
		for i := range named + strangers {
			v := fmt.Sprint(prefix, i+1)
			all = append(all, v)
			if i < named {
				names = append(names, v)
			}
		}
		return all, names
	}
	phones, namedPhones := pool("+1555010000", 8, 3)
	devices, namedDevices := pool("dev-", 6, 2)
	plates, namedPlates := pool("PL", 6, 1)
	tables := map[writ.Category]*ptable{
		writ.CatComms:    {cat: writ.CatComms, pool: phones, named: namedPhones},
		writ.CatLocation: {cat: writ.CatLocation, pool: devices, named: namedDevices},
		writ.CatPlates:   {cat: writ.CatPlates, pool: plates, named: namedPlates},
		writ.CatRecords:  {cat: writ.CatRecords, pool: append(slices.Clone(subjects), "999999"), named: subjects},
	}

	// Random rows.
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	randTime := func() time.Time {
		return t0.Add(time.Duration(rng.Int64N(int64(propSpan/time.Microsecond))) * time.Microsecond)
	}
	randPoint := func() writ.Point {
		lo, hi := propBox.Bounds()
		return writ.Point{Lat: lo.Lat + rng.Float64()*(hi.Lat-lo.Lat), Lon: lo.Lon + rng.Float64()*(hi.Lon-lo.Lon)}
	}
	var contacts []writ.Contact
	var pings []writ.Ping
	var reads []writ.PlateRead
	var records []writ.Record
	for i := range propRows {
		caller, callee := pick(phones), pick(phones)
		for callee == caller {
			callee = pick(phones)
		}
		c := contact(fmt.Sprint("pc", i), caller, callee, randTime())
		contacts = append(contacts, c)
		tables[writ.CatComms].rows = append(tables[writ.CatComms].rows, prow{hash: c.Prov.ContentHash, sels: []string{caller, callee}, at: c.StartedAt, value: c})

		p := randPoint()
		pg := ping(fmt.Sprint("pp", i), pick(devices), randTime(), p.Lat, p.Lon)
		pings = append(pings, pg)
		tables[writ.CatLocation].rows = append(tables[writ.CatLocation].rows, prow{hash: pg.Prov.ContentHash, sels: []string{pg.Device}, at: pg.At, geo: true, pt: p, value: pg})

		p = randPoint()
		pr := plateRead(fmt.Sprint("pr", i), pick(plates), randTime(), p.Lat, p.Lon)
		reads = append(reads, pr)
		tables[writ.CatPlates].rows = append(tables[writ.CatPlates].rows, prow{hash: pr.Prov.ContentHash, sels: []string{pr.Plate}, at: pr.At, geo: true, pt: p, value: pr})

		// Two thirds of the records are linked to a subject; the rest are
		// unlinked (as ingested), which no grant can read.
		r := writ.Record{Entity: writ.EntityPerson, RecordID: fmt.Sprint("R", i), ObservedAt: randTime(),
			Fields: map[string]string{"row": itoa(int64(i))}, Prov: prov(fmt.Sprint("pd", i))}
		var sels []string
		if i%3 != 2 {
			r.SubjectID, _ = strconv.ParseInt(pick(subjects), 10, 64)
			sels = []string{itoa(r.SubjectID)}
		}
		records = append(records, r)
		tables[writ.CatRecords].rows = append(tables[writ.CatRecords].rows, prow{hash: r.Prov.ContentHash, sels: sels, at: r.ObservedAt, subject: r.SubjectID, value: r})
	}
	insertTwice(t, "contacts", contacts, func(rows []writ.Contact) (int, error) { return db.InsertContacts(ctx, rows) })
	insertTwice(t, "pings", pings, func(rows []writ.Ping) (int, error) { return db.InsertPings(ctx, rows) })
	insertTwice(t, "plate_reads", reads, func(rows []writ.PlateRead) (int, error) { return db.InsertPlateReads(ctx, rows) })
	insertTwice(t, "records", records, func(rows []writ.Record) (int, error) { return db.InsertRecords(ctx, rows) })

	tables[writ.CatComms].read = readAs(func(g *writ.Grant, q writ.EventQuery) ([]writ.Contact, error) { return db.Contacts(ctx, g, q) })
	tables[writ.CatLocation].read = readAs(func(g *writ.Grant, q writ.EventQuery) ([]writ.Ping, error) { return db.Pings(ctx, g, q) })
	tables[writ.CatPlates].read = readAs(func(g *writ.Grant, q writ.EventQuery) ([]writ.PlateRead, error) { return db.PlateReads(ctx, g, q) })
	tables[writ.CatRecords].read = readAs(func(g *writ.Grant, q writ.EventQuery) ([]writ.Record, error) { return db.Records(ctx, g, q) })
	for _, tb := range tables {
		tb.index()
	}

	// Two authorities: one naming selectors of every kind (including
	// subjects of another case), one naming only an area.
	named := f.authority()
	named.WindowStart, named.WindowEnd = t0.Add(-24*time.Hour), t0.Add(propSpan+48*time.Hour)
	for _, s := range []struct {
		kind writ.SelectorKind
		vals []string
	}{{writ.SelPhone, namedPhones}, {writ.SelDevice, namedDevices}, {writ.SelPlate, namedPlates}, {writ.SelSubject, subjects}} {
		for _, v := range s.vals {
			named.Selectors = append(named.Selectors, writ.Selector{Kind: s.kind, Value: v})
		}
	}
	named = f.approved(t, named)
	byArea := f.authority()
	byArea.WindowStart, byArea.WindowEnd = named.WindowStart, named.WindowEnd
	byArea.Categories = []writ.Category{writ.CatLocation, writ.CatPlates}
	byArea.Area = propOuter
	byArea = f.approved(t, byArea)

	var stats struct{ reads, pages, rows, empty, areaOnly, withArea int }
	for n := range propGrants {
		cat := writ.Categories[rng.IntN(len(writ.Categories))]
		tb := tables[cat]
		geo := cat == writ.CatLocation || cat == writ.CatPlates
		auth := named
		if geo && rng.IntN(3) == 0 {
			auth = byArea
		}
		r := scope.Request{AuthorityID: auth.ID, Category: cat}
		if auth == named && rng.IntN(3) != 0 {
			for _, v := range subset(rng, tb.named) {
				r.Selectors = append(r.Selectors, writ.Selector{Kind: writ.SelectorKindFor(cat), Value: v})
			}
		}
		r.From, r.To = randWindow(rng, tb, auth.WindowStart, auth.WindowEnd)
		if geo && rng.IntN(2) == 0 {
			r.Area = randPolygon(rng, propBox)
		}
		g := f.grant(t, r)

		var q writ.EventQuery
		if rng.IntN(4) == 0 {
			q.Selectors = subset(rng, tb.pool)
		}
		if rng.IntN(4) == 0 {
			q.From, _ = randWindow(rng, tb, auth.WindowStart, auth.WindowEnd)
		}
		if rng.IntN(4) == 0 {
			_, q.To = randWindow(rng, tb, auth.WindowStart, auth.WindowEnd)
		}
		q.Limit = []int{0, 40, 200, 1000}[rng.IntN(4)]

		want := expected(tb, auth, r, q, f.c.ID, subjectCase)
		got := readAll(t, tb, g, q, &stats.pages)
		name := fmt.Sprintf("grant %d (%s, %d selectors, area %d points, %s–%s; query %+v)", n, cat,
			len(r.Selectors), len(g.Area()), r.From.Format(time.RFC3339Nano), r.To.Format(time.RFC3339Nano), q)
		for _, row := range got {
			if reason := uncovered(tb.byKey[row], g, q, subjectCase); reason != "" {
				t.Errorf("%s: returned %s, which is outside the grant: %s", name, row, reason)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n returned %d rows, want %d\n missing %v\n extra %v", name, len(got), len(want),
				diff(want, got), diff(got, want))
		}
		if cat == writ.CatLocation {
			checkFixes(t, f.db, g, q, name)
		}
		stats.reads++
		stats.rows += len(got)
		if len(got) == 0 {
			stats.empty++
		}
		if len(g.Area()) > 0 && len(got) > 0 {
			stats.withArea++
			if len(g.SelectorValues(writ.SelectorKindFor(cat))) == 0 {
				stats.areaOnly++
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("%d reads in %d pages returned %d rows; %d empty, %d clipped by an area (%d area-only)",
		stats.reads, stats.pages, stats.rows, stats.empty, stats.withArea, stats.areaOnly)
	// Guard against a vacuous run: most reads return rows, and areas clip many.
	if stats.reads-stats.empty < stats.reads/2 || stats.withArea < propGrants/10 || stats.areaOnly == 0 {
		t.Errorf("the random grants exercised too little: %+v", stats)
	}
	if got := f.audit.granted(); got < propGrants {
		t.Errorf("audit log has %d granted decisions, want at least %d", got, propGrants)
	}
}

// insertTwice inserts rows in two batches, the second overlapping the first,
// and checks the counts of new rows.
func insertTwice[T any](t *testing.T, name string, rows []T, insert func([]T) (int, error)) {
	t.Helper()
	half := len(rows) / 2
	n, err := insert(rows[:half])
	wantInserted(t, "insert "+name+" first half", n, err, half)
	n, err = insert(rows[half:])
	wantInserted(t, "insert "+name+" second half", n, err, len(rows)-half)
	n, err = insert(rows[:half])
	wantInserted(t, "insert "+name+" first half again", n, err, 0)
	if t.Failed() {
		t.FailNow()
	}
}

// readAs adapts a typed read to the property test's untyped one.
func readAs[T any](read func(*writ.Grant, writ.EventQuery) ([]T, error)) func(*writ.Grant, writ.EventQuery) ([]any, error) {
	return func(g *writ.Grant, q writ.EventQuery) ([]any, error) {
		rows, err := read(g, q)
		out := make([]any, len(rows))
		for i, r := range rows {
			out[i] = r
		}
		return out, err
	}
}

// readAll pages through a read with AfterID, checking each page's order and
// size and each row's contents, and returns the content hashes returned.
func readAll(t *testing.T, tb *ptable, g *writ.Grant, q writ.EventQuery, pages *int) []string {
	t.Helper()
	limit := q.Limit
	if limit == 0 {
		limit = writ.DefaultLimit
	}
	var out []string
	for {
		*pages++
		page, err := tb.read(g, q)
		if err != nil {
			t.Fatalf("read %s (%+v) = %v", tb.cat, q, err)
		}
		if len(page) > limit {
			t.Fatalf("read %s returned %d rows, over the limit %d", tb.cat, len(page), limit)
		}
		for _, v := range page {
			id, hash, cleared := identify(v)
			if id <= q.AfterID {
				t.Fatalf("read %s returned id %d after id %d: not in id order", tb.cat, id, q.AfterID)
			}
			q.AfterID = id
			want := tb.byKey[hash]
			if want == nil || !reflect.DeepEqual(cleared, want.value) {
				t.Fatalf("read %s returned %+v, which is not a row as inserted", tb.cat, v)
			}
			out = append(out, hash)
		}
		if len(page) < limit {
			return out
		}
	}
}

// identify returns a returned row's id and content hash, and the row with
// its id cleared, to compare with the row as inserted.
func identify(v any) (int64, string, any) {
	switch r := v.(type) {
	case writ.Contact:
		id := r.ID
		r.ID = 0
		return id, r.Prov.ContentHash, r
	case writ.Ping:
		id := r.ID
		r.ID = 0
		return id, r.Prov.ContentHash, r
	case writ.PlateRead:
		id := r.ID
		r.ID = 0
		return id, r.Prov.ContentHash, r
	case writ.Record:
		id := r.ID
		r.ID = 0
		return id, r.Prov.ContentHash, r
	}
	panic(fmt.Sprintf("identify: unexpected %T", v))
}

// uncovered says why a returned row is not covered by the grant and query, or
// "" if it is. It knows nothing of the request: only the grant's own terms.
func uncovered(r *prow, g *writ.Grant, q writ.EventQuery, subjectCase map[int64]int64) string {
	if r == nil {
		return "no such row was inserted"
	}
	granted := g.SelectorValues(writ.SelectorKindFor(g.Category()))
	if len(granted) > 0 && !slices.ContainsFunc(r.sels, func(s string) bool { return slices.Contains(granted, s) }) {
		return fmt.Sprintf("selectors %v not in grant %v", r.sels, granted)
	}
	if len(granted) == 0 && (!r.geo || len(g.Area()) == 0) {
		return "the grant names no selectors and no area for this data"
	}
	if len(q.Selectors) > 0 && !slices.ContainsFunc(r.sels, func(s string) bool { return slices.Contains(q.Selectors, s) }) {
		return fmt.Sprintf("selectors %v not in query %v", r.sels, q.Selectors)
	}
	if r.at.Before(g.From()) || !r.at.Before(g.To()) {
		return fmt.Sprintf("time %s outside grant window [%s, %s)", r.at, g.From(), g.To())
	}
	if (!q.From.IsZero() && r.at.Before(q.From)) || (!q.To.IsZero() && !r.at.Before(q.To)) {
		return fmt.Sprintf("time %s outside query window", r.at)
	}
	if area := g.Area(); r.geo && len(area) > 0 && !area.Contains(r.pt) {
		return fmt.Sprintf("point %v outside the grant's area", r.pt)
	}
	if r.subject != 0 && subjectCase[r.subject] != g.CaseID() {
		return fmt.Sprintf("subject %d belongs to case %d, not %d", r.subject, subjectCase[r.subject], g.CaseID())
	}
	return ""
}

// expected computes, from the request and the authority rather than the
// grant, the sorted hashes of the rows a read must return.
func expected(tb *ptable, auth *writ.Authority, r scope.Request, q writ.EventQuery, caseID int64, subjectCase map[int64]int64) []string {
	var sels []string
	for _, s := range r.Selectors {
		sels = append(sels, s.Value)
	}
	if len(r.Selectors) == 0 {
		for _, s := range auth.Selectors {
			if s.Kind == writ.SelectorKindFor(r.Category) {
				sels = append(sels, s.Value)
			}
		}
	}
	areaOnly := len(sels) == 0
	if len(q.Selectors) > 0 {
		var both []string
		for _, v := range q.Selectors {
			if slices.Contains(sels, v) {
				both = append(both, v)
			}
		}
		if len(both) == 0 {
			return []string{}
		}
		sels, areaOnly = both, false
	}
	from, to := r.From, r.To
	if !q.From.IsZero() && q.From.After(from) {
		from = q.From
	}
	if !q.To.IsZero() && q.To.Before(to) {
		to = q.To
	}
	area := r.Area
	if len(area) == 0 {
		area = auth.Area
	}
	out := []string{}
	for _, row := range tb.rows {
		switch {
		case !areaOnly && !slices.ContainsFunc(row.sels, func(s string) bool { return slices.Contains(sels, s) }):
		case areaOnly && (!row.geo || len(area) == 0):
		case row.at.Before(from) || !row.at.Before(to):
		case row.geo && len(area) > 0 && !area.Contains(row.pt):
		case row.subject != 0 && subjectCase[row.subject] != caseID:
		default:
			out = append(out, row.hash)
		}
	}
	slices.Sort(out)
	return out
}

// subset returns a random non-empty subset of s.
func subset(rng *rand.Rand, s []string) []string {
	var out []string
	for len(out) == 0 {
		for _, v := range s {
			if rng.IntN(3) == 0 {
				out = append(out, v)
			}
		}
	}
	return out
}

// randWindow returns a random window inside [lo, hi]: sometimes wide,
// sometimes a few days, sometimes starting or ending exactly on a row's
// time, sometimes with sub-microsecond ends.
func randWindow(rng *rand.Rand, tb *ptable, lo, hi time.Time) (from, to time.Time) {
	span := hi.Sub(lo)
	from = lo.Add(time.Duration(rng.Int64N(int64(span))))
	to = from.Add(time.Duration(rng.Int64N(int64(hi.Sub(from)))) + 1)
	if rng.IntN(2) == 0 { // a few days
		to = from.Add(time.Duration(rng.Int64N(int64(4*24*time.Hour))) + 1)
	}
	if rng.IntN(5) == 0 {
		from = tb.rows[rng.IntN(len(tb.rows))].at
	}
	if rng.IntN(5) == 0 {
		to = tb.rows[rng.IntN(len(tb.rows))].at
	}
	if rng.IntN(3) != 0 {
		from, to = from.Truncate(time.Microsecond), to.Truncate(time.Microsecond)
	}
	if to.After(hi) {
		to = hi
	}
	if !from.Before(to) {
		from, to = to, from.Add(1)
		if to.After(hi) {
			to = hi
		}
	}
	return from, to
}

// randPolygon returns a random simple polygon: 3 to 8 vertices at sorted
// random angles and random radii around a random centre in box. Coordinates
// are arbitrary floats, so no row lies exactly on an edge.
func randPolygon(rng *rand.Rand, box writ.Polygon) writ.Polygon {
	lo, hi := box.Bounds()
	c := writ.Point{Lat: lo.Lat + rng.Float64()*(hi.Lat-lo.Lat), Lon: lo.Lon + rng.Float64()*(hi.Lon-lo.Lon)}
	n := 3 + rng.IntN(6)
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = rng.Float64() * 2 * math.Pi
	}
	slices.Sort(angles)
	p := make(writ.Polygon, n)
	for i, a := range angles {
		r := 0.01 + rng.Float64()*0.08
		p[i] = writ.Point{Lat: c.Lat + r*math.Sin(a), Lon: c.Lon + r*math.Cos(a)}
	}
	return p
}

// diff returns the elements of a (sorted) that are not in b (sorted), at most 10.
func diff(a, b []string) []string {
	var out []string
	for _, v := range a {
		if _, found := slices.BinarySearch(b, v); !found {
			out = append(out, v)
			if len(out) == 10 {
				break
			}
		}
	}
	return out
}

// testSeed is a random tests' seed: WRIT_STORETEST_SEED if set, else the
// clock; a failing test logs it, to be run again with it.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("WRIT_STORETEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with WRIT_STORETEST_SEED=%d", seed)
		}
	})
	return seed
}

// checkFixes checks that PingFixes passes exactly the pings Pings returns
// for g and q, page after page, without their provenance.
func checkFixes(t *testing.T, db *sqlstore.DB, g *writ.Grant, q writ.EventQuery, name string) {
	t.Helper()
	ctx := context.Background()
	var want []writ.NearPing
	pq := q
	pq.Limit, pq.AfterID = 100, 0
	for {
		page, err := db.Pings(ctx, g, pq)
		if err != nil {
			t.Fatalf("%s: Pings() = %v", name, err)
		}
		for _, p := range page {
			want = append(want, writ.NearPing{ID: p.ID, Device: p.Device, At: p.At, Lat: p.Lat, Lon: p.Lon, AccuracyM: p.AccuracyM, Probe: -1})
		}
		if len(page) < pq.Limit {
			break
		}
		pq.AfterID = page[len(page)-1].ID
	}
	var got []writ.NearPing
	n, err := db.PingFixes(ctx, g, q, func(p *writ.NearPing) error {
		got = append(got, *p)
		return nil
	})
	if err != nil || n != len(got) {
		t.Fatalf("%s: PingFixes() = %d, %v; passed %d", name, n, err, len(got))
	}
	slices.SortFunc(got, func(a, b writ.NearPing) int { return cmp.Compare(a.ID, b.ID) })
	same := func(a, b writ.NearPing) bool {
		return a.ID == b.ID && a.Device == b.Device && a.At.Equal(b.At) && a.Lat == b.Lat && a.Lon == b.Lon &&
			a.AccuracyM == b.AccuracyM && a.Probe == b.Probe
	}
	if !slices.EqualFunc(got, want, same) {
		t.Errorf("%s: PingFixes passed %d pings, Pings returned %d, or they differ", name, len(got), len(want))
	}
}

// allPings reads every page of g's pings, checking each page keeps to id
// order after the one before.
func allPings(t *testing.T, db *sqlstore.DB, g *writ.Grant, limit int) []writ.Ping {
	t.Helper()
	var all []writ.Ping
	q := writ.EventQuery{Limit: limit}
	for {
		page, err := db.Pings(context.Background(), g, q)
		if err != nil {
			t.Fatalf("Pings() = %v", err)
		}
		for _, p := range page {
			if p.ID <= q.AfterID {
				t.Fatalf("Pings() returned id %d after %d: not in id order", p.ID, q.AfterID)
			}
			q.AfterID = p.ID
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
	}
}
