package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/writhq/writ"
	"github.com/writhq/writ/near"
	"github.com/writhq/writ/pingblock"
)

// PingsNear passes the pings the grant lets Pings return that lie within
// q.RadiusM and q.Within of one of q's probes (package near's test), the
// candidates of a co-location, to receivers newReceiver makes, one per
// reading goroutine (writ.EventStore), and returns how many it passed.
//
// Under a grant naming devices it reads those devices' blocks over the
// probes' span. Under an area grant it reads only the (hour, cell) blocks
// around the probes: the track is cut into pieces of about one cell, and
// each piece reads the cells covering its box, grown by the radius, for the
// hours its window, grown by q.Within, touches; the blocks whose header no
// probe comes near are skipped undecoded. Those reads run on up to
// GOMAXPROCS goroutines (at most maxNearReaders), each with its own
// connection and receiver, so the receivers count at once too: with one
// receiver for both readers, taken in turn, a co-location at 100M pings
// took about a fifth longer (docs/location-bench.md). Every ping is
// clipped to the grant as Pings clips it, then tested against the probes.
// The pings come block by block, in no set order, as writ.NearPing (no
// provenance: a co-location at 100M pings passes 802,364 of them, and
// building whole pings cost more than reading them). More than
// writ.MaxNearRows is refused (after that many have been passed).
func (db *DB) PingsNear(ctx context.Context, g *writ.Grant, q writ.NearQuery, newReceiver func() func(*writ.NearPing) error) (int, error) {
	if err := g.Check(writ.CatLocation); err != nil {
		return 0, err
	}
	if err := q.Check(); err != nil {
		return 0, err
	}
	sc, _, ok := clipPings(g, writ.EventQuery{})
	m := near.New(q)
	if !ok || m == nil {
		return 0, nil
	}
	lo, hi := m.Span()
	sc.fromUs, sc.toUs = max(sc.fromUs, lo), min(sc.toUs, hi+1)
	if sc.fromUs >= sc.toUs {
		return 0, nil
	}
	out := &nearOut{tooMany: "pings lie near the track; narrow the radius, the time or the window"}
	window := func(minT, maxT int64, b pingblock.Box) (int64, int64, bool) {
		return m.Window(minT, maxT, b.MinLat, b.MinLon, b.MaxLat, b.MaxLon)
	}
	// Near on time and place as the pings are decoded (pingRead.near);
	// then the device and accuracy of those kept decide, or Match does all
	// for the pings of own batches, whose blocks hold rounded values.
	match := func(h *pingHit) (int, bool) {
		if h.probed {
			return h.probe, m.Wants(h.dev, h.acc)
		}
		return m.Match(h.dev, h.lat, h.lon, h.acc, h.us)
	}
	reader := func() emitFunc {
		return out.emit(ctx, &pingRead{db: db, fromUs: sc.fromUs, toUs: sc.toUs, area: sc.area, window: window, near: m}, match, newReceiver())
	}
	var err error
	if len(sc.values) > 0 {
		err = db.deviceBlocks(ctx, sc.values, sc.fromUs, sc.toUs, 0, reader())
	} else {
		err = db.nearCellBlocks(ctx, m, sc.area, sc.fromUs, sc.toUs, reader)
	}
	if err != nil {
		return out.passed(), db.wrap(err)
	}
	return out.passed(), nil
}

// PingFixes passes to each every ping Pings would return under g for q,
// whatever q.Limit and q.AfterID, without its provenance (Probe -1), block
// by block in no set order, and returns how many it passed. Location
// analytics read only the fixes: whole pings carry their provenance's
// strings, and writing them while the collector marks cost a month of a
// busy device several times its read (docs/location-bench.md). More than writ.MaxNearRows
// is refused (after that many have been passed).
func (db *DB) PingFixes(ctx context.Context, g *writ.Grant, q writ.EventQuery, each func(*writ.NearPing) error) (int, error) {
	if err := g.Check(writ.CatLocation); err != nil {
		return 0, err
	}
	sc, _, ok := clipPings(g, q)
	if !ok {
		return 0, nil
	}
	out := &nearOut{tooMany: "pings under this grant; narrow the window or the selectors"}
	r := &pingRead{db: db, fromUs: sc.fromUs, toUs: sc.toUs, area: sc.area}
	every := func(*pingHit) (int, bool) { return -1, true }
	if err := db.pingBlocks(ctx, sc, 0, out.emit(ctx, r, every, each)); err != nil {
		return out.passed(), db.wrap(err)
	}
	return out.passed(), nil
}

// NearStats counts what PingsNear has read since the store was opened:
// the merged blocks' index rows it looked at (from the span index, after
// the SQL bounds), and the blocks it fetched, so a benchmark can say how
// much a read near a track touched.
type NearStats struct {
	IndexRows, Fetched int64
}

