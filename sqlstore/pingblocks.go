package sqlstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// Pings are stored in blocks (migration 0008, docs/pingblock.md): each
// batch's pings are grouped by (device, day) and by (hour, S2 cell), each
// group encoded with pingblock, one row per block.

// maxBlockPings bounds the pings of one block: a device-day block of 500
// pings is about 3.5 KB and a cell block 5–6 KB, well within one 32 KB
// SQLite page (package sqlite), so no block spills to overflow pages.
const maxBlockPings = 500

// cellShift drops the constant low bits of a level-13 S2 cell id: the
// trailing 1 bit at 2*(30-13) = 34 and the zeros below it.
const cellShift = 2*(30-pingblock.Level) + 1

const (
	usPerHour = int64(3600_000_000)
	usPerDay  = 24 * usPerHour
)

// floorDiv divides rounding towards minus infinity, so times before 1970
// fall in the right hour and day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// ceilDiv divides rounding towards plus infinity.
func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// cellKey is the stored form of the level-13 cell holding a point.
func cellKey(lat, lon float64) int64 { return int64(pingblock.Cell(lat, lon) >> cellShift) }

// blockPing is one ping on its way into blocks.
type blockPing struct {
	p          pingblock.Ping
	us         int64 // exact time, unix microseconds
	dev        int64 // device ordinal in the batch, for grouping
	hour, cell int64
}

// checkPing refuses a ping the old table's CHECK constraints refused.
func checkPing(i int, p *writ.Ping) error {
	switch {
	case p.Device == "":
		return writ.Errorf(writ.EInvalid, "pings row %d needs a device", i)
	case !(p.Lat >= -90 && p.Lat <= 90):
		return writ.Errorf(writ.EInvalid, "pings row %d: latitude %v is out of range [-90, 90]", i, p.Lat)
	case !(p.Lon >= -180 && p.Lon <= 180):
		return writ.Errorf(writ.EInvalid, "pings row %d: longitude %v is out of range [-180, 180]", i, p.Lon)
	case math.IsNaN(p.AccuracyM) || math.IsInf(p.AccuracyM, 0):
		return writ.Errorf(writ.EInvalid, "pings row %d: accuracy %v is not a number", i, p.AccuracyM)
	}
	return nil
}

// exact reports whether a block holds p exactly: a whole millisecond,
// coordinates on the 1e-6° grid, whole metres of accuracy.
func exact(p *writ.Ping, us int64) bool {
	if us%1000 != 0 {
		return false
	}
	q := pingblock.Quantize(pingblock.Ping{T: us / 1000, Lat: p.Lat, Lon: p.Lon, AccuracyM: p.AccuracyM})
	return q.Lat == p.Lat && q.Lon == p.Lon && q.AccuracyM == p.AccuracyM && q.T == us/1000
}

// pingWrite is what writePings needs of a batch.
type pingWrite struct {
	batch int64
	rows  []writ.Ping
	keep  []int // the rows to write, in the order ids follow when own
	// own: the rows carry their own provenance (the Insert methods); it is
	// kept per row in ping_rows, as are exact values.
	own bool
	// plan, if set, is the layout PrepareBatch computed for these rows.
	plan *pingPlan
}

// pingPlan is a batch's pings laid out in blocks, ready to insert: all
// that writing them needs but the batch's id.
type pingPlan struct {
	own      bool // kept in ping_rows too (see writePings)
	base     int64
	rowsHash []byte
	devRows  []blockRow
	cellRows []blockRow
	enc      []byte
	n        int // the rows planned
}

