package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/pingblock"
)

// CompactStats says what CompactPings did.
type CompactStats struct {
	Keys   int // keys whose blocks were merged
	Before int // their blocks before
	After  int // and after
	Pings  int // the pings moved
}

func (s *CompactStats) add(o CompactStats) {
	s.Keys += o.Keys
	s.Before += o.Before
	s.After += o.After
	s.Pings += o.Pings
}

// compactKeysPerTx bounds the keys one compaction transaction merges, so a
// long compaction holds the write lock in short turns.
const compactKeysPerTx = 256

// compactBelow: a key is merged when its blocks hold fewer pings than this
// on average. A file in the world's order (by day, then person) makes
// device-day blocks of about 280 pings and (hour, cell) blocks of about 18,
// which merging would barely shrink; a feed in batches of 1,000 makes
// blocks of one to four pings.
const compactBelow = 16

// CompactPings merges, in both block tables, the small blocks (fewer than
// smallBlock pings) of each key (a device-day, an hour-cell) whose period
// overlaps [from, to) and that has two or more of them. Ingest writes one block per key and
// batch, so a feed committed in small batches, or a file in time order,
// leaves many small blocks: merged, they take a fraction of the space and of
// the reads. CommitBatch calls it every 64 batches of pings, over the period
// those batches covered.
//
// A merged block holds pings of several batches, from its row's batch (the
// first) to last; its part is negative, and each ping's line column holds
// its id (batch << 32 | (line - base)), from which its batch and line follow. Ids and provenance do not change. Blocks of own batches
// (rows kept in ping_rows) are left as they are. Each key is merged in a
// transaction that deletes exactly the rows it read, so a batch committed
// meanwhile is not touched, and a compaction cut short loses nothing.
func (db *DB) CompactPings(ctx context.Context, from, to time.Time) (CompactStats, error) {
	return db.compactPings(ctx, from, to, true)
}

// compactPings compacts the device-day blocks of [from, to), and the
// (hour, cell) blocks too if cells is set.
func (db *DB) compactPings(ctx context.Context, from, to time.Time, cells bool) (CompactStats, error) {
	var st CompactStats
	lo, hi := micros(from), micros(to)-1
	tables := []blockTable{
		{name: "ping_device_blocks", k1: "device", k2: "day", from: floorDiv(lo, usPerDay), to: floorDiv(hi, usPerDay)},
		{name: "ping_cell_blocks", k1: "hour", k2: "cell", from: floorDiv(lo, usPerHour), to: floorDiv(hi, usPerHour), hourFirst: true},
	}
	if !cells {
		tables = tables[:1]
	}
	for _, t := range tables {
		if err := db.compactTable(ctx, t, &st); err != nil {
			return st, fmt.Errorf("compact %s: %w", t.name, err)
		}
	}
	return st, nil
}

// compactEvery is how many committed batches of pings go between two
// compactions (see noteCompaction).
const compactEvery = 64

// compaction tracks the device-day keys that feed-like batches gave small
// blocks since they were last merged. Finding the keys with several small
// blocks by scanning the period's blocks (a GROUP BY over the day,
// reading each block's row for its size) cost more, in a feed of a million
// devices, than merging them: only the keys counted here are merged.
type compaction struct {
	mu      sync.Mutex
	batches int
	seed    maphash.Seed
	small   map[uint64]smallKey // by hash of (device, day)
	due     []devDay            // keys that reached compactDue small blocks
}

// compactDue is the count of small blocks at which a key is merged. A
// device seen a few times a day keeps a few small blocks, which a
// trajectory reads at little cost; merging every pair (a million-device
// feed has many) took seconds each compaction. A device that reports every
// minute reaches it within a few batches.
const compactDue = 4

// compactMaxKeys bounds the keys one automatic compaction merges.
var compactMaxKeys = 8192 // a variable for the tests

// smallKey counts the small blocks a batch gave a key (saturating).
type smallKey struct {
	day int64
	n   uint8
}

type devDay struct {
	device string
	day    int64
}