type nearCounts struct{ indexRows, fetched atomic.Int64 }

// NearStats returns PingsNear's counts so far.
func (db *DB) NearStats() NearStats {
	return NearStats{IndexRows: db.near.indexRows.Load(), Fetched: db.near.fetched.Load()}
}

// nearOut counts what the readers of one PingsNear or PingFixes pass on,
// each to its own receiver, and keeps the first error.
type nearOut struct {
	n       atomic.Int64
	mu      sync.Mutex
	err     error  // the first: the other readers stop at their next pass
	tooMany string // what the refusal past writ.MaxNearRows says lies there
}

// passed is how many pings the readers have passed on.
func (o *nearOut) passed() int { return int(o.n.Load()) }

// emit is one reader's emitFunc: it passes on to each each ping of each
// group of blocks that match keeps, with the probe match gives it.
func (o *nearOut) emit(ctx context.Context, r *pingRead, match func(*pingHit) (int, bool), each func(*writ.NearPing) error) emitFunc {
	var found []writ.NearPing
	keep := func(h *pingHit) error {
		if probe, ok := match(h); ok {
			found = append(found, writ.NearPing{ID: h.id, Device: h.dev, At: fromMicros(h.us), Lat: h.lat, Lon: h.lon,
				AccuracyM: h.acc, Probe: probe})
		}
		return nil
	}
	// Every block is wanted, so there is no paging: the blocks go to visit
	// grouped by first batch, as it needs, and on to each.
	return func(refs []blockRef, _ int64) (bool, error) {
		for group := range byFirstBatch(refs) {
			found = found[:0]
			if err := r.visit(ctx, group, keep); err != nil {
				return true, o.fail(err)
			}
			if err := o.pass(found, each); err != nil {
				return true, err
			}
		}
		return false, nil
	}
}

func (o *nearOut) pass(found []writ.NearPing, each func(*writ.NearPing) error) error {
	if err := o.firstErr(); err != nil {
		return err
	}
	// The group's count is taken at once, not ping by ping (an atomic add
	// per ping, shared by the readers, was 4% of a co-location's CPU).
	// The reader whose group crosses writ.MaxNearRows passes only what
	// is left under it and gives the rest back, so exactly MaxNearRows are
	// passed before the refusal.
	n := int64(len(found))
	pass := found
	over := o.n.Add(n) - writ.MaxNearRows
	if over > 0 {
		pass = found[:max(n-over, 0)]
		o.n.Add(-(n - int64(len(pass))))
	}
	for i := range pass {
		if err := each(&pass[i]); err != nil {
			o.n.Add(-int64(len(pass) - i - 1)) // not passed
			return o.fail(err)
		}
	}
	if over > 0 {
		return o.fail(writ.Errorf(writ.EInvalid, "more than %d %s", writ.MaxNearRows, o.tooMany))
	}
	return nil
}

// firstErr is the first error a reader met, if any.
func (o *nearOut) firstErr() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// fail keeps err if it is the first, and returns the first.
func (o *nearOut) fail(err error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = err
	}
	return o.err
}

// maxNearReaders bounds the goroutines (and connections) of one PingsNear.
const maxNearReaders = 4

// nearSeeks bounds the (hour, cell range) seeks of one of PingsNear's
// statements (a variable for the tests, which cut reads into many).
var nearSeeks = pointLookups

