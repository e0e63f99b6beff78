package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// Settling the hours ingest has passed.
//
// Every batch writes its own block for each (hour, cell) key it touches, so
// that its pings are searchable the moment it commits. A file in the
// world's order (by day, then person) or a feed touches each hour from many
// batches: at 100M pings a busy key held 29 blocks of 19 pings, stored in
// batch order, and an area search sought to every one of them (16 ms where
// 10M pings took 0.7). Once ingest has moved past an hour, settling merges
// each of its keys into as few blocks as hold its pings (at most
// maxBlockPings each) and writes them together, key after key: an area
// search then reads one or two adjacent blocks per cell.

// settleLag is how far behind the earliest hour of the latest batch an hour
// must be before it is settled: a straggler hour or two later only adds a
// small block, which the next settling of that hour merges.
const settleLag = 1

// settlePingsPerTx bounds the pings one settling transaction rewrites, so a
// long settling holds the write lock in turns.
const settlePingsPerTx = 1 << 20

// settling remembers the hours whose cell blocks batches wrote since they
// were last settled. The table ping_unsettled keeps them too, a row per
// hour and batch written in the batch's transaction, so a store opens with
// the hours a crashed process left pending (loadUnsettled); the next
// settling (a batch past them, the end of an ingest, Close) covers them.
type settling struct {
	mu      sync.Mutex
	pending map[int64]bool // hour
}

// insertUnsettled records, in a batch's transaction, the hours of the cell
// blocks it wrote.
func (db *DB) insertUnsettled(ctx context.Context, tx *sql.Tx, batch int64, cellRows []blockRow) error {
	var hours []int64
	seen := map[int64]bool{}
	for i := range cellRows {
		if h := cellRows[i].k1; !seen[h] {
			seen[h] = true
			hours = append(hours, h)
		}
	}
	for start := 0; start < len(hours); start += 500 {
		chunk := hours[start:min(len(hours), start+500)]
		args := make([]any, 0, 2*len(chunk))
		for _, h := range chunk {
			args = append(args, h, batch)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO ping_unsettled (hour, batch) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ")), args...); err != nil {
			return fmt.Errorf("insert ping_unsettled: %w", err)
		}
	}
	return nil
}

// loadUnsettled makes the hours ping_unsettled lists pending, at open.
func (db *DB) loadUnsettled(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT hour FROM ping_unsettled`)
	if err != nil {
		return err
	}
	defer rows.Close()
	s := &db.settle
	s.mu.Lock()
	defer s.mu.Unlock()
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return err
		}
		if s.pending == nil {
			s.pending = map[int64]bool{}
		}
		s.pending[h] = true
	}
	return rows.Err()
}

// noteSettle records the hours a committed batch of pings wrote cell blocks
// in, and settles the pending hours the batch has left behind.
func (db *DB) noteSettle(ctx context.Context, rows []writ.Ping) {
	if len(rows) == 0 {
		return
	}
	s := &db.settle
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[int64]bool{}
	}
	low := floorDiv(micros(rows[0].At), usPerHour)
	for i := range rows {
		h := floorDiv(micros(rows[i].At), usPerHour)
		s.pending[h] = true
		low = min(low, h)
	}
	var due []int64
	for h := range s.pending {
		if h < low-settleLag {
			due = append(due, h)
		}
	}
	if len(due) == 0 {
		return
	}
	if _, err := db.settleHours(ctx, due); err != nil {
		// The batch is committed; its blocks read correctly unmerged,
		// and the hours stay pending for the next try.
		db.log.Error("settle ping hours", "err", err, "hours", len(due))
	}
}

// SettlePings settles every hour batches of this DB wrote cell blocks in
// and that is not settled yet. Ingest calls it when a run ends (ingest.File
// through ingest.Settler); Close calls it too.
func (db *DB) SettlePings(ctx context.Context) (CompactStats, error) {
	s := &db.settle
	s.mu.Lock()
	defer s.mu.Unlock()
	return db.settleHours(ctx, slices.Collect(maps.Keys(s.pending)))
}

// Settle is SettlePings for ingest.Settler.
func (db *DB) Settle(ctx context.Context) error {
	_, err := db.SettlePings(ctx)
	return err
}

// CompactPingCells settles the hours [from, to) whatever this DB
// remembers: after a crash, or on a store another process filled.
func (db *DB) CompactPingCells(ctx context.Context, from, to time.Time) (CompactStats, error) {
	h0, h1 := floorDiv(micros(from), usPerHour), floorDiv(micros(to)-1, usPerHour)
	var hours []int64
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT DISTINCT hour FROM ping_cell_blocks WHERE hour >= ? AND hour <= ?`), h0, h1)
	if err != nil {
		return CompactStats{}, db.wrap(err)
	}
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return CompactStats{}, db.wrap(err)
		}
		hours = append(hours, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return CompactStats{}, db.wrap(err)
	}
	db.settle.mu.Lock()
	defer db.settle.mu.Unlock()
	return db.settleHours(ctx, hours)
}

