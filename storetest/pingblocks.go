package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlstore"
)

// testPingBlocks checks reads of pings committed by CommitBatch, as ingest
// commits them: 25 file batches a block holds exactly (more than a scan's
// first round of batches) (whole seconds, 1e-6°,
// whole metres), a stream batch, and a batch of finer values that the store
// must keep exactly some other way. Random grants, windows and areas read
// them through both access paths (device-day and hour-cell blocks); every
// page must be in id order and the rows exactly those inside the grant.
func testPingBlocks(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xb10c))
	devices := []string{"dev-1", "dev-2", "dev-3", "dev-4", "dev-5", "dev-6"}
	named := f.authority()
	named.Categories = []writ.Category{writ.CatLocation}
	for _, d := range devices[:4] {
		named.Selectors = append(named.Selectors, writ.Selector{Kind: writ.SelDevice, Value: d})
	}
	named = f.approved(t, named)
	basis := named
	const span = 3 * 24 * time.Hour
	lo, hi := propBox.Bounds()
	mk := func(line int64, fine bool) writ.Ping {
		at := t0.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second)
		lat := lo.Lat + rng.Float64()*(hi.Lat-lo.Lat)
		lon := lo.Lon + rng.Float64()*(hi.Lon-lo.Lon)
		acc := float64(rng.IntN(50))
		if fine {
			at = at.Add(time.Duration(rng.Int64N(1e6)) * time.Microsecond)
			acc += 0.5
		} else {
			lat, lon = math.Round(lat*1e6)/1e6, math.Round(lon*1e6)/1e6
		}
		if rng.IntN(50) == 0 { // on an hour or a day boundary
			at = at.Truncate(time.Hour)
			if rng.IntN(2) == 0 {
				at = at.Truncate(24 * time.Hour)
			}
		}
		return writ.Ping{Device: devices[rng.IntN(len(devices))], At: at, Lat: lat, Lon: lon, AccuracyM: acc,
			Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprintf("%064x", line)}}
	}
	type stored struct {
		p   writ.Ping
		own bool
	}
	var all []stored
	commit := func(b *writ.Batch, own bool) {
		t.Helper()
		if rng.IntN(2) == 0 { // laid out ahead, as ingest.File does
			db.PrepareBatch(b)
		}
		res, err := db.CommitBatch(ctx, b)
		if err != nil || !res.Committed || res.Stored != len(b.Pings) {
			t.Fatalf("CommitBatch(%s %d) = %+v, %v", b.SourceKey, b.Number, res, err)
		}
		// A batch a block holds exactly carries its rows' digest, in line
		// order, instead of each row's hash.
		h := sha256.New()
		sorted := slices.Clone(b.Pings)
		slices.SortFunc(sorted, func(a, b writ.Ping) int { return int(a.Prov.Offset - b.Prov.Offset) })
		for _, p := range sorted {
			h.Write([]byte(p.Prov.ContentHash + "\n"))
		}
		digest := sqlstore.RowsHashPrefix + hex.EncodeToString(h.Sum(nil))
		for _, p := range b.Pings {
			if !own {
				p.Prov.ContentHash = digest
			}
			all = append(all, stored{p, own})
		}
		var gotOwn bool
		if err := db.Reader().QueryRow(`SELECT own FROM ping_batches WHERE batch = ` + itoa(res.ID)).Scan(&gotOwn); err != nil || gotOwn != own {
			t.Errorf("ping_batches.own of batch %d = %v, %v, want %v", res.ID, gotOwn, err, own)
		}
	}
	line := int64(2)
	// fileBatches commits batches from to to of the file sha256:blocks, 110
	// rows each, on from line.
	fileBatches := func(from, to int) {
		t.Helper()
		for n := from; n < to; n++ {
			b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:blocks", Number: int64(n), Size: 110, Dataset: "carrier-location",
				Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: basis.ID}}
			for range 110 {
				b.Pings = append(b.Pings, mk(line, false))
				line++
			}
			commit(b, false)
		}
	}
	fileBatches(0, 25)
	stream := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:blocks", Size: 1, Dataset: "carrier-location",
		Source: "blocks", Kind: writ.DataPings, BasisKind: "authority", BasisID: basis.ID}, Stream: "blocks"}
	for seq := int64(1); seq <= 300; seq++ {
		stream.Pings = append(stream.Pings, mk(seq, false))
		stream.Number = seq
	}
	commit(stream, false)
	fine := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:fine", Size: 600, Dataset: "gps-logger",
		Source: "fine.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: basis.ID}}
	for i := range 600 {
		fine.Pings = append(fine.Pings, mk(int64(i+2), true))
	}
	commit(fine, true)
	if got := count(t, db, "pings"); got != len(all) {
		t.Fatalf("pings stored = %d, want %d", got, len(all))
	}

	byArea := f.locationArea(t)
	// An area over 4 square degrees, which reads every cell of its hours
	// rather than computing a covering.
	wide := f.authority()
	wide.Categories = []writ.Category{writ.CatLocation}
	wide.Area = writ.Polygon{{Lat: 39.2, Lon: -75.5}, {Lat: 42.2, Lon: -75.5}, {Lat: 42.2, Lon: -72.5}, {Lat: 39.2, Lon: -72.5}}
	wide = f.approved(t, wide)

	key := func(p writ.Ping) string { return p.Prov.Batch + ":" + p.Prov.Source + ":" + itoa(p.Prov.Offset) }
	ids := map[string]int64{} // a ping's id must not change, whatever compaction does
	readPhase := func(phase string, reads int) {
		byKey := map[string]int{}
		for i, s := range all {
			byKey[key(s.p)] = i
		}
		var stats struct{ reads, rows, areaOnly, fineRows int }
		for n := range reads {
			auth := named
			switch rng.IntN(10) {
			case 0, 1, 2, 3:
				auth = byArea
			case 4:
				auth = wide
			}
			r := scope.Request{AuthorityID: auth.ID, Category: writ.CatLocation}
			if auth == named && rng.IntN(2) == 0 {
				for _, d := range subset(rng, devices[:4]) {
					r.Selectors = append(r.Selectors, writ.Selector{Kind: writ.SelDevice, Value: d})
				}
			}
			r.From = t0.Add(time.Duration(rng.Int64N(int64(span))))
			r.To = r.From.Add(time.Duration(rng.Int64N(int64([]time.Duration{2 * time.Hour, 30 * time.Hour, span}[rng.IntN(3)]))) + 1)
			if rng.IntN(2) == 0 {
				r.From, r.To = r.From.Truncate(time.Second), r.To.Truncate(time.Second).Add(time.Second)
			}
			if auth == byArea || rng.IntN(3) == 0 {
				r.Area = randPolygon(rng, propBox)
			}
			g := f.grant(t, r)
			sels := g.SelectorValues(writ.SelDevice)
			var want []string
			for _, s := range all {
				p := s.p
				switch {
				case len(sels) > 0 && !slices.Contains(sels, p.Device):
				case p.At.Before(g.From()) || !p.At.Before(g.To()):
				case len(g.Area()) > 0 && !g.Area().Contains(writ.Point{Lat: p.Lat, Lon: p.Lon}):
				default:
					want = append(want, key(p))
				}
			}
			q := writ.EventQuery{Limit: []int{0, 7, 100, 5000}[rng.IntN(4)]}
			limit := cmp0(q.Limit, writ.DefaultLimit)
			var got []string
			for {
				page, err := db.Pings(ctx, g, q)
				if err != nil {
					t.Fatalf("Pings(grant %d) = %v", n, err)
				}
				if len(page) > limit {
					t.Fatalf("Pings(grant %d) returned %d rows, over the limit %d", n, len(page), limit)
				}
				for _, p := range page {
					if p.ID <= q.AfterID {
						t.Fatalf("Pings(grant %d) returned id %d after %d: not in id order", n, p.ID, q.AfterID)
					}
					q.AfterID = p.ID
					k := key(p)
					i, ok := byKey[k]
					if !ok {
						t.Fatalf("Pings(grant %d) returned %+v, which was never stored", n, p)
					}
					want := all[i].p
					want.ID = p.ID
					if id, ok := ids[k]; ok && id != p.ID {
						t.Fatalf("%s: Pings(grant %d) returned %s with id %d, earlier %d", phase, n, k, p.ID, id)
					}
					ids[k] = p.ID
					if !reflect.DeepEqual(p, want) {
						t.Fatalf("Pings(grant %d) row = %+v\nwant %+v", n, p, want)
					}
					if all[i].own {
						stats.fineRows++
					}
					got = append(got, k)
				}
				if len(page) < limit {
					break
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Pings(grant %d: %d devices, area %d points, %s to %s) returned %d rows, want %d", n, len(sels),
					len(g.Area()), g.From().Format(time.RFC3339Nano), g.To().Format(time.RFC3339Nano), len(got), len(want))
			}
			stats.reads++
			stats.rows += len(got)
			if len(sels) == 0 && len(got) > 0 {
				stats.areaOnly++
			}
		}
		t.Logf("%s: %d reads returned %d rows (%d of the fine batch); %d area-only reads returned rows", phase,
			stats.reads, stats.rows, stats.fineRows, stats.areaOnly)
		if stats.rows < reads*5 || stats.areaOnly < reads/8 || stats.fineRows == 0 {
			t.Errorf("%s: the random reads exercised too little: %+v", phase, stats)
		}
	}
	compact := func(wantMerged bool) {
		t.Helper()
		st, err := db.CompactPings(ctx, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
		if err != nil || (st.Keys > 0) != wantMerged || (wantMerged && st.After >= st.Before) {
			t.Fatalf("CompactPings() = %+v, %v; want merged: %v", st, err, wantMerged)
		}
		t.Logf("CompactPings() = %+v", st)
		if got := count(t, db, "pings"); got != len(all) {
			t.Fatalf("pings after compaction = %d, want %d", got, len(all))
		}
	}
	readPhase("committed", 80)
	compact(true)
	compact(false) // nothing left to merge
	readPhase("compacted", 60)
	// More batches on top of merged blocks: read, then merged again.
	fileBatches(25, 30)
	readPhase("committed on compacted", 60)
	compact(true)
	readPhase("compacted again", 60)
	// Settling merges every (hour, cell) key's blocks, small or not, into
	// as few as hold its pings; own batches' blocks stay as they are.
	fileBatches(30, 33)
	st, err := db.CompactPingCells(ctx, t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour))
	if err != nil || st.Keys == 0 || st.After >= st.Before {
		t.Fatalf("CompactPingCells() = %+v, %v; want keys merged", st, err)
	}
	t.Logf("CompactPingCells() = %+v", st)
	if n := unsettledKeys(t, db); n != 0 {
		t.Fatalf("%d (hour, cell) keys keep more blocks than their pings need after CompactPingCells", n)
	}
	if got := count(t, db, "pings"); got != len(all) {
		t.Fatalf("pings after settling = %d, want %d", got, len(all))
	}
	readPhase("settled", 60)
}