func (c *compaction) hash(device string, day int64) uint64 {
	return maphash.String(c.seed, device) ^ uint64(day)*0x9e3779b97f4a7c15
}

// noteCompaction records a committed batch of pings that wrote devBlocks
// device-day blocks: a batch whose device-day blocks average fewer than
// compactBelow pings (a feed's, a time-ordered file's) counts a small block
// for each of its keys, and every compactEvery such batches the keys with
// compactDue or more are merged. Batches of bigger blocks (the world's
// files, device-ordered exports) are not counted: merging their blocks
// would cost more CPU and space than it saves. A failed compaction is
// logged: the batch is committed, and its blocks read correctly unmerged.
// The counts live in memory: after a restart, a key's older small blocks
// are merged once it has compactDue new ones (or by CompactPings).
func (db *DB) noteCompaction(ctx context.Context, rows []writ.Ping, devBlocks int) {
	if len(rows) == 0 || devBlocks == 0 || len(rows) >= compactBelow*devBlocks {
		return
	}
	c := &db.compact
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.small == nil {
		c.seed, c.small = maphash.MakeSeed(), map[uint64]smallKey{}
	}
	seen := make(map[uint64]bool, devBlocks)
	maxDay := int64(math.MinInt64)
	for i := range rows {
		day := floorDiv(micros(rows[i].At), usPerDay)
		maxDay = max(maxDay, day)
		h := c.hash(rows[i].Device, day)
		if seen[h] {
			continue
		}
		seen[h] = true
		k := c.small[h]
		k.day = day
		if k.n < math.MaxUint8 {
			k.n++
		}
		c.small[h] = k
		if k.n == compactDue {
			c.due = append(c.due, devDay{rows[i].Device, day})
		}
	}
	c.batches++
	if c.batches < compactEvery {
		return
	}
	c.batches = 0
	// At most compactMaxKeys a time, the first due first: a feed that
	// spreads its pings over a million devices brings them all to
	// compactDue at about once, and merging them in one go held a commit
	// for 70 s. The rest wait for the next compaction.
	due := c.due[:min(len(c.due), compactMaxKeys)]
	keys := make([][2]any, len(due))
	for i, k := range due {
		keys[i] = [2]any{k.device, k.day}
	}
	// Cell blocks are left to settling, once their hour has passed:
	// compacting them here too rewrote an open hour's keys again and again.
	var st CompactStats
	err := db.compactKeys(ctx, blockTable{name: "ping_device_blocks", k1: "device", k2: "day"}, keys, &st)
	if err != nil {
		db.log.Error("compact pings", "err", err)
		return
	}
	// A merged key keeps one small block, at most; keys of days before
	// yesterday (of the newest batch) are forgotten, so the counts stay
	// within about two days of keys.
	for _, k := range due {
		h := c.hash(k.device, k.day)
		c.small[h] = smallKey{day: k.day, n: 1}
	}
	c.due = append(c.due[:0], c.due[len(due):]...)
	for h, k := range c.small {
		if k.day < maxDay-1 {
			delete(c.small, h)
		}
	}
	if st.Keys > 0 {
		db.log.Debug("compacted pings", "keys", st.Keys, "blocks_before", st.Before, "blocks_after", st.After, "pings", st.Pings)
	}
}

// blockTable names a block table's key columns; from and to bound its
// period column (day, or hour for cell blocks, which is the first key).
type blockTable struct {
	name, k1, k2 string
	from, to     int64
	hourFirst    bool
}

