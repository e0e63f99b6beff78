package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
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
	keys := make([][2]any, len(c.due))
	for i, k := range c.due {
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
	for _, k := range c.due {
		h := c.hash(k.device, k.day)
		c.small[h] = smallKey{day: k.day, n: 1}
	}
	c.due = c.due[:0]
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
// keys to a transaction.
func (db *DB) compactKeys(ctx context.Context, t blockTable, keys [][2]any, st *CompactStats) error {
	layouts := map[int64]batchLayout{}
	for start := 0; start < len(keys); start += compactKeysPerTx {
		chunk := keys[start:min(len(keys), start+compactKeysPerTx)]
		var part CompactStats
		err := db.tx(ctx, func(tx *sql.Tx) error {
			part = CompactStats{}
			c, err := db.prepareCompaction(ctx, tx, t, layouts)
			if err != nil {
				return err
			}
			defer c.close()
			for _, k := range chunk {
				if err := c.key(ctx, k, &part); err != nil {
					return err
				}
			}
			return nil
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

// keyCompaction merges keys of one table in one transaction, with its
// statements prepared once.
type keyCompaction struct {
	db                  *DB
	tx                  *sql.Tx
	t                   blockTable
	sel, del, ins, info *sql.Stmt
	layouts             map[int64]batchLayout
}

func (db *DB) prepareCompaction(ctx context.Context, tx *sql.Tx, t blockTable, layouts map[int64]batchLayout) (*keyCompaction, error) {
	c := &keyCompaction{db: db, tx: tx, t: t, layouts: layouts}
	var err error
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&c.sel, `SELECT batch, part, block FROM ` + t.name + ` WHERE ` + t.k1 + ` = ? AND ` + t.k2 + ` = ? AND n < ?`},
		{&c.del, `DELETE FROM ` + t.name + ` WHERE ` + t.k1 + ` = ? AND ` + t.k2 + ` = ? AND batch = ? AND part = ?`},
		{&c.ins, `INSERT INTO ` + t.name + ` (` + t.k1 + `, ` + t.k2 + `, batch, part, last, n, block) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&c.info, `SELECT own, base FROM ping_batches WHERE batch = ?`},
	} {
		if *p.s, err = tx.PrepareContext(ctx, db.q(p.q)); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (c *keyCompaction) close() {
	for _, s := range []*sql.Stmt{c.sel, c.del, c.ins, c.info} {
		if s != nil {
			s.Close()
		}
	}
}

// key merges the small mergeable blocks of one key.
func (c *keyCompaction) key(ctx context.Context, k [2]any, st *CompactStats) error {
	rows, err := c.sel.QueryContext(ctx, k[0], k[1], smallBlock)
	if err != nil {
		return err
	}
	refs, err := scanRefs(nil, rows)
	if err != nil {
		return err
	}
	var merge []blockRef
	for _, ref := range refs {
		if ref.part < 0 {
			merge = append(merge, ref)
			continue
		}
		l, ok := c.layouts[ref.batch]
		if !ok {
			if err := c.info.QueryRowContext(ctx, ref.batch).Scan(&l.own, &l.base); err != nil {
				return fmt.Errorf("batch %d of a ping block: %w", ref.batch, err)
			}
			c.layouts[ref.batch] = l
		}
		if !l.own {
			merge = append(merge, ref)
		}
	}
	if len(merge) < 2 {
		return nil
	}
	// In a merged block, a ping's line is its id: batch << 32 | (line - base).
	var all []pingblock.Ping
	for _, ref := range merge {
		ps, err := pingblock.Decode(ref.block)
		if err != nil {
			return fmt.Errorf("block (%v, %v, %d, %d): %w", k[0], k[1], ref.batch, ref.part, err)
		}
		for _, p := range ps {
			if ref.part >= 0 {
				p.Line = ref.batch<<32 | (p.Line - c.layouts[ref.batch].base)
			}
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b pingblock.Ping) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.Line, b.Line)) })
	parts := (len(all) + maxBlockPings - 1) / maxBlockPings
	if parts >= len(merge) {
		return nil
	}
	for _, ref := range merge {
		if _, err := c.del.ExecContext(ctx, k[0], k[1], ref.batch, ref.part); err != nil {
			return err
		}
	}
	// New parts must not collide with merged parts the key keeps (those of
	// smallBlock pings or more): number them below the key's lowest part.
	var low sql.NullInt64
	if err := c.tx.QueryRowContext(ctx, c.db.q(`SELECT min(part) FROM `+c.t.name+` WHERE `+c.t.k1+` = ? AND `+c.t.k2+` = ?`),
		k[0], k[1]).Scan(&low); err != nil {
		return err
	}
	next := int64(-1)
	if low.Valid && low.Int64 < 0 {
		next = low.Int64 - 1
	}
	for i := range parts {
		grp := all[i*len(all)/parts : (i+1)*len(all)/parts]
		first, last := grp[0].Line>>32, grp[0].Line>>32
		for _, p := range grp {
			first, last = min(first, p.Line>>32), max(last, p.Line>>32)
		}
		if _, err := c.ins.ExecContext(ctx, k[0], k[1], first, next-int64(i), last, len(grp), pingblock.Encode(grp)); err != nil {
			return err
		}
	}
	st.add(CompactStats{Keys: 1, Before: len(merge), After: parts, Pings: len(all)})
	return nil
}