// unsettledKeys counts the (hour, cell) keys that keep a batch's own block
// of mergeable pings (not of an own batch) beside another mergeable block.
func unsettledKeys(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	var n int
	err := db.Reader().QueryRow(`SELECT count(*) FROM (SELECT hour, cell FROM ping_cell_blocks
		WHERE part < 0 OR batch NOT IN (SELECT batch FROM ping_batches WHERE own)
		GROUP BY hour, cell HAVING count(*) > 1 AND sum(CASE WHEN part >= 0 THEN 1 ELSE 0 END) > 0) k`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testSettleOnCommit checks that batches in the order of the world's files
// (by day, then device) settle each hour once ingest has moved past it,
// that SettlePings settles the rest, and that reads see every ping the same
// throughout.
func testSettleOnCommit(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.locationArea(t)
	lo, hi := propBox.Bounds()
	const days, devices = 4, 12
	var line int64 = 2
	var n int64
	total := 0
	// Whole days of 12 devices, a fix every 10 minutes, in batches of 3
	// devices: every (hour, cell) key of a day gets blocks from 4 batches.
	for day := range days {
		for d0 := 0; d0 < devices; d0 += 3 {
			b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:settle", Number: n, Size: 3 * 144, Dataset: "carrier-location",
				Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: a.ID}}
			n++
			for d := d0; d < d0+3; d++ {
				for k := range 144 {
					at := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(k)*10*time.Minute)
					// Each device keeps to one of four spots, so keys repeat.
					lat := math.Round((lo.Lat+float64(d%4+1)*(hi.Lat-lo.Lat)/6)*1e6) / 1e6
					lon := math.Round((lo.Lon+float64(d%4+1)*(hi.Lon-lo.Lon)/6)*1e6) / 1e6
					b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", d), At: at, Lat: lat, Lon: lon, AccuracyM: 10,
						Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprintf("%064x", line)}})
					line++
				}
			}
			if res, err := db.CommitBatch(ctx, b); err != nil || res.Stored != len(b.Pings) {
				t.Fatalf("CommitBatch(%d) = %+v, %v", b.Number, res, err)
			}
			total += len(b.Pings)
		}
	}
	// Days 0 to 2 are behind the last day's batches: settled already.
	var before, after int
	lastDay := t0.Add((days-1)*24*time.Hour).Unix() / 3600
	if err := db.Reader().QueryRow(`SELECT count(*) FROM (SELECT hour, cell FROM ping_cell_blocks WHERE hour < ` + itoa(lastDay-1) +
		` GROUP BY hour, cell HAVING count(*) > 1) k`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if before != 0 {
		t.Errorf("%d keys of the days ingest has passed keep several blocks; want them settled on commit", before)
	}
	if err := db.Reader().QueryRow(`SELECT count(*) FROM (SELECT hour, cell FROM ping_cell_blocks GROUP BY hour, cell HAVING count(*) > 1) k`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after == 0 {
		t.Errorf("the last day's keys are settled already; want them pending until SettlePings")
	}
	// The store keeps the pending hours too (ping_unsettled), those of the
	// last day only: a store opened after a crash settles them.
	var pendingLo, pendingHours int64
	if err := db.Reader().QueryRow(`SELECT coalesce(min(hour), -1), count(DISTINCT hour) FROM ping_unsettled`).Scan(&pendingLo, &pendingHours); err != nil {
		t.Fatal(err)
	}
	if pendingHours == 0 || pendingLo < lastDay-1-24 {
		t.Errorf("ping_unsettled holds %d hours from hour %d; want the last day's, from about %d", pendingHours, pendingLo, lastDay-1)
	}
	st, err := db.SettlePings(ctx)
	if err != nil || st.Keys == 0 {
		t.Fatalf("SettlePings() = %+v, %v; want the last day's keys merged", st, err)
	}
	if n := unsettledKeys(t, db); n != 0 {
		t.Fatalf("%d keys unsettled after SettlePings", n)
	}
	if err := db.Reader().QueryRow(`SELECT count(*) FROM ping_unsettled`).Scan(&pendingHours); err != nil || pendingHours != 0 {
		t.Errorf("ping_unsettled holds %d rows after SettlePings (%v); want none", pendingHours, err)
	}
	g := f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatLocation, From: t0, To: t0.Add(days * 24 * time.Hour)})
	var got []int64
	for _, p := range allPings(t, db, g, 1000) {
		got = append(got, p.Prov.Offset)
	}
	if len(got) != total {
		t.Fatalf("area read after settling returned %d pings, want %d", len(got), total)
	}
	for i, off := range got {
		if off != int64(i+2) {
			t.Fatalf("Pings()[%d] has offset %d, want %d", i, off, i+2)
		}
	}
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// testLegacyPings checks that the rows of the per-row pings table of schema
// v7 are moved into blocks, exactly, and the table dropped.
func testLegacyPings(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE pings_v1 (id BIGINT PRIMARY KEY, device TEXT NOT NULL,
		at BIGINT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, accuracy_m DOUBLE PRECISION NOT NULL,
		dataset TEXT NOT NULL, source TEXT NOT NULL, src_offset BIGINT NOT NULL, content_hash TEXT NOT NULL, batch TEXT NOT NULL,
		basis_kind TEXT NOT NULL, basis_id BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	old := []writ.Ping{
		ping("l1", "dev-1", t0.Add(time.Hour+time.Microsecond), 40.7051234567, -74.0151234567),
		ping("l2", "dev-2", t0.Add(2*time.Hour), inside.Lat, inside.Lon),
		ping("l3", "dev-1", t0.Add(3*time.Hour), far.Lat, far.Lon),
	}
	old[2].Prov.Dataset, old[2].Prov.Source, old[2].Prov.Batch = "other", "other.csv", "b-9"
	for i, p := range old {
		// Ids far apart land in different conversion batches.
		if _, err := db.Writer().ExecContext(ctx, fmt.Sprintf(`INSERT INTO pings_v1 VALUES (%d, '%s', %d, %v, %v, %v, '%s', '%s', %d, '%s', '%s', '%s', %d)`,
			1+i*150_000, p.Device, p.At.UnixMicro(), p.Lat, p.Lon, p.AccuracyM, p.Prov.Dataset, p.Prov.Source, p.Prov.Offset,
			p.Prov.ContentHash, p.Prov.Batch, p.Prov.BasisKind, p.Prov.BasisID)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the second time finds nothing to do
		if err := db.ConvertLegacyPings(ctx); err != nil {
			t.Fatalf("ConvertLegacyPings() = %v", err)
		}
	}
	if got := count(t, db, "pings"); got != len(old) {
		t.Errorf("pings after conversion = %d, want %d", got, len(old))
	}
	if _, err := db.Reader().ExecContext(ctx, `SELECT count(*) FROM pings_v1`); err == nil {
		t.Errorf("pings_v1 still exists after conversion")
	}
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}, {Kind: writ.SelDevice, Value: "dev-2"}}
	a = f.approved(t, a)
	got, err := db.Pings(ctx, f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatLocation, From: t0, To: t0.Add(24 * time.Hour)}), writ.EventQuery{})
	if err != nil || len(got) != len(old) {
		t.Fatalf("Pings() after conversion = %v, %v, want %d rows", got, err, len(old))
	}
	for i := range old {
		want := old[i]
		want.ID = got[i].ID
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("Pings()[%d] = %+v, want %+v", i, got[i], want)
		}
	}
}