// settleHours settles hours (in any order), with the settling lock held,
// and forgets those it settled.
func (db *DB) settleHours(ctx context.Context, hours []int64) (CompactStats, error) {
	slices.Sort(hours)
	var st CompactStats
	infos := map[int64]batchLayout{}
	for len(hours) > 0 {
		var part CompactStats
		var done int
		err := db.settleTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
			part, done = CompactStats{}, 0
			for done < len(hours) && part.Pings < settlePingsPerTx {
				if err := db.settleHour(ctx, conn, tx, hours[done], infos, &part); err != nil {
					return fmt.Errorf("hour %d: %w", hours[done], err)
				}
				done++
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		for _, h := range hours[:done] {
			delete(db.settle.pending, h)
		}
		hours = hours[done:]
		st.add(part)
	}
	return st, nil
}

// settleTx runs fn in a write transaction that sees one snapshot: on
// PostgreSQL, repeatable read, so that a delete by key cannot reach a block
// a concurrent batch committed after the read (that batch's blocks stay,
// unmerged). SQLite's writer is alone (immediate transactions).
func (db *DB) settleTx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) error {
	var opts *sql.TxOptions
	if db.dialect.Name == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
	}
	return db.connTx(ctx, opts, fn)
}

// batchLayout is what merging needs of a ping batch.
type batchLayout struct {
	base int64
	own  bool
}

// cellBlock is one stored block of an hour being settled.
type cellBlock struct {
	cell, batch int64
	part        int
	block       []byte
}

