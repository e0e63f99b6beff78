package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/writhq/writ"
	"github.com/writhq/writ/near"
	"github.com/writhq/writ/pingblock"
)

// Pings returns location fixes of granted devices (or, under an area grant,
// of any device) inside the grant's window and area, in id order, one page.
//
// A read with device selectors reads those devices' device-day blocks; an
// area grant reads the (hour, cell) blocks of the cells covering the area's
// bounding box. The SQL only picks blocks, whose keys are wider than any
// grant: every ping is then clipped, exactly, to the window and the area
// (writ.Polygon.Contains, the test writ_in_polygon makes) before it is
// returned.
func (db *DB) Pings(ctx context.Context, g *writ.Grant, q writ.EventQuery) ([]writ.Ping, error) {
	if err := g.Check(writ.CatLocation); err != nil {
		return nil, err
	}
	sc, limit, ok := clipPings(g, q)
	if !ok {
		return []writ.Ping{}, nil
	}
	r := &pingRead{db: db, after: max(q.AfterID, 0), fromUs: sc.fromUs, toUs: sc.toUs, area: sc.area}
	out := []writ.Ping{}
	emit := func(refs []blockRef, next int64) (bool, error) {
		var done bool
		var err error
		out, done, err = r.add(ctx, out, refs, limit, next)
		return done, err
	}
	if err := db.pingBlocks(ctx, sc, r.after>>32, emit); err != nil {
		return nil, db.wrap(err)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// pingScope is what a grant and a query let a ping read see: the devices
// it names (none: the area), the area, and the window in unix µs.
type pingScope struct {
	values       []string
	area         writ.Polygon
	fromUs, toUs int64
}

// clipPings clips q to g (writ.Grant.Clip) for a ping read, with the page's
// limit; false if the read can see nothing.
func clipPings(g *writ.Grant, q writ.EventQuery) (pingScope, int, bool) {
	values, from, to, limit, ok := g.Clip(q)
	sc := pingScope{values: values, area: g.Area(), fromUs: ceilMicros(from), toUs: ceilMicros(to)}
	return sc, limit, ok && (len(sc.values) > 0 || len(sc.area) > 0) && sc.fromUs < sc.toUs
}

// pingBlocks passes to emit the blocks that may hold pings of sc, from
// batch minBatch on: the named devices' blocks, or the area's.
func (db *DB) pingBlocks(ctx context.Context, sc pingScope, minBatch int64, emit emitFunc) error {
	if len(sc.values) > 0 {
		return db.deviceBlocks(ctx, sc.values, sc.fromUs, sc.toUs, minBatch, emit)
	}
	return db.cellBlocks(ctx, sc.area, sc.fromUs, sc.toUs, minBatch, emit)
}

// emitFunc takes the blocks whose first batch lies in a range of batches,
// after any range it took before, and reports whether the page is done.
// next is the first batch of the next range (math.MaxInt64: none).
type emitFunc func(refs []blockRef, next int64) (done bool, err error)

// blockRef is one block a read selected.
type blockRef struct {
	batch int64
	part  int
	block []byte
}

func (db *DB) deviceBlocks(ctx context.Context, devices []string, fromUs, toUs, minBatch int64, emit emitFunc) error {
	args := make([]any, 0, len(devices)+2)
	for _, d := range devices {
		args = append(args, d)
	}
	args = append(args, floorDiv(fromUs, usPerDay), floorDiv(toUs-1, usPerDay))
	return db.scanRounds(ctx, "ping_device_blocks", `device IN (`+strings.Repeat("?, ", len(devices)-1)+
		`?) AND day >= ? AND day <= ?`, args, minBatch, emit)
}

// snapshot begins a read transaction that sees one state of the store
// throughout (SQLite's read transactions do; PostgreSQL's need repeatable
// read).
//
// A read in a snapshot may need a second connection while it holds it (to
// prepare a statement, or to read a batch's provenance), so at most half
// the reader pool is held in snapshots at once: with every connection held
// and each holder waiting for one more, the reads would wait forever (four
// readers near a track on a pool of four did). end rolls the transaction
// back and gives its place up.
func (db *DB) snapshot(ctx context.Context) (tx *sql.Tx, end func(), err error) {
	if db.snapshots != nil {
		select {
		case db.snapshots <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	free := func() {
		if db.snapshots != nil {
			<-db.snapshots
		}
	}
	var opts *sql.TxOptions
	if db.dialect.Name == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	if tx, err = db.r.BeginTx(ctx, opts); err != nil {
		free()
		return nil, nil, err
	}
	return tx, func() { tx.Rollback(); free() }, nil
}

// firstRound is the batches a scan's first round reads; each round reads
// twice as many as the one before. (Variables for the tests.)
var firstRound = 16

// oneShot bounds the blocks a scan reads in one query: a read of fewer
// blocks (a trajectory, a small area) takes them all at once.
var oneShot = 2048

// scanRounds reads the blocks of table matching cond. Up to oneShot blocks
// it reads them in one query; beyond that, in rounds of whole batches, in
// batch order, until a page is full, so that a page of a large read holds
// in memory only the blocks of the batches it needs.
func (db *DB) scanRounds(ctx context.Context, table, cond string, args []any, minBatch int64, emit emitFunc) error {
	stmt, release, err := db.pings.stmt(db, `SELECT batch, part, block FROM `+table+` WHERE `+cond+` AND last >= ?`)
	if err != nil {
		return err
	}
	rows, err := stmt.QueryContext(ctx, append(slices.Clip(args), minBatch)...)
	if err != nil {
		release()
		return err
	}
	var refs []blockRef
	for rows.Next() && len(refs) <= oneShot {
		var r blockRef
		if err := rows.Scan(&r.batch, &r.part, &r.block); err != nil {
			rows.Close()
			return err
		}
		refs = append(refs, r)
	}
	rows.Close()
	release()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(refs) <= oneShot {
		_, err := emit(refs, math.MaxInt64)
		return err
	}
	refs = nil
	// The rounds run in one snapshot: CompactPings moves pings between
	// blocks, and a read must see them before or after, not both or
	// neither. (One statement is a snapshot by itself.)
	tx, end, err := db.snapshot(ctx)
	if err != nil {
		return err
	}
	defer end()
	rows, err = tx.QueryContext(ctx, db.q(`SELECT DISTINCT batch FROM `+table+` WHERE `+cond+` AND last >= ? ORDER BY batch`),
		append(slices.Clip(args), minBatch)...)
	if err != nil {
		return err
	}
	var batches []int64
	for rows.Next() {
		var b int64
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return err
		}
		batches = append(batches, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, n := 0, firstRound; i < len(batches); i, n = i+n, 2*n {
		j := min(len(batches), i+n)
		refs, err := db.blockRefs(ctx, tx, `SELECT batch, part, block FROM `+table+` WHERE `+cond+` AND last >= ? AND batch >= ? AND batch <= ?`,
			append(slices.Clip(args), minBatch, batches[i], batches[j-1])...)
		if err != nil {
			return err
		}
		next := int64(math.MaxInt64)
		if j < len(batches) {
			next = batches[j]
		}
		if done, err := emit(refs, next); done || err != nil {
			return err
		}
	}
	return nil
}

// maxCoverDeg2 bounds the area (in square degrees) whose level-13 covering
// a read computes; a larger area reads every cell of its hours instead.
const maxCoverDeg2 = 4

// pointLookups bounds the (hour, cell range) pairs read one seek each; more
// are read in one scan of the hours.
const pointLookups = 64

func (db *DB) cellBlocks(ctx context.Context, area writ.Polygon, fromUs, toUs, minBatch int64, emit emitFunc) error {
	h0, h1 := floorDiv(fromUs, usPerHour), floorDiv(toUs-1, usPerHour)
	lo, hi := area.Bounds()
	// A hair wider than the box, so that a point on its edge cannot fall
	// in a cell the covering misses through rounding.
	const eps = 1e-7
	box := pingblock.Box{MinLat: max(lo.Lat-eps, -90), MinLon: max(lo.Lon-eps, -180),
		MaxLat: min(hi.Lat+eps, 90), MaxLon: min(hi.Lon+eps, 180)}
	if (box.MaxLat-box.MinLat)*(box.MaxLon-box.MinLon) > maxCoverDeg2 {
		return db.scanRounds(ctx, "ping_cell_blocks", `hour >= ? AND hour <= ?`, []any{h0, h1}, minBatch, emit)
	}
	ranges := pingblock.Ranges(pingblock.CoverBox(box))
	if len(ranges) == 0 {
		return nil
	}
	if (h1-h0+1)*int64(len(ranges)) <= pointLookups {
		// A small area over a few hours: one seek per (hour, range), in
		// one statement.
		var ors []string
		var args []any
		for h := h0; h <= h1; h++ {
			for _, rg := range ranges {
				ors = append(ors, "(hour = ? AND cell BETWEEN ? AND ?)")
				args = append(args, h, int64(rg[0]>>cellShift), int64(rg[1]>>cellShift))
			}
		}
		return db.scanRounds(ctx, "ping_cell_blocks", "("+strings.Join(ors, " OR ")+")", args, minBatch, emit)
	}
	if len(ranges) > 500 {
		ranges = [][2]uint64{{ranges[0][0], ranges[len(ranges)-1][1]}}
	}
	ors := make([]string, len(ranges))
	args := []any{h0, h1}
	for i, rg := range ranges {
		ors[i] = "cell BETWEEN ? AND ?"
		args = append(args, int64(rg[0]>>cellShift), int64(rg[1]>>cellShift))
	}
	return db.scanRounds(ctx, "ping_cell_blocks", `hour >= ? AND hour <= ? AND (`+strings.Join(ors, " OR ")+`)`, args, minBatch, emit)
}

func (db *DB) blockRefs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]blockRef, error) {
	rows, err := tx.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	return scanRefs(nil, rows)
}

type rowsScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanRefs(refs []blockRef, rows rowsScanner) ([]blockRef, error) {
	defer rows.Close()
	for rows.Next() {
		var r blockRef
		if err := rows.Scan(&r.batch, &r.part, &r.block); err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	return refs, rows.Err()
}

// pingBatchInfo is what a read needs of a ping batch.
type pingBatchInfo struct {
	prov writ.Provenance // the batch's provenance; ContentHash is its rows' digest
	base int64
	own  bool
}

// ownRow is a row of ping_rows.
type ownRow struct {
	at            int64
	lat, lon, acc float64
	prov          writ.Provenance
}

// pingRead is one page of a ping read.
type pingRead struct {
	db           *DB
	after        int64
	fromUs, toUs int64
	area         writ.Polygon
	scratch      []pingblock.Ping
	dec          pingblock.Decoder
	// window, if set, skips whole blocks first, and narrows the time
	// window in the others (pingblock.Clip.Window).
	window func(minT, maxT int64, b pingblock.Box) (int64, int64, bool)
	// near, if set, drops pings on their time and position as they are
	// decoded (pingblock.Clip.Keep), from blocks that hold them exactly,
	// and gives each ping kept its probe (pingHit.probe).
	near *near.Matcher
	// The probes Keep found in the block being filtered, in the order it
	// was asked, and how far exact has handed them on.
	probes  []keptProbe
	probeAt int
	// the batch info looked up last
	last      *pingBatchInfo
	lastBatch int64
	hit       pingHit // the one visit passes on
}

// add clips blocks, grouped by their first batch, and keeps in out the
// smallest ids, at most limit of them, in id order. Every ping of a block
// has an id of at least its first batch << 32, so once the page is full
// and the next group's first batch lies beyond the page's last id, no
// later block can belong to the page: done.
func (r *pingRead) add(ctx context.Context, out []writ.Ping, refs []blockRef, limit int, next int64) ([]writ.Ping, bool, error) {
	full := func(first int64) bool {
		if len(out) < limit {
			return false
		}
		slices.SortFunc(out, func(a, b writ.Ping) int { return cmp.Compare(a.ID, b.ID) })
		out = out[:limit]
		return first > out[limit-1].ID>>32
	}
	// Room for every ping of the blocks, up to a page, at once: growing a
	// page of 100,000 pings step by step copied it several times over.
	n := 0
	for _, ref := range refs {
		n += pingblock.Count(ref.block)
	}
	out = slices.Grow(out, min(n, limit))
	for group := range byFirstBatch(refs) {
		if full(group[0].batch) {
			return out, true, nil
		}
		err := r.visit(ctx, group, func(h *pingHit) error {
			pv, err := r.prov(ctx, h)
			if err != nil {
				return err
			}
			out = append(out, writ.Ping{ID: h.id, Device: h.dev, At: fromMicros(h.us), Lat: h.lat, Lon: h.lon,
				AccuracyM: h.acc, Prov: pv})
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	done := full(next)
	slices.SortFunc(out, func(a, b writ.Ping) int { return cmp.Compare(a.ID, b.ID) })
	return out, done, nil
}

// byFirstBatch sorts refs by (first batch, part) and yields them in groups
// of one first batch, as pingRead.visit takes them.
func byFirstBatch(refs []blockRef) iter.Seq[[]blockRef] {
	slices.SortFunc(refs, func(a, b blockRef) int { return cmp.Or(cmp.Compare(a.batch, b.batch), cmp.Compare(a.part, b.part)) })
	return runs(refs, func(a, b *blockRef) bool { return a.batch == b.batch })
}

// runs yields the runs of consecutive elements of s that same holds for
// (against the run's first).
func runs[T any](s []T, same func(first, e *T) bool) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		for start := 0; start < len(s); {
			end := start + 1
			for end < len(s) && same(&s[start], &s[end]) {
				end++
			}
			if !yield(s[start:end]) {
				return
			}
			start = end
		}
	}
}

// clip is the grant's clip of blocks that hold their pings exactly.
func (r *pingRead) clip() pingblock.Clip {
	var c pingblock.Clip
	if len(r.area) > 0 {
		lo, hi := r.area.Bounds()
		c.Box = &pingblock.Box{MinLat: lo.Lat, MinLon: lo.Lon, MaxLat: hi.Lat, MaxLon: hi.Lon}
		area := r.area
		c.Inside = func(lat, lon float64) bool { return area.Contains(writ.Point{Lat: lat, Lon: lon}) }
		c.Covers = func(b pingblock.Box) bool {
			return area.CoversBox(writ.Point{Lat: b.MinLat, Lon: b.MinLon}, writ.Point{Lat: b.MaxLat, Lon: b.MaxLon})
		}
	}
	c.From, c.To = ceilDiv(r.fromUs, 1000), ceilDiv(r.toUs, 1000)
	c.Window = r.window
	if r.near != nil {
		c.Keep = r.keepNear
	}
	return c
}

// keptProbe is a ping Keep let through, and the probe it is near.
type keptProbe struct {
	t        int64
	lat, lon float64
	probe    int
}

// keepNear is Clip.Keep near a track. It remembers each kept ping's probe,
// so that the reader need not look it up again.
func (r *pingRead) keepNear(t int64, lat, lon float64) bool {
	probe, ok := r.near.Near(lat, lon, t*1000)
	if ok {
		r.probes = append(r.probes, keptProbe{t, lat, lon, probe})
	}
	return ok
}

// probeOf is the probe keepNear found for p, a ping Filter returned (they
// come out in the order Keep was asked); false if it has none, and the
// reader must look it up.
func (r *pingRead) probeOf(p *pingblock.Ping) (int, bool) {
	for r.probeAt < len(r.probes) {
		k := &r.probes[r.probeAt]
		r.probeAt++
		if k.t == p.T && k.lat == p.Lat && k.lon == p.Lon {
			return k.probe, true
		}
	}
	return 0, false
}

// pingHit is a ping a read found, clipped to the grant, before the reader
// builds what it returns: a whole writ.Ping (Pings) or a writ.NearPing.
type pingHit struct {
	id            int64
	dev           string
	us            int64
	lat, lon, acc float64
	// The probe of a read near a track it is near, if probed (else the
	// reader asks the matcher).
	probe  int
	probed bool
	// Where its provenance comes from: its own row, or its batch's with
	// the offset (plus the batch's base, in a merged block).
	row    *ownRow
	batch  int64
	offset int64
	merged bool
}

// prov is a hit's provenance.
func (r *pingRead) prov(ctx context.Context, h *pingHit) (writ.Provenance, error) {
	if h.row != nil {
		return h.row.prov, nil
	}
	info, err := r.info(ctx, h.batch)
	if err != nil {
		return writ.Provenance{}, err
	}
	pv := info.prov
	pv.Offset = h.offset
	if h.merged {
		// Only batches that blocks hold exactly are merged.
		if info.own {
			return writ.Provenance{}, writ.Errorf(writ.EInternal, "merged ping block holds a ping of own batch %d", h.batch)
		}
		pv.Offset += info.base
	}
	return pv, nil
}

// exact passes to fn the pings of a block that holds them exactly (not an
// own batch's) inside clip, past r.after; ids makes a hit's id and
// provenance fields from the ping, and exact fills in the rest.
func (r *pingRead) exact(block []byte, clip pingblock.Clip, fn func(*pingHit) error, ids func(*pingblock.Ping) pingHit) error {
	r.probes, r.probeAt = r.probes[:0], 0
	ps, err := r.dec.AppendFilter(r.scratch[:0], block, clip)
	r.scratch = ps
	if err != nil {
		return err
	}
	for i := range ps {
		p := &ps[i]
		h := &r.hit
		*h = ids(p)
		if len(r.probes) > 0 {
			h.probe, h.probed = r.probeOf(p)
		}
		if h.id <= r.after {
			continue
		}
		h.dev, h.us, h.lat, h.lon, h.acc = p.Device, p.T*1000, p.Lat, p.Lon, p.AccuracyM
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// visit passes to fn each ping of the blocks refs, all of one first batch
// (byFirstBatch), that the read may see. The hit is reused: fn must copy
// what it keeps.
func (r *pingRead) visit(ctx context.Context, refs []blockRef, fn func(*pingHit) error) error {
	clip := r.clip()
	plain := refs[:0:0]
	for _, ref := range refs {
		if ref.part >= 0 {
			plain = append(plain, ref)
			continue
		}
		// Merged by CompactPings: each ping's line column holds its id.
		err := r.exact(ref.block, clip, fn, func(p *pingblock.Ping) pingHit {
			return pingHit{id: p.Line, batch: p.Line >> 32, offset: p.Line & (1<<32 - 1), merged: true}
		})
		if err != nil {
			return err
		}
	}
	if len(plain) == 0 {
		return nil
	}
	refs = plain
	id := refs[0].batch
	info, err := r.info(ctx, id)
	if err != nil {
		return err
	}
	if !info.own {
		// The blocks hold these pings exactly (whole milliseconds), so
		// Filter's window and area test are the grant's.
		for _, ref := range refs {
			err := r.exact(ref.block, clip, fn, func(p *pingblock.Ping) pingHit {
				return pingHit{id: id<<32 | (p.Line - info.base), batch: id, offset: p.Line}
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	// Own rows: the blocks hold them rounded, so they only narrow the
	// candidates (with a margin of the rounding); ping_rows has the exact
	// values the clip is decided on.
	clip.From, clip.To = floorDiv(r.fromUs, 1000), floorDiv(r.toUs-1, 1000)+1
	clip.Keep = nil // the blocks' values are rounded; the exact ones are tested
	if clip.Box != nil {
		const margin = 1e-6
		b := *clip.Box
		clip.Box = &pingblock.Box{MinLat: b.MinLat - margin, MinLon: b.MinLon - margin, MaxLat: b.MaxLat + margin, MaxLon: b.MaxLon + margin}
		clip.Inside = nil
	}
	var ks []int64
	devs := map[int64]string{}
	for _, ref := range refs {
		ps, err := r.dec.AppendFilter(r.scratch[:0], ref.block, clip)
		r.scratch = ps
		if err != nil {
			return err
		}
		for _, p := range ps {
			if id<<32|p.Line > r.after {
				ks = append(ks, p.Line)
				devs[p.Line] = p.Device
			}
		}
	}
	rows, err := r.db.ownRows(ctx, id, ks)
	if err != nil {
		return err
	}
	for _, k := range ks {
		row, ok := rows[k]
		if !ok {
			return writ.Errorf(writ.EInternal, "ping batch %d has no row %d", id, k)
		}
		if row.at < r.fromUs || row.at >= r.toUs {
			continue
		}
		if len(r.area) > 0 && !r.area.Contains(writ.Point{Lat: row.lat, Lon: row.lon}) {
			continue
		}
		r.hit = pingHit{id: id<<32 | k, dev: devs[k], us: row.at, lat: row.lat, lon: row.lon, acc: row.acc, row: &row}
		if err := fn(&r.hit); err != nil {
			return err
		}
	}
	return nil
}

// pingStmts holds what ping reads keep per DB.
type pingStmts struct {
	once  sync.Once
	batch *sql.Stmt // a batch's provenance
	err   error
	// stmts caches prepared reads by their text, which depends only on
	// the read's shape (how many devices, ranges, hours): parsing a read of
	// 64 ORed seeks took SQLite longer than running it. At most maxStmts.
	mu    sync.Mutex
	stmts map[string]*readStmt
	// batches caches *pingBatchInfo by batch id: a committed batch's
	// provenance never changes, and only committed batches are read. (A
	// purge that deletes batches must clear it: SQLite may reuse the
	// highest id.) It holds about 100 bytes per batch read.
	batches sync.Map
}

func (p *pingStmts) prepare(db *DB) (*sql.Stmt, error) {
	p.once.Do(func() {
		p.batch, p.err = db.r.PrepareContext(context.Background(), db.q(`SELECT b.dataset, b.source, b.basis_kind, b.basis_id,
			p.base, p.own, p.rows_hash FROM ping_batches p JOIN ingest_batches b ON b.id = p.batch WHERE p.batch = ?`))
	})
	return p.batch, p.err
}

// maxStmts bounds the prepared reads a DB keeps.
const maxStmts = 256

// readStmt is a cached read and its users: one evicted from the cache is
// closed when its last user releases it, not under a read still using it.
type readStmt struct {
	s       *sql.Stmt
	users   int
	evicted bool
}

// stmt returns query prepared on the read pool, preparing it once, and the
// release its caller must call when done with it (after the rows are
// closed).
func (p *pingStmts) stmt(db *DB, query string) (*sql.Stmt, func(), error) {
	query = db.q(query)
	p.mu.Lock()
	defer p.mu.Unlock()
	rs, ok := p.stmts[query]
	if !ok {
		s, err := db.r.PrepareContext(context.Background(), query)
		if err != nil {
			return nil, nil, err
		}
		if p.stmts == nil {
			p.stmts = map[string]*readStmt{}
		}
		if len(p.stmts) >= maxStmts {
			for k, old := range p.stmts { // evict one, any
				delete(p.stmts, k)
				if old.evicted = true; old.users == 0 {
					old.s.Close()
				}
				break
			}
		}
		rs = &readStmt{s: s}
		p.stmts[query] = rs
	}
	rs.users++
	return rs.s, func() { p.release(rs) }, nil
}

func (p *pingStmts) release(rs *readStmt) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rs.users--; rs.users == 0 && rs.evicted {
		rs.s.Close()
	}
}

func (p *pingStmts) close() {
	if p.batch != nil {
		p.batch.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rs := range p.stmts {
		rs.s.Close()
	}
	p.stmts = nil
}

// info loads a batch's provenance, once per DB.
func (r *pingRead) info(ctx context.Context, batch int64) (*pingBatchInfo, error) {
	if r.last != nil && r.lastBatch == batch { // a merged block's pings come in runs of one batch
		return r.last, nil
	}
	if v, ok := r.db.pings.batches.Load(batch); ok {
		r.last, r.lastBatch = v.(*pingBatchInfo), batch
		return r.last, nil
	}
	if _, err := r.db.pings.prepare(r.db); err != nil {
		return nil, err
	}
	info := &pingBatchInfo{}
	var hash []byte
	err := r.db.pings.batch.QueryRowContext(ctx, batch).Scan(&info.prov.Dataset, &info.prov.Source, &info.prov.BasisKind, &info.prov.BasisID, &info.base, &info.own, &hash)
	if err != nil {
		return nil, notFound(err, "ping batch %d not found", batch)
	}
	info.prov.Batch = strconv.FormatInt(batch, 10)
	if len(hash) > 0 {
		info.prov.ContentHash = RowsHashPrefix + hex.EncodeToString(hash)
	}
	r.db.pings.batches.Store(batch, info)
	return info, nil
}

// RowsHashPrefix starts the ContentHash of a ping stored from a file or
// stream batch: a block does not keep each row's hash (32 bytes a ping, the
// whole budget), so the ping carries its batch's digest instead, the SHA-256
// over the batch's rows' hashes in line order, each followed by "\n".
const RowsHashPrefix = "batch-sha256:"

// ownRows reads rows ks of an own batch.
func (db *DB) ownRows(ctx context.Context, batch int64, ks []int64) (map[int64]ownRow, error) {
	out := make(map[int64]ownRow, len(ks))
	for args, marks := range inChunks(batch, ks) {
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT k, at, lat, lon, accuracy_m, dataset, source, src_offset, content_hash,
			batch_label, basis_kind, basis_id FROM ping_rows WHERE batch = ? AND k IN (`+marks), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k int64
			var r ownRow
			if err := rows.Scan(&k, &r.at, &r.lat, &r.lon, &r.acc, &r.prov.Dataset, &r.prov.Source, &r.prov.Offset,
				&r.prov.ContentHash, &r.prov.Batch, &r.prov.BasisKind, &r.prov.BasisID); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