// keysIn is a condition matching n keys of the table, given as parameters
// (k1, k2), or (k1, k2, batch, part) with blocks set. SQLite gets ORed
// equalities, which it answers with one index seek each (a row-value IN
// (VALUES …) it answers with a scan of the whole table); PostgreSQL gets
// the row-value IN, typed (a parameter in VALUES is text to it
// otherwise), which it joins (200 ORed seeks took it 0.2 s).
func (db *DB) keysIn(t blockTable, n int, blocks bool) string {
	if db.dialect.Name == "postgres" {
		cols, tuple := t.k1+", "+t.k2, "(CAST(? AS TEXT), CAST(? AS BIGINT)"
		if t.hourFirst {
			tuple = "(CAST(? AS BIGINT), CAST(? AS BIGINT)"
		}
		if blocks {
			cols, tuple = cols+", batch, part", tuple+", CAST(? AS BIGINT), CAST(? AS INTEGER)"
		}
		return "(" + cols + ") IN (VALUES " + strings.TrimSuffix(strings.Repeat(tuple+"), ", n), ", ") + ")"
	}
	eq := "(" + t.k1 + " = ? AND " + t.k2 + " = ?"
	if blocks {
		eq += " AND batch = ? AND part = ?"
	}
	return strings.TrimSuffix(strings.Repeat(eq+") OR ", n), " OR ")
}

// compareKeys orders two keys of the table.
func (t blockTable) compareKeys(a, b [2]any) int {
	if t.hourFirst {
		return cmp.Or(cmp.Compare(a[0].(int64), b[0].(int64)), cmp.Compare(a[1].(int64), b[1].(int64)))
	}
	return cmp.Or(cmp.Compare(a[0].(string), b[0].(string)), cmp.Compare(a[1].(int64), b[1].(int64)))
}

func (t blockTable) periodCol() string {
	if t.hourFirst {
		return t.k1
	}
	return t.k2
}

func (db *DB) compactTable(ctx context.Context, t blockTable, st *CompactStats) error {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+t.k1+`, `+t.k2+` FROM `+t.name+` WHERE `+t.periodCol()+` BETWEEN ? AND ?
		GROUP BY `+t.k1+`, `+t.k2+` HAVING sum(CASE WHEN n < ? THEN 1 ELSE 0 END) > 1`), t.from, t.to, smallBlock)
	if err != nil {
		return err
	}
	var keys [][2]any
	for rows.Next() {
		var k [2]any
		if t.hourFirst {
			var h, c int64
			err = rows.Scan(&h, &c)
			k = [2]any{h, c}
		} else {
			var d string
			var day int64
			err = rows.Scan(&d, &day)
			k = [2]any{d, day}
		}
		if err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return db.compactKeys(ctx, t, keys, st)
}

// compactKeys merges the small blocks of each of keys, compactKeysPerTx
// keys to a transaction, each transaction in a few statements: one reads
// the keys' blocks, one per 200 deletes the merged ones, one writes the
// merged blocks (COPY on PostgreSQL). (A statement or four per key made a
// compaction of a million-device feed's keys take minutes.)
func (db *DB) compactKeys(ctx context.Context, t blockTable, keys [][2]any, st *CompactStats) error {
	layouts := map[int64]batchLayout{}
	for start := 0; start < len(keys); start += compactKeysPerTx {
		chunk := keys[start:min(len(keys), start+compactKeysPerTx)]
		var part CompactStats
		err := db.connTx(ctx, nil, func(conn *sql.Conn, tx *sql.Tx) error {
			part = CompactStats{}
			return db.compactChunk(ctx, conn, tx, t, chunk, layouts, &part)
		})
		if err != nil {
			return err
		}
		st.add(part)
	}
	return nil
}

// smallBlock: blocks of fewer pings are merged by compaction; bigger ones
// are left as they are. Merging only small blocks bounds how often a ping
// is rewritten: re-merging every block of a key, merged ones included,
// made each compaction of a feed's day cost as much as the day so far
// (a 1.6M-ping day took 2 min 44 s).
const smallBlock = maxBlockPings / 2

// keyBlock is a block of a key being compacted; block is nil for one of
// smallBlock pings or more (kept, and not read).
type keyBlock struct {
	k     [2]any
	batch int64
	part  int
	block []byte
}