// writePings writes the kept pings of a batch as blocks, in the batch's
// transaction. A file or stream batch whose offsets are distinct and whose
// values blocks hold exactly keeps only the blocks and a ping_batches row;
// any other batch also keeps each row, exactly, in ping_rows. It returns
// the device-day blocks it wrote.
func (db *DB) writePings(ctx context.Context, conn *sql.Conn, tx *sql.Tx, w pingWrite) (int, error) {
	if len(w.keep) == 0 {
		return 0, nil
	}
	p := w.plan
	if p == nil || p.n != len(w.keep) {
		var err error
		if p, err = planPings(w.rows, w.keep, w.own); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO ping_batches (batch, base, own, rows_hash) VALUES (?, ?, ?, ?)`),
		w.batch, p.base, p.own, p.rowsHash); err != nil {
		return 0, fmt.Errorf("insert ping_batches: %w", err)
	}
	if err := db.insertBlocks(ctx, conn, tx, "ping_device_blocks", []string{"device", "day"}, w.batch, p.devRows, p.enc, true); err != nil {
		return 0, err
	}
	if err := db.insertBlocks(ctx, conn, tx, "ping_cell_blocks", []string{"hour", "cell"}, w.batch, p.cellRows, p.enc, false); err != nil {
		return 0, err
	}
	if err := db.insertUnsettled(ctx, tx, w.batch, p.cellRows); err != nil {
		return 0, err
	}
	if p.own {
		return len(p.devRows), db.insertPingRows(ctx, conn, tx, w)
	}
	return len(p.devRows), nil
}

// planPings lays out the kept rows of a batch in blocks: the CPU half of
// writePings, which needs no transaction (PrepareBatch runs it while the
// batch before is being written).
func planPings(rows []writ.Ping, keep []int, own bool) (*pingPlan, error) {
	var base int64
	var order []int // !own: the kept rows in line order
	if !own {
		for _, i := range keep {
			if !exact(&rows[i], micros(rows[i].At)) {
				own = true
				break
			}
		}
	}
	if !own {
		order = slices.Clone(keep)
		byLine := func(a, b int) int { return cmp.Compare(rows[a].Prov.Offset, rows[b].Prov.Offset) }
		if !slices.IsSortedFunc(order, byLine) {
			slices.SortFunc(order, byLine)
		}
		base = rows[order[0]].Prov.Offset
		// The id keeps line - base in 32 bits, and needs distinct lines.
		if hi := rows[order[len(order)-1]].Prov.Offset; hi-base >= 1<<32 || hi-base < 0 {
			own = true
		}
		for j := 1; j < len(order) && !own; j++ {
			own = rows[order[j]].Prov.Offset == rows[order[j-1]].Prov.Offset
		}
	}
	if own {
		base = 0
		if len(keep) >= 1<<32 {
			return nil, writ.Errorf(writ.EInvalid, "a batch holds at most %d pings", int64(1)<<32-1)
		}
	}
	p := &pingPlan{own: own, base: base, n: len(keep)}
	if !own {
		all := make([]byte, 0, len(order)*(len(rows[order[0]].Prov.ContentHash)+1))
		for _, i := range order {
			all = append(append(all, rows[i].Prov.ContentHash...), '\n')
		}
		sum := sha256.Sum256(all)
		p.rowsHash = sum[:]
	}

	devs := map[string]int64{}
	bps := make([]blockPing, len(keep))
	for k, i := range keep {
		r := &rows[i]
		us := micros(r.At)
		line := r.Prov.Offset
		if own {
			line = int64(k)
		}
		d, ok := devs[r.Device]
		if !ok {
			d = int64(len(devs))
			devs[r.Device] = d
		}
		bps[k] = blockPing{p: pingblock.Ping{Device: r.Device, T: floorDiv(us, 1000), Lat: r.Lat, Lon: r.Lon,
			AccuracyM: r.AccuracyM, Line: line}, us: us, dev: d, hour: floorDiv(us, usPerHour), cell: cellKey(r.Lat, r.Lon)}
	}
	buf := make([]pingblock.Ping, 0, maxBlockPings)
	blocks := func(keys []gkey, idx []int32, starts []int, row func(k gkey, first *blockPing) blockRow) []blockRow {
		var out []blockRow
		for g, k := range keys {
			grp := idx[starts[g]:starts[g+1]]
			for part := 0; len(grp) > 0; part++ {
				n := min(len(grp), maxBlockPings)
				buf = buf[:0]
				for _, i := range grp[:n] {
					buf = append(buf, bps[i].p)
				}
				from := len(p.enc)
				p.enc = pingblock.AppendEncode(p.enc, buf)
				r := row(k, &bps[grp[0]])
				r.part, r.n, r.from, r.to = part, n, from, len(p.enc)
				out = append(out, r)
				grp = grp[n:]
			}
		}
		return out
	}
	keys, idx, starts := groupBy(bps, func(b *blockPing) gkey { return gkey{b.dev, floorDiv(b.us, usPerDay)} })
	p.devRows = blocks(keys, idx, starts, func(k gkey, first *blockPing) blockRow {
		return blockRow{key1: first.p.Device, k2: k.b}
	})
	keys, idx, starts = groupBy(bps, func(b *blockPing) gkey { return gkey{b.hour, b.cell} })
	p.cellRows = blocks(keys, idx, starts, func(k gkey, _ *blockPing) blockRow { return blockRow{k1: k.a, k2: k.b} })
	return p, nil
}

// PrepareBatch lays out a batch of pings in blocks ahead of CommitBatch,
// which then only writes them: ingest.File calls it (ingest.Preparer) in
// its parsing goroutine, so that the layout of one batch is computed while
// the batch before is being written. It changes nothing in the store, and
// CommitBatch lays the batch out itself when the plan does not fit (a
// stream batch, rows already committed) or was dropped: at most
// maxPrepared plans are kept.
func (db *DB) PrepareBatch(b *writ.Batch) {
	if b == nil || b.Kind != writ.DataPings || b.Stream != "" || len(b.Pings) == 0 {
		return
	}
	keep := make([]int, len(b.Pings))
	for i := range keep {
		keep[i] = i
	}
	for i := range b.Pings {
		if checkPing(i, &b.Pings[i]) != nil {
			return // CommitBatch refuses the batch anyway
		}
	}
	p, err := planPings(b.Pings, keep, false)
	if err != nil {
		return
	}
	db.plans.mu.Lock()
	defer db.plans.mu.Unlock()
	if db.plans.m == nil {
		db.plans.m = map[*writ.Batch]*pingPlan{}
	}
	if len(db.plans.m) >= maxPrepared {
		clear(db.plans.m) // plans no one committed: drop them
	}
	db.plans.m[b] = p
}

// maxPrepared bounds the plans PrepareBatch keeps (a plan holds its
// batch's encoded blocks, about 25 bytes a ping).
const maxPrepared = 4

// preparedPlans holds PrepareBatch's plans until CommitBatch takes them.
type preparedPlans struct {
	mu sync.Mutex
	m  map[*writ.Batch]*pingPlan
}

// takePlan returns and forgets the plan PrepareBatch made for b, if any.
func (db *DB) takePlan(b *writ.Batch) *pingPlan {
	db.plans.mu.Lock()
	defer db.plans.mu.Unlock()
	p := db.plans.m[b]
	delete(db.plans.m, b)
	return p
}

// gkey is a block key: (device ordinal, day) or (hour, cell).
type gkey struct{ a, b int64 }

// groupBy groups bps by key without moving them: idx[starts[g]:starts[g+1]]
// are the indexes of group g's pings in time (then line) order, and groups
// come in key order.
func groupBy(bps []blockPing, key func(*blockPing) gkey) (keys []gkey, idx []int32, starts []int) {
	ids := map[gkey]int32{}
	gid := make([]int32, len(bps))
	var counts []int
	for i := range bps {
		k := key(&bps[i])
		g, ok := ids[k]
		if !ok {
			g = int32(len(keys))
			ids[k] = g
			keys = append(keys, k)
			counts = append(counts, 0)
		}
		gid[i] = g
		counts[g]++
	}
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		return cmp.Or(cmp.Compare(keys[x].a, keys[y].a), cmp.Compare(keys[x].b, keys[y].b))
	})
	rank := make([]int32, len(keys))
	starts = make([]int, len(keys)+1)
	pos := 0
	for r, g := range order {
		rank[g] = int32(r)
		starts[r] = pos
		pos += counts[g]
	}
	starts[len(keys)] = pos
	fill := slices.Clone(starts[:len(keys)])
	idx = make([]int32, len(bps))
	for i := range bps {
		r := rank[gid[i]]
		idx[fill[r]] = int32(i)
		fill[r]++
	}
	byTime := func(x, y int32) int {
		return cmp.Or(cmp.Compare(bps[x].us, bps[y].us), cmp.Compare(bps[x].p.Line, bps[y].p.Line))
	}
	sorted := make([]gkey, len(keys))
	for r, g := range order {
		sorted[r] = keys[g]
		if s := idx[starts[r]:starts[r+1]]; !slices.IsSortedFunc(s, byTime) {
			slices.SortFunc(s, byTime)
		}
	}
	return sorted, idx, starts
}

// blockRow is one block to insert; its bytes are enc[from:to].
type blockRow struct {
	key1     string // device (device blocks)
	k1, k2   int64  // hour (cell blocks); day or cell
	part, n  int
	from, to int
	// first, last: the batches of a merged block's pings (last == 0: a
	// batch's own block, of the batch being written).
	first, last int64
}

// insertBlocks writes block rows: COPY where the dialect has it, else
// multi-row INSERTs.
func (db *DB) insertBlocks(ctx context.Context, conn *sql.Conn, tx *sql.Tx, table string, keys []string, batch int64,
	rows []blockRow, enc []byte, textKey bool) error {
	// Merged cell blocks also keep their extent in columns, for PingsNear
	// to choose blocks by (pingsnear.go); a batch's own blocks do not.
	spans := table == "ping_cell_blocks"
	vals := func(dst []any, i int) []any {
		r := &rows[i]
		var k1 any = r.k1
		if textKey {
			k1 = r.key1
		}
		b := enc[r.from:r.to]
		if r.last != 0 {
			dst = append(dst, k1, r.k2, r.first, r.part, r.last, r.n, b)
		} else {
			dst = append(dst, k1, r.k2, batch, r.part, batch, r.n, b)
		}
		if spans {
			dst = appendExtent(dst, r.part, b)
		}
		return dst
	}
	cols := []string{keys[0], keys[1], "batch", "part", "last", "n", "block"}
	if spans {
		cols = append(cols, extentCols...)
	}
	if db.dialect.CopyFrom != nil {
		k := 0
		next := func() []any {
			if k == len(rows) {
				return nil
			}
			k++
			return vals(make([]any, 0, len(cols)), k-1)
		}
		return conn.Raw(func(dc any) error {
			if _, err := db.dialect.CopyFrom(ctx, dc, table, cols, next); err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
			return nil
		})
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	return db.insertChunks(ctx, tx, table, strings.Join(cols, ", "), nil, nil, idx, vals)
}

// insertPingRows keeps the rows of an own batch exactly, by (batch, k).
func (db *DB) insertPingRows(ctx context.Context, conn *sql.Conn, tx *sql.Tx, w pingWrite) error {
	cols := []string{"batch", "k", "at", "lat", "lon", "accuracy_m", "dataset", "source", "src_offset", "content_hash",
		"batch_label", "basis_kind", "basis_id"}
	vals := func(dst []any, k int) []any {
		p := &w.rows[w.keep[k]]
		v := p.Prov
		return append(dst, w.batch, int64(k), micros(p.At), p.Lat, p.Lon, p.AccuracyM, v.Dataset, v.Source, v.Offset,
			v.ContentHash, v.Batch, v.BasisKind, v.BasisID)
	}
	if db.dialect.CopyFrom != nil {
		k := 0
		next := func() []any {
			if k == len(w.keep) {
				return nil
			}
			k++
			return vals(make([]any, 0, len(cols)), k-1)
		}
		return conn.Raw(func(dc any) error {
			if _, err := db.dialect.CopyFrom(ctx, dc, "ping_rows", cols, next); err != nil {
				return fmt.Errorf("copy into ping_rows: %w", err)
			}
			return nil
		})
	}
	idx := make([]int, len(w.keep))
	for i := range idx {
		idx[i] = i
	}
	all := cols[0]
	for _, c := range cols[1:] {
		all += ", " + c
	}
	return db.insertChunks(ctx, tx, "ping_rows", all, nil, nil, idx, vals)
}
