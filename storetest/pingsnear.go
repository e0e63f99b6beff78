package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/near"
	"github.com/writhq/writ/pingblock"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlstore"
)

// testPingsNear checks PingsNear against a brute force over every stored
// ping: random tracks, radii, times, accuracy bounds and grants (area,
// smaller area, devices), before and after the hours are settled, with a
// batch of finer values that the store keeps exactly apart.
func testPingsNear(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x4ea2))
	devices := []string{"dev-1", "dev-2", "dev-3", "dev-4", "dev-5", "dev-6", "dev-7", "dev-8"}
	// Spots about 300 m apart in a 2 km square; pings cluster around them.
	type spot struct{ lat, lon float64 }
	var spots []spot
	for i := range 36 {
		spots = append(spots, spot{40.70 + float64(i/6)*0.0027, -74.00 + float64(i%6)*0.0036})
	}
	// Two hours, so that busy (hour, cell) keys hold hundreds of pings and
	// settling cuts them by place (settleParts).
	const span = 2 * time.Hour
	at := func() time.Time { return t0.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second) }
	near := func(s spot, m float64) (float64, float64) {
		return s.lat + rng.NormFloat64()*m/111_195, s.lon + rng.NormFloat64()*m/(111_195*0.758)
	}
	mk := func(line int64, fine bool) writ.Ping {
		lat, lon := near(spots[rng.IntN(len(spots))], 120)
		p := writ.Ping{Device: devices[rng.IntN(len(devices))], At: at(), AccuracyM: float64(rng.IntN(150)),
			Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprintf("%064x", line)}}
		if fine {
			p.At = p.At.Add(time.Duration(rng.Int64N(1e6)) * time.Microsecond)
			p.Lat, p.Lon, p.AccuracyM = lat, lon, p.AccuracyM+0.25
		} else {
			p.Lat, p.Lon = math.Round(lat*1e6)/1e6, math.Round(lon*1e6)/1e6
		}
		return p
	}
	named := f.authority()
	named.Categories = []writ.Category{writ.CatLocation}
	for _, d := range devices[:5] {
		named.Selectors = append(named.Selectors, writ.Selector{Kind: writ.SelDevice, Value: d})
	}
	named = f.approved(t, named)
	byArea := f.locationArea(t)

	var all []writ.Ping
	line := int64(2)
	for n := range 20 {
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:near", Number: int64(n), Size: 400, Dataset: "carrier-location",
			Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: named.ID}}
		for range 400 {
			b.Pings = append(b.Pings, mk(line, false))
			line++
		}
		if res, err := db.CommitBatch(ctx, b); err != nil || res.Stored != len(b.Pings) {
			t.Fatalf("CommitBatch(%d) = %+v, %v", n, res, err)
		}
		all = append(all, b.Pings...)
	}
	fine := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:near-fine", Size: 500, Dataset: "gps-logger",
		Source: "fine.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: named.ID}}
	for i := range 500 {
		fine.Pings = append(fine.Pings, mk(int64(i+2), true))
	}
	if res, err := db.CommitBatch(ctx, fine); err != nil || res.Stored != 500 {
		t.Fatalf("CommitBatch(fine) = %+v, %v", res, err)
	}
	all = append(all, fine.Pings...)

	// The brute force: the documented distance, on every stored ping.
	dist := func(p writ.Ping, q writ.Probe) float64 {
		const mPerDeg = 6371008.8 * math.Pi / 180
		dy := (p.Lat - q.Lat) * mPerDeg
		dx := (p.Lon - q.Lon) * math.Cos(q.Lat*math.Pi/180) * mPerDeg
		return math.Sqrt(dx*dx + dy*dy)
	}
	check := func(phase string, reads int) {
		var found, nonEmpty int
		// Every stored ping by id, read through Pings under the area grant.
		byID := map[int64]writ.Ping{}
		for _, p := range allPings(t, db, f.grant(t, scope.Request{AuthorityID: byArea.ID, Category: writ.CatLocation,
			From: t0.Add(-time.Hour), To: t0.Add(span + time.Hour)}), 1000) {
			byID[p.ID] = p
		}
		if len(byID) != len(all) {
			t.Fatalf("%s: Pings read %d pings, want %d", phase, len(byID), len(all))
		}
		for n := range reads {
			// A track: a random walk over the spots, a fix every few minutes.
			var q writ.NearQuery
			tt := at()
			s := spots[rng.IntN(len(spots))]
			for range 1 + rng.IntN(60) {
				if rng.IntN(4) == 0 {
					s = spots[rng.IntN(len(spots))]
				}
				lat, lon := near(s, 60)
				q.Probes = append(q.Probes, writ.Probe{Lat: lat, Lon: lon, At: tt})
				tt = tt.Add(time.Duration(30+rng.IntN(900)) * time.Second)
			}
			if rng.IntN(3) == 0 { // out of time order: the store sorts them
				rng.Shuffle(len(q.Probes), func(i, j int) { q.Probes[i], q.Probes[j] = q.Probes[j], q.Probes[i] })
			}
			order := make([]int, len(q.Probes)) // the probes in time order, then in q's
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return q.Probes[a].At.Compare(q.Probes[b].At) })
			q.RadiusM = []float64{20, 100, 250, 800}[rng.IntN(4)]
			q.Within = []time.Duration{time.Second, 5 * time.Minute, 20 * time.Minute, 3 * time.Hour}[rng.IntN(4)]
			if rng.IntN(2) == 0 {
				q.MaxAccM = 100
			}
			if rng.IntN(2) == 0 {
				q.Exclude = devices[rng.IntN(len(devices))]
			}
			r := scope.Request{AuthorityID: byArea.ID, Category: writ.CatLocation}
			switch rng.IntN(4) {
			case 0:
				r.AuthorityID = named.ID
				for _, d := range subset(rng, devices[:5]) {
					r.Selectors = append(r.Selectors, writ.Selector{Kind: writ.SelDevice, Value: d})
				}
			case 1: // a smaller area, cutting through the spots
				r.Area = writ.Polygon{{Lat: 40.699, Lon: -74.001}, {Lat: 40.712, Lon: -74.001}, {Lat: 40.708, Lon: -73.985}}
			}
			r.From, r.To = t0, t0.Add(span)
			if rng.IntN(3) == 0 { // a window that cuts the track, or misses it
				r.From = t0.Add(time.Duration(rng.Int64N(int64(span))))
				r.To = r.From.Add(time.Duration(rng.Int64N(int64(span))) + 1)
			}
			g := f.grant(t, r)
			sels := g.SelectorValues(writ.SelDevice)
			var want []string
			for _, p := range all {
				switch {
				case len(sels) > 0 && !slices.Contains(sels, p.Device):
				case p.At.Before(g.From()) || !p.At.Before(g.To()):
				case len(g.Area()) > 0 && !g.Area().Contains(writ.Point{Lat: p.Lat, Lon: p.Lon}):
				case p.Device == q.Exclude, q.MaxAccM > 0 && p.AccuracyM > q.MaxAccM:
				default:
					// The probe passed is the first near one in time, then in q.
					for _, i := range order {
						pr := q.Probes[i]
						if d := p.At.Sub(pr.At); d <= q.Within && d >= -q.Within && dist(p, pr) <= q.RadiusM {
							want = append(want, fmt.Sprintf("%s@%s#%d", p.Device, p.At.Format(time.RFC3339Nano), i))
							break
						}
					}
				}
			}
			// Each receiver appends to its own share, with no lock: the
			// race detector holds the store to calling each from one
			// goroutine at a time.
			var shares []*[]writ.NearPing
			count, err := db.PingsNear(ctx, g, q, func() func(*writ.NearPing) error {
				share := new([]writ.NearPing)
				shares = append(shares, share)
				return func(p *writ.NearPing) error {
					*share = append(*share, *p)
					return nil
				}
			})
			var got []writ.NearPing
			for _, share := range shares {
				got = append(got, *share...)
			}
			if err != nil || count != len(got) {
				t.Fatalf("%s: PingsNear(read %d) = %d, %v; passed %d", phase, n, count, err, len(got))
			}
			var keys []string
			ids := map[int64]bool{}
			for _, p := range got {
				if ids[p.ID] {
					t.Fatalf("%s: PingsNear(read %d) passed id %d twice", phase, n, p.ID)
				}
				ids[p.ID] = true
				keys = append(keys, fmt.Sprintf("%s@%s#%d", p.Device, p.At.Format(time.RFC3339Nano), p.Probe))
				if w := byID[p.ID]; w.Device != p.Device || !w.At.Equal(p.At) || w.Lat != p.Lat || w.Lon != p.Lon || w.AccuracyM != p.AccuracyM {
					t.Fatalf("%s: PingsNear(read %d) passed %+v as id %d, which is %+v", phase, n, p, p.ID, w)
				}
			}
			slices.Sort(keys)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Fatalf("%s: PingsNear(read %d: %d probes, %v m, %v, max acc %v, exclude %q, %d devices, area %d points) = %d pings, want %d",
					phase, n, len(q.Probes), q.RadiusM, q.Within, q.MaxAccM, q.Exclude, len(sels), len(g.Area()), len(keys), len(want))
			}
			found += len(got)
			if len(got) > 0 {
				nonEmpty++
			}
		}
		t.Logf("%s: %d reads found %d pings (%d reads found some)", phase, reads, found, nonEmpty)
		if nonEmpty < reads/3 {
			t.Errorf("%s: only %d of %d reads found pings; the test exercises too little", phase, nonEmpty, reads)
		}
	}
	check("committed", 150)
	checkExtents(t, db, "committed")
	if _, err := db.CompactPingCells(ctx, t0.Add(-time.Hour), t0.Add(span+time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("settled", 150)
	var split int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM (SELECT hour, cell FROM ping_cell_blocks WHERE part < 0
		GROUP BY hour, cell HAVING count(*) > 1) k`).Scan(&split); err != nil || split == 0 {
		t.Errorf("keys settled into several parts = %d, %v; want some, to read through Overlaps", split, err)
	}
	// Every cell block keeps its header's extent in columns (nearBlocks
	// chooses blocks by them); blocks of a store upgraded from v10 have
	// none, are fetched, and read the same; FillExtents fills them.
	checkExtents(t, db, "settled")
	if _, err := db.Writer().ExecContext(ctx, `UPDATE ping_cell_blocks SET t0 = NULL, t1 = NULL, lat0 = NULL, lat1 = NULL, lon0 = NULL, lon1 = NULL
		WHERE cell % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	var blanked int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM ping_cell_blocks WHERE part < 0 AND t0 IS NULL`).Scan(&blanked); err != nil || blanked == 0 {
		t.Fatalf("blocks without extents = %d, %v; want some", blanked, err)
	}
	check("upgraded, some extents unknown", 60)
	if n, err := db.FillExtents(ctx); err != nil || n != blanked {
		t.Fatalf("FillExtents() = %d, %v; want %d", n, err, blanked)
	}
	checkExtents(t, db, "filled")
	if n, err := db.FillExtents(ctx); err != nil || n != 0 {
		t.Errorf("FillExtents() again = %d, %v; want 0", n, err)
	}
	check("filled", 60)
	// Settled keys, those of several parts included, are not rewritten again.
	if st, err := db.CompactPingCells(ctx, t0.Add(-time.Hour), t0.Add(span+time.Hour)); err != nil || st.Keys != 0 {
		t.Errorf("CompactPingCells() again = %+v, %v; want nothing to merge", st, err)
	}

	// Bounds are refused.
	g := f.grant(t, scope.Request{AuthorityID: byArea.ID, Category: writ.CatLocation, From: t0, To: t0.Add(span)})
	for _, q := range []writ.NearQuery{
		{RadiusM: 0, Within: time.Minute},
		{RadiusM: 100, Within: 0},
		{RadiusM: 100, Within: 48 * time.Hour},
		{RadiusM: 100, Within: time.Minute, Probes: []writ.Probe{{Lat: 91, At: t0}}},
	} {
		if _, err := db.PingsNear(ctx, g, q, discard); writ.ErrorKind(err) != writ.EInvalid {
			t.Errorf("PingsNear(%+v) = %v, want invalid", q, err)
		}
	}
}

// testSettleConcurrent commits batches into one hour while another
// goroutine settles that hour over and over: on PostgreSQL the two run at
// once, and no ping may be lost or doubled.
func testSettleConcurrent(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.locationArea(t)
	const batches, per = 30, 100
	done := make(chan error, 1)
	go func() {
		var line int64 = 2
		for n := range batches {
			b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:concurrent", Number: int64(n), Size: per, Dataset: "carrier-location",
				Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: a.ID}}
			for i := range per {
				// On the 1e-6° grid, so blocks hold them exactly.
				b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", i%7), At: t0.Add(time.Duration(i*30+n) * time.Second),
					Lat: float64(40_700_000+500*(i%10)) / 1e6, Lon: -74.0, AccuracyM: 5,
					Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprint("h", line)}})
				line++
			}
			if res, err := db.CommitBatch(ctx, b); err != nil || res.Stored != per {
				done <- fmt.Errorf("CommitBatch(%d) = %+v, %v", n, res, err)
				return
			}
		}
		done <- nil
	}()
	settled := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		st, err := db.CompactPingCells(ctx, t0, t0.Add(time.Hour))
		if err != nil {
			t.Fatalf("CompactPingCells while committing: %v", err)
		}
		settled += st.Keys
	}
	if _, err := db.CompactPingCells(ctx, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d keys settled while batches were committed", settled)
	if settled == 0 {
		t.Errorf("no key was settled while batches were committed; the test raced nothing")
	}

	g := f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatLocation, From: t0, To: t0.Add(time.Hour)})
	seen := map[int64]bool{}
	for _, p := range allPings(t, db, g, 700) {
		if seen[p.Prov.Offset] {
			t.Fatalf("ping at line %d read twice", p.Prov.Offset)
		}
		seen[p.Prov.Offset] = true
	}
	if len(seen) != batches*per {
		t.Fatalf("read %d pings after concurrent settling, want %d", len(seen), batches*per)
	}
	if n := unsettledKeys(t, db); n != 0 {
		t.Errorf("%d keys unsettled after the last settling", n)
	}
}

// checkExtents checks that every merged cell block's extent columns hold
// its header's span and box, and that a batch's own blocks have none.
func checkExtents(t *testing.T, db *sqlstore.DB, phase string) {
	t.Helper()
	rows, err := db.Reader().Query(`SELECT part, block, t0, t1, lat0, lat1, lon0, lon1 FROM ping_cell_blocks`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var merged, own int
	for rows.Next() {
		var part int
		var b []byte
		var c [6]sql.NullInt64
		if err := rows.Scan(&part, &b, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5]); err != nil {
			t.Fatal(err)
		}
		if part >= 0 {
			own++
			for _, v := range c {
				if v.Valid {
					t.Fatalf("%s: a batch's own cell block has extent columns %v", phase, c)
				}
			}
			continue
		}
		merged++
		e, ok := pingblock.ReadExtent(b)
		got := pingblock.Extent{MinT: c[0].Int64, MaxT: c[1].Int64, MinLat: c[2].Int64, MaxLat: c[3].Int64, MinLon: c[4].Int64, MaxLon: c[5].Int64}
		if !ok || got != e || !c[0].Valid || !c[5].Valid {
			t.Fatalf("%s: a merged cell block's extent columns are %v, its header %+v (%v)", phase, c, e, ok)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if merged+own == 0 {
		t.Errorf("%s: no cell blocks", phase)
	}
	t.Logf("%s: %d merged cell blocks with their extent, %d own", phase, merged, own)
}

// testPingsNearEdges puts pings just inside and just outside the radius
// and the time of a probe, north, south, east and west, each edge in an
// hour of its own, and settles them, so that each merged block's extent
// (schema v11) ends at the edge: PingsNear's tests on extents (the seeks'
// bounds in SQL, near.Matcher.Window) must let every one inside through.
func testPingsNearEdges(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	auth := f.locationArea(t)
	const (
		lat, lon = 40.705, -73.995
		radius   = 100.0
		within   = 10 * time.Minute
		mPerDeg  = near.MetresPerDeg
	)
	cos := math.Cos(lat * math.Pi / 180)
	round := func(v float64) float64 { return math.Round(v*1e6) / 1e6 }
	type edge struct {
		name   string
		dy, dx float64       // metres north and east of the probe, inside
		dt     time.Duration // from the probe, inside
	}
	edges := []edge{
		{"north", radius - 0.6, 0, 0}, {"south", -(radius - 0.6), 0, 0},
		{"east", 0, radius - 0.6, 0}, {"west", 0, -(radius - 0.6), 0},
		{"later", 0, 0, within - time.Second}, {"earlier", 0, 0, -(within - time.Second)},
	}
	var q writ.NearQuery
	q.RadiusM, q.Within = radius, within
	want := map[string]bool{}
	line := int64(2)
	for k, e := range edges {
		at := t0.Add(time.Duration(k)*time.Hour + 30*time.Minute)
		q.Probes = append(q.Probes, writ.Probe{Lat: lat, Lon: lon, At: at})
		// Two batches per edge, so that settling merges the key's blocks;
		// each has a ping just inside and one just outside (by 1.2 m, or
		// 2 s).
		for b := range 2 {
			batch := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:edges", Number: int64(2*k + b), Size: 2, Dataset: "carrier-location",
				Source: "edges.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: auth.ID}}
			for i, out := range []float64{0, 1} {
				dy, dx, dt := e.dy, e.dx, e.dt
				switch {
				case dy != 0:
					dy += math.Copysign(1.2, dy) * out
				case dx != 0:
					dx += math.Copysign(1.2, dx) * out
				default:
					dt += time.Duration(math.Copysign(2, float64(dt))*out) * time.Second
				}
				dev := fmt.Sprintf("edge-%s-%d-%d", e.name, b, i)
				batch.Pings = append(batch.Pings, writ.Ping{Device: dev, At: at.Add(dt),
					Lat: round(lat + dy/mPerDeg), Lon: round(lon + dx/(mPerDeg*cos)),
					Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprintf("%064x", line)}})
				line++
				want[dev] = out == 0
			}
			if res, err := db.CommitBatch(ctx, batch); err != nil || res.Stored != 2 {
				t.Fatalf("CommitBatch(%s, %d) = %+v, %v", e.name, b, res, err)
			}
		}
	}
	if _, err := db.CompactPingCells(ctx, t0.Add(-time.Hour), t0.Add(time.Duration(len(edges)+1)*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var merged int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM ping_cell_blocks WHERE part < 0 AND t0 IS NOT NULL`).Scan(&merged); err != nil || merged < len(edges) {
		t.Fatalf("merged blocks with extents = %d, %v; want one per edge at least", merged, err)
	}
	g := f.grant(t, scope.Request{AuthorityID: auth.ID, Category: writ.CatLocation, From: t0, To: t0.Add(time.Duration(len(edges)) * time.Hour)})
	// Many reads at once, first on this store: each reader holds a
	// snapshot and needs a second connection to prepare its statements.
	// More readers than the pool has connections must all finish (on
	// SQLite's pool of four, they waited for each other for ever).
	inside := 0
	for _, in := range want {
		if in {
			inside++
		}
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			n, err := db.PingsNear(cctx, g, q, discard)
			if err == nil && n != inside {
				err = fmt.Errorf("passed %d pings, want %d", n, inside)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("PingsNear %d of %d at once: %v", i, len(errs), err)
		}
	}
	got := map[string]bool{}
	before := db.NearStats()
	if _, err := db.PingsNear(ctx, g, q, oneAtATime(func(p *writ.NearPing) error {
		got[p.Device] = true
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	// Every edge's merged block is looked at in the index and fetched.
	after := db.NearStats()
	if rows, fetched := after.IndexRows-before.IndexRows, after.Fetched-before.Fetched; fetched < int64(len(edges)) || rows < fetched {
		t.Errorf("NearStats moved by %d index rows, %d blocks fetched; want at least %d of each", rows, fetched, len(edges))
	}
	for dev, in := range want {
		if got[dev] != in {
			t.Errorf("PingsNear passed %s: %v, want %v", dev, got[dev], in)
		}
	}
}

// discard makes PingsNear receivers that keep nothing: each reader's is
// its own, so none needs a lock.
func discard() func(*writ.NearPing) error { return func(*writ.NearPing) error { return nil } }

// oneAtATime makes each a PingsNear receiver shared by all the store's
// readers, which take it one at a time, so each needs no lock of its own.
func oneAtATime(each func(*writ.NearPing) error) func() func(*writ.NearPing) error {
	var mu sync.Mutex
	shared := func(p *writ.NearPing) error {
		mu.Lock()
		defer mu.Unlock()
		return each(p)
	}
	return func() func(*writ.NearPing) error { return shared }
}