// compactChunk merges, in tx, the small mergeable blocks of each of keys.
func (db *DB) compactChunk(ctx context.Context, conn *sql.Conn, tx *sql.Tx, t blockTable, keys [][2]any,
	layouts map[int64]batchLayout, st *CompactStats) error {
	args := make([]any, 0, 2*len(keys)+1)
	args = append(args, smallBlock)
	for _, k := range keys {
		args = append(args, k[0], k[1])
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT `+t.k1+`, `+t.k2+`, batch, part, CASE WHEN n < ? THEN block END FROM `+t.name+
		` WHERE `+db.keysIn(t, len(keys), false)), args...)
	if err != nil {
		return err
	}
	var blocks []keyBlock
	for rows.Next() {
		var b keyBlock
		if t.hourFirst {
			var h, c int64
			err = rows.Scan(&h, &c, &b.batch, &b.part, &b.block)
			b.k = [2]any{h, c}
		} else {
			var d string
			var day int64
			err = rows.Scan(&d, &day, &b.batch, &b.part, &b.block)
			b.k = [2]any{d, day}
		}
		if err != nil {
			rows.Close()
			return err
		}
		blocks = append(blocks, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(blocks, func(a, b keyBlock) int {
		return cmp.Or(t.compareKeys(a.k, b.k), cmp.Compare(a.batch, b.batch), cmp.Compare(a.part, b.part))
	})
	var batches []int64 // of the small blocks not merged before
	for _, b := range blocks {
		if b.block != nil && b.part >= 0 && !slices.Contains(batches, b.batch) {
			batches = append(batches, b.batch)
		}
	}
	if err := db.loadLayouts(ctx, tx, batches, layouts); err != nil {
		return err
	}
	var (
		dels [][4]any
		out  []blockRow
		enc  []byte
		all  []pingblock.Ping
	)
	for key := range runs(blocks, func(a, b *keyBlock) bool { return a.k == b.k }) {
		var merge []*keyBlock
		low := int64(0) // the lowest part the key keeps
		for i := range key {
			b := &key[i]
			if b.block != nil && (b.part < 0 || !layouts[b.batch].own) {
				merge = append(merge, b)
			} else {
				low = min(low, int64(b.part))
			}
		}
		if len(merge) < 2 {
			continue
		}
		all = all[:0]
		for _, b := range merge {
			var err error
			if all, err = appendWithIDs(all, b.block, b.batch, b.part, layouts); err != nil {
				return fmt.Errorf("block (%v, %v, %d, %d): %w", b.k[0], b.k[1], b.batch, b.part, err)
			}
		}
		slices.SortFunc(all, func(a, b pingblock.Ping) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.Line, b.Line)) })
		parts := (len(all) + maxBlockPings - 1) / maxBlockPings
		if parts >= len(merge) {
			continue
		}
		for _, b := range merge {
			dels = append(dels, [4]any{b.k[0], b.k[1], b.batch, b.part})
		}
		// New parts must not collide with parts the key keeps (merged ones
		// of smallBlock pings or more): they are numbered below the lowest.
		for i := range parts {
			grp := all[i*len(all)/parts : (i+1)*len(all)/parts]
			first, last := grp[0].Line>>32, grp[0].Line>>32
			for _, p := range grp {
				first, last = min(first, p.Line>>32), max(last, p.Line>>32)
			}
			r := blockRow{part: int(low) - 1 - i, n: len(grp), first: first, last: last, from: len(enc)}
			if t.hourFirst {
				r.k1, r.k2 = merge[0].k[0].(int64), merge[0].k[1].(int64)
			} else {
				r.key1, r.k2 = merge[0].k[0].(string), merge[0].k[1].(int64)
			}
			enc = pingblock.AppendEncode(enc, grp)
			r.to = len(enc)
			out = append(out, r)
		}
		st.add(CompactStats{Keys: 1, Before: len(merge), After: parts, Pings: len(all)})
	}
	const perDelete = 200
	for start := 0; start < len(dels); start += perDelete {
		chunk := dels[start:min(len(dels), start+perDelete)]
		args := make([]any, 0, 4*len(chunk))
		for _, d := range chunk {
			args = append(args, d[:]...)
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM `+t.name+` WHERE `+db.keysIn(t, len(chunk), true)), args...); err != nil {
			return err
		}
	}
	if len(out) == 0 {
		return nil
	}
	return db.insertBlocks(ctx, conn, tx, t.name, []string{t.k1, t.k2}, 0, out, enc, !t.hourFirst)
}