// testCompactOnCommit checks that CommitBatch merges the small blocks a
// feed leaves, every 64 batches (twice: the keys merged the first time are
// merged again), and that reads see every ping the same.
func testCompactOnCommit(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.authority()
	a.Categories = []writ.Category{writ.CatLocation}
	a.Selectors = []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}, {Kind: writ.SelDevice, Value: "dev-2"}}
	a = f.approved(t, a)
	var seq int64
	for n := range 128 {
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "stream:feed", Size: 1, Dataset: "carrier-location",
			Source: "feed", Kind: writ.DataPings, BasisKind: "authority", BasisID: a.ID}, Stream: "feed"}
		for i := range 10 {
			seq++
			b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", 1+i%2), At: t0.Add(time.Duration(seq) * time.Minute),
				// On the 1e-6° grid, as parsed from text.
				Lat: float64(40_700_000+100*i) / 1e6, Lon: -74, AccuracyM: 5,
				Prov: writ.Provenance{Offset: seq, ContentHash: fmt.Sprint("h", seq)}})
			b.Number = seq
		}
		if res, err := db.CommitBatch(ctx, b); err != nil || res.Stored != 10 {
			t.Fatalf("CommitBatch(%d) = %+v, %v", n, res, err)
		}
	}
	var blocks int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM ping_device_blocks`).Scan(&blocks); err != nil {
		t.Fatal(err)
	}
	// 128 batches × 2 devices × 1 day made 256 blocks; merged every 64
	// batches, they are two blocks of 320 pings a device (a merged block of
	// 250 pings or more is not merged again).
	if blocks != 4 {
		t.Errorf("device blocks after 128 small batches = %d, want 4", blocks)
	}
	g := f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatLocation, From: t0, To: t0.Add(2 * 24 * time.Hour)})
	var got []int64
	q := writ.EventQuery{Limit: 100}
	for {
		page, err := db.Pings(ctx, g, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			if p.ID <= q.AfterID {
				t.Fatalf("Pings() returned id %d after %d", p.ID, q.AfterID)
			}
			q.AfterID = p.ID
			got = append(got, p.Prov.Offset)
		}
		if len(page) < q.Limit {
			break
		}
	}
	if len(got) != int(seq) {
		t.Fatalf("Pings() after compaction returned %d pings, want %d", len(got), seq)
	}
	for i, off := range got {
		if off != int64(i+1) {
			t.Fatalf("Pings()[%d] has offset %d, want %d: not in id order", i, off, i+1)
		}
	}
}