// settleHour merges, in tx, the mergeable blocks (of batches blocks hold
// exactly, or merged ones) of each cell of hour that has a batch's own
// block among two or more of them.
func (db *DB) settleHour(ctx context.Context, conn *sql.Conn, tx *sql.Tx, hour int64, infos map[int64]batchLayout, st *CompactStats) error {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT cell, batch, part, block FROM ping_cell_blocks WHERE hour = ?
		ORDER BY cell, batch, part`), hour)
	if err != nil {
		return err
	}
	var blocks []cellBlock
	for rows.Next() {
		var b cellBlock
		if err := rows.Scan(&b.cell, &b.batch, &b.part, &b.block); err != nil {
			rows.Close()
			return err
		}
		blocks = append(blocks, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The batches whose own blocks this read sees: their layouts are
	// needed, and the hour is settled for them (a batch committed
	// meanwhile keeps its ping_unsettled row, so its hour stays pending).
	var batches []int64
	seen := map[int64]bool{}
	for i := range blocks {
		if b := blocks[i].batch; blocks[i].part >= 0 && !seen[b] {
			seen[b] = true
			batches = append(batches, b)
		}
	}
	if err := db.loadLayouts(ctx, tx, batches, infos); err != nil {
		return err
	}
	if err := db.execIn(ctx, tx, `DELETE FROM ping_unsettled WHERE hour = ? AND batch IN (`, hour, batches); err != nil {
		return err
	}
	var (
		out      []blockRow
		enc      []byte
		whole    []int64     // cells all of whose blocks are merged
		some     []cellBlock // blocks merged from cells that keep own blocks
		all      []pingblock.Ping
		mergeOne = func(p *cellBlock) bool { return p.part < 0 || !infos[p.batch].own }
	)
	for key := range runs(blocks, func(a, b *cellBlock) bool { return a.cell == b.cell }) {
		merge, kept, fresh := 0, 0, 0
		for i := range key {
			switch {
			case !mergeOne(&key[i]):
				kept++
			case key[i].part >= 0: // a batch's own block, not yet merged
				merge++
				fresh++
			default:
				merge++
			}
		}
		// A key already settled (merged parts only) is left alone, so that
		// settling an hour again, or a straggler in one cell, rewrites only
		// the keys that have new blocks.
		if merge < 2 || fresh == 0 {
			continue
		}
		all = all[:0]
		parts := 0
		for i := range key {
			b := &key[i]
			if !mergeOne(b) {
				continue
			}
			from := len(all)
			if all, err = appendWithIDs(all, b.block, b.batch, b.part, infos); err != nil {
				return fmt.Errorf("block (%d, %d, %d, %d): %w", hour, b.cell, b.batch, b.part, err)
			}
			// A batch's block is in time order; in id order, the key's
			// blocks (in batch order) are mostly in id order together,
			// which settleParts then need not sort.
			if run := all[from:]; !slices.IsSortedFunc(run, byLine) {
				slices.SortFunc(run, byLine)
			}
			if kept > 0 {
				some = append(some, *b)
			}
		}
		if kept == 0 {
			whole = append(whole, key[0].cell)
		}
		for i, grp := range settleParts(all) {
			first, last := grp[0].Line>>32, grp[0].Line>>32
			for _, p := range grp {
				first, last = min(first, p.Line>>32), max(last, p.Line>>32)
			}
			from := len(enc)
			enc = pingblock.AppendEncode(enc, grp)
			out = append(out, blockRow{k1: hour, k2: key[0].cell, part: -1 - i, n: len(grp), from: from, to: len(enc),
				first: first, last: last})
			parts = i + 1
		}
		st.add(CompactStats{Keys: 1, Before: merge, After: parts, Pings: len(all)})
	}
	if len(out) == 0 {
		return nil
	}
	if err := db.execIn(ctx, tx, `DELETE FROM ping_cell_blocks WHERE hour = ? AND cell IN (`, hour, whole); err != nil {
		return err
	}
	for _, b := range some {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM ping_cell_blocks WHERE hour = ? AND cell = ? AND batch = ? AND part = ?`),
			hour, b.cell, b.batch, b.part); err != nil {
			return err
		}
	}
	return db.insertBlocks(ctx, conn, tx, "ping_cell_blocks", []string{"hour", "cell"}, 0, out, enc, false)
}

// execIn runs query, which takes first as its first parameter and ends in
// "IN (", once for each chunk of vals (inChunks).
func (db *DB) execIn(ctx context.Context, tx *sql.Tx, query string, first any, vals []int64) error {
	for args, marks := range inChunks(first, vals) {
		if _, err := tx.ExecContext(ctx, db.q(query+marks), args...); err != nil {
			return err
		}
	}
	return nil
}

// inChunks cuts vals into chunks of 500 and yields, for each, the
// arguments of a statement whose first parameter is first and whose last
// is an IN list of the chunk, with that list's placeholders and ")".
func inChunks(first any, vals []int64) iter.Seq2[[]any, string] {
	return func(yield func([]any, string) bool) {
		for chunk := range slices.Chunk(vals, 500) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, first)
			for _, v := range chunk {
				args = append(args, v)
			}
			if !yield(args, strings.Repeat("?, ", len(chunk)-1)+"?)") {
				return
			}
		}
	}
}