// nearCellBlocks reads the (hour, cell) blocks around m's pieces, each
// block once, in statements of up to nearSeeks seeks shared out among
// readers, each with the emitFunc reader() makes for it. A seek on merged
// blocks carries the extent its pieces reach, so the extent index turns
// away in the database many of the blocks m.Overlaps would (NearStats
// counts the rows that still reach Go).
func (db *DB) nearCellBlocks(ctx context.Context, m *near.Matcher, area writ.Polygon, fromUs, toUs int64, reader func() emitFunc) error {
	alo, ahi := area.Bounds()
	const eps = 1e-7 // as in cellBlocks: a point on the edge is never lost
	perHour := map[int64][]nearSpan{}
	for _, pc := range m.Pieces() {
		if pc.MinLon < -180 || pc.MaxLon > 180 { // across the antimeridian: every longitude
			pc.MinLon, pc.MaxLon = -180, 180
		}
		box := pingblock.Box{MinLat: max(pc.MinLat, alo.Lat) - eps, MinLon: max(pc.MinLon, alo.Lon) - eps,
			MaxLat: min(pc.MaxLat, ahi.Lat) + eps, MaxLon: min(pc.MaxLon, ahi.Lon) + eps}
		lo, hi := max(pc.FromUs, fromUs), min(pc.ToUs, toUs-1)
		if box.MinLat > box.MaxLat || box.MinLon > box.MaxLon || lo > hi {
			continue
		}
		box.MinLat, box.MaxLat = max(box.MinLat, -90), min(box.MaxLat, 90)
		box.MinLon, box.MaxLon = max(box.MinLon, -180), min(box.MaxLon, 180)
		// What a merged block's extent must meet to hold a point of the
		// piece, padded as Matcher.Overlaps pads: a millisecond, near.PadDeg.
		const pad = int64(near.PadDeg * 1e6) // 1e-6°
		ext := [6]int64{floorDiv(lo, 1000) - 1, ceilDiv(hi, 1000) + 1,
			int64(math.Floor(box.MinLat*1e6)) - pad, int64(math.Ceil(box.MaxLat*1e6)) + pad,
			int64(math.Floor(box.MinLon*1e6)) - pad, int64(math.Ceil(box.MaxLon*1e6)) + pad}
		ranges := pingblock.Ranges(pingblock.CoverBox(box))
		for h := floorDiv(lo, usPerHour); h <= floorDiv(hi, usPerHour); h++ {
			for _, rg := range ranges {
				perHour[h] = append(perHour[h], nearSpan{cells: [2]int64{int64(rg[0] >> cellShift), int64(rg[1] >> cellShift)}, ext: ext})
			}
		}
	}
	hours := make([]int64, 0, len(perHour))
	for h := range perHour {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	var stmts []nearStmt
	var cur nearStmt
	for _, h := range hours {
		for _, sp := range mergeSpans(perHour[h]) {
			cur.ownArgs = append(cur.ownArgs, h, sp.cells[0], sp.cells[1])
			cur.mergedArgs = append(cur.mergedArgs, h, sp.cells[0], sp.cells[1], sp.ext[0], sp.ext[1], sp.ext[2], sp.ext[3], sp.ext[4], sp.ext[5])
			if cur.seeks++; cur.seeks == nearSeeks {
				stmts, cur = append(stmts, cur), nearStmt{}
			}
		}
	}
	if cur.seeks > 0 {
		stmts = append(stmts, cur)
	}
	// The readers take the statements in turn, so a reader that meets
	// busy blocks takes fewer; a reader that fails moves next past the end.
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, min(runtime.GOMAXPROCS(0), maxNearReaders, len(stmts)))
	)
	// Each reader's emitFunc (and receiver) made here, one at a time.
	emits := make([]emitFunc, len(errs))
	for w := range emits {
		emits[w] = reader()
	}
	for w := range errs {
		wg.Go(func() {
			emit := emits[w]
			for i := next.Add(1) - 1; i < int64(len(stmts)); i = next.Add(1) - 1 {
				err := ctx.Err()
				if err == nil {
					err = db.nearBlocks(ctx, m, &stmts[i], emit)
				}
				if err != nil {
					errs[w] = err
					next.Store(int64(len(stmts)))
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err // the first; the others are mostly the same, passed on
		}
	}
	return nil
}

// nearSpan is what one piece of a track reads in one hour: a range of
// cells, and the extent (t0, t1, lat0, lat1, lon0, lon1, as schema v11
// keeps it) a merged block must meet to hold a point near the piece.
type nearSpan struct {
	cells [2]int64
	ext   [6]int64
}

// mergeSpans sorts spans by cells and merges those whose cell ranges
// overlap or touch, their extents joined, so that no block is read twice.
func mergeSpans(ss []nearSpan) []nearSpan {
	slices.SortFunc(ss, func(a, b nearSpan) int { return cmp.Compare(a.cells[0], b.cells[0]) })
	out := ss[:0]
	for _, s := range ss {
		if n := len(out); n > 0 && s.cells[0] <= out[n-1].cells[1]+1 {
			o := &out[n-1]
			o.cells[1] = max(o.cells[1], s.cells[1])
			for i := 0; i < 6; i += 2 {
				o.ext[i], o.ext[i+1] = min(o.ext[i], s.ext[i]), max(o.ext[i+1], s.ext[i+1])
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// nearStmt is one statement's worth of nearCellBlocks' seeks: the
// arguments of the conditions on a batch's own blocks (ownSeek, one per
// seek) and on merged blocks (mergedSeek).
type nearStmt struct {
	seeks               int
	ownArgs, mergedArgs []any
}

const (
	ownSeek = "(hour = ? AND cell BETWEEN ? AND ?)"
	// A merged block whose extent is not filled in (a store upgraded from
	// v10) is fetched, and its header decides.
	mergedSeek = "(hour = ? AND cell BETWEEN ? AND ? AND (t0 IS NULL OR " +
		"(t1 >= ? AND t0 <= ? AND lat1 >= ? AND lat0 <= ? AND lon1 >= ? AND lon0 <= ?)))"
)

// anyOf is the condition that one of n seeks holds.
func anyOf(seek string, n int) string {
	return "(" + strings.Repeat(seek+" OR ", n-1) + seek + ")"
}

// nearFetch bounds the blocks one statement of nearBlocks fetches.
const nearFetch = 256

// nearBlocks reads the (hour, cell) blocks of st that m's probes come
// near. It asks the indexes first: ping_cell_blocks_span holds each merged
// block's span and box (schema v11), so the merged blocks m.Overlaps turns
// away, two in three around a busy track, are never fetched. A batch's own
// blocks (part >= 0: not settled yet, or alone in their key) and merged
// blocks whose extent is not filled in (a store upgraded from v10) are
// fetched, and their header decides. Both steps run in one snapshot, as
// settling may merge blocks meanwhile.
func (db *DB) nearBlocks(ctx context.Context, m *near.Matcher, st *nearStmt, emit emitFunc) error {
	tx, end, err := db.snapshot(ctx)
	if err != nil {
		return err
	}
	defer end()
	// A block is fetched by its key; in SQLite by its rowid, which the
	// index holds too, and which spares a descent of the key's index.
	key, width := "hour, cell, batch, part", 4
	if db.dialect.Name == "sqlite" {
		key, width = "rowid", 1
	}
	// A batch's own blocks, from the key's index alone; merged blocks from
	// the extent index (part < 0 is its condition), if a probe comes near.
	keys, err := db.nearKeys(ctx, tx, `SELECT `+key+` FROM ping_cell_blocks WHERE `+anyOf(ownSeek, st.seeks)+` AND part >= 0`, st.ownArgs, width, nil, nil)
	if err != nil {
		return err
	}
	keys, err = db.nearKeys(ctx, tx, `SELECT `+key+`, t0, t1, lat0, lat1, lon0, lon1 FROM ping_cell_blocks WHERE `+anyOf(mergedSeek, st.seeks)+` AND part < 0`,
		st.mergedArgs, width, m, keys)
	if err != nil {
		return err
	}
	for len(keys) > 0 {
		n := min(len(keys)/width, nearFetch)
		// Statements of a power of two keys, the last key repeated to fill
		// one: a few texts for the statement cache, not one per count.
		size := 1
		for size < n {
			size *= 2
		}
		args := keys[:width*n]
		for len(args) < width*size {
			args = append(args[:len(args):len(args)], keys[width*(n-1):width*n]...)
		}
		q := `SELECT batch, part, block FROM ping_cell_blocks WHERE rowid IN (?` + strings.Repeat(", ?", size-1) + `)`
		if width == 4 {
			q = `SELECT batch, part, block FROM ping_cell_blocks WHERE (hour, cell, batch, part) IN (VALUES ` +
				`(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS INTEGER))` + strings.Repeat(", (?, ?, ?, ?)", size-1) + `)`
		}
		stmt, release, err := db.pings.stmt(db, q)
		if err != nil {
			return err
		}
		rows, err := tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
		if err != nil {
			release()
			return err
		}
		refs, err := scanRefs(nil, rows)
		release()
		if err != nil {
			return err
		}
		db.near.fetched.Add(int64(len(refs)))
		keys = keys[width*n:]
		if _, err := emit(refs, math.MaxInt64); err != nil {
			return err
		}
	}
	return nil
}

// nearKeys appends to keys the key (width values) of each block query
// returns. With m, query also returns the block's extent columns after its
// key, and a block whose extent no probe of m comes near is left out (one
// whose extent is NULL is kept).
func (db *DB) nearKeys(ctx context.Context, tx *sql.Tx, query string, args []any, width int, m *near.Matcher, keys []any) ([]any, error) {
	stmt, release, err := db.pings.stmt(db, query)
	if err != nil {
		return keys, err
	}
	defer release()
	rows, err := tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	if err != nil {
		return keys, err
	}
	defer rows.Close()
	var k [4]int64
	var e [6]sql.NullInt64 // t0, t1, lat0, lat1, lon0, lon1
	var dest []any
	for i := range width {
		dest = append(dest, &k[i])
	}
	if m != nil {
		dest = append(dest, &e[0], &e[1], &e[2], &e[3], &e[4], &e[5])
	}
	var scanned int64
	defer func() { db.near.indexRows.Add(scanned) }()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return keys, err
		}
		if m != nil {
			scanned++
		}
		if m != nil && e[0].Valid && e[1].Valid && e[2].Valid && e[3].Valid && e[4].Valid && e[5].Valid &&
			!m.Overlaps(e[0].Int64, e[1].Int64, float64(e[2].Int64)/1e6, float64(e[4].Int64)/1e6, float64(e[3].Int64)/1e6, float64(e[5].Int64)/1e6) {
			continue
		}
		for _, v := range k[:width] {
			keys = append(keys, v)
		}
	}
	return keys, rows.Err()
}