// loadLayouts fills infos with the layouts of batches it lacks.
func (db *DB) loadLayouts(ctx context.Context, tx *sql.Tx, batches []int64, infos map[int64]batchLayout) error {
	var need []int64
	for _, b := range batches {
		if _, ok := infos[b]; !ok {
			need = append(need, b)
		}
	}
	for start := 0; start < len(need); start += 500 {
		chunk := need[start:min(len(need), start+500)]
		args := make([]any, len(chunk))
		for i, b := range chunk {
			args[i] = b
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT batch, base, own FROM ping_batches WHERE batch IN (`+
			strings.Repeat("?, ", len(chunk)-1)+`?)`), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b int64
			var l batchLayout
			if err := rows.Scan(&b, &l.base, &l.own); err != nil {
				rows.Close()
				return err
			}
			infos[b] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range chunk {
			if _, ok := infos[b]; !ok {
				return writ.Errorf(writ.EInternal, "ping block of batch %d, which has no ping_batches row", b)
			}
		}
	}
	return nil
}

// Parts of a settled key. A busy key (thousands of pings in a cell-hour) is
// cut by place as well as size: its pings go to a 4 × 4 grid over their
// box, the grid is walked row by row in a snake, and a part ends at a grid
// square once it holds settleMinPart pings, or before it would pass
// maxBlockPings. Parts stay nearly full: cut finer (64 pings), a key made
// three times the rows, and the reads paid more in row lookups than they
// saved in decoding. Each part's header box is then a few squares of the cell,
// so a read near a track (PingsNear, through pingblock.Clip.Window) skips
// the parts the track does not come near. Within a square, pings stay in
// id order: a batch's pings of one device stay together, so the line,
// position and time columns keep small deltas (by time, a block of 29
// batches' pings took 3 more bytes a ping). A cell-hour block needs no time
// order to be cut to a window.
const (
	settleGrid    = 4
	settleMinPart = 400
)

// appendWithIDs appends the pings of a block to all with each ping's id in
// its Line column, as merged blocks keep them: a batch's own block (part
// >= 0) holds lines, an id is batch << 32 | (line - base).
func appendWithIDs(all []pingblock.Ping, block []byte, batch int64, part int, layouts map[int64]batchLayout) ([]pingblock.Ping, error) {
	ps, err := pingblock.Decode(block)
	if err != nil {
		return all, err
	}
	for _, p := range ps {
		if part >= 0 {
			p.Line = batch<<32 | (p.Line - layouts[batch].base)
		}
		all = append(all, p)
	}
	return all, nil
}

// byLine orders pings by their Line column (a merged block's ids).
func byLine(a, b pingblock.Ping) int { return cmp.Compare(a.Line, b.Line) }

// settleParts orders all (one key's pings, ids in Line) and cuts it into
// parts of at most maxBlockPings.
func settleParts(all []pingblock.Ping) [][]pingblock.Ping {
	// all comes mostly in id order already (blocks in batch order, each
	// in line order): check before sorting.
	if !slices.IsSortedFunc(all, byLine) {
		slices.SortFunc(all, byLine)
	}
	if len(all) <= maxBlockPings {
		return [][]pingblock.Ping{all}
	}
	minLat, maxLat, minLon, maxLon := all[0].Lat, all[0].Lat, all[0].Lon, all[0].Lon
	for _, p := range all {
		minLat, maxLat = min(minLat, p.Lat), max(maxLat, p.Lat)
		minLon, maxLon = min(minLon, p.Lon), max(maxLon, p.Lon)
	}
	// A stable counting sort by square keeps id order within each.
	const squares = settleGrid * settleGrid
	sq := make([]uint8, len(all))
	var next [squares + 1]int
	for i := range all {
		row := gridIndex(all[i].Lat, minLat, maxLat)
		col := gridIndex(all[i].Lon, minLon, maxLon)
		if row%2 == 1 {
			col = settleGrid - 1 - col
		}
		sq[i] = uint8(row*settleGrid + col)
		next[sq[i]+1]++
	}
	for k := 1; k <= squares; k++ {
		next[k] += next[k-1]
	}
	ends := next // ends[k] is where square k starts; ends[k+1] where it ends
	placed := make([]pingblock.Ping, len(all))
	for i := range all {
		placed[next[sq[i]]] = all[i]
		next[sq[i]]++
	}
	copy(all, placed)
	var out [][]pingblock.Ping
	start := 0
	for k := range squares {
		i, j := ends[k], ends[k+1] // all[i:j] is square k
		if i == j {
			continue
		}
		if j-start > maxBlockPings && i > start { // the square does not fit: end the part before it
			out = append(out, all[start:i])
			start = i
		}
		for j-start > maxBlockPings { // a square over a block: cut it evenly
			n := (j - start + maxBlockPings - 1) / maxBlockPings
			size := (j - start + n - 1) / n
			out = append(out, all[start:start+size])
			start += size
		}
		if j-start >= settleMinPart {
			out = append(out, all[start:j])
			start = j
		}
	}
	if start < len(all) {
		out = append(out, all[start:])
	}
	return out
}

// gridIndex is v's square, 0 to settleGrid-1, over [lo, hi].
func gridIndex(v, lo, hi float64) int {
	if hi <= lo {
		return 0
	}
	return min(settleGrid-1, int((v-lo)/(hi-lo)*settleGrid))
}
