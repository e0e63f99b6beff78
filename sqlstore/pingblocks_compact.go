package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/writhq/writ/pingblock"
)

// CompactStats says what CompactPings did.
type CompactStats struct {
	Keys   int // keys whose blocks were merged
	Before int // their blocks before
	After  int // and after
	Pings  int // the pings moved
}

// compactKeysPerTx bounds the keys one compaction transaction merges, so a
// long compaction holds the write lock in short turns.
const compactKeysPerTx = 256

// CompactPings merges, in both block tables, the blocks of each key (a
// device-day, an hour-cell) that ended before before and holds more blocks
// than its pings need. Ingest writes one block per key and batch, so a feed
// committed in small batches, or a file in time order, leaves many small
// blocks: merged, they take a fraction of the space and of the reads.
//
// A merged block holds pings of several batches, from its row's batch (the
// first) to last; its part is negative, and its dictionary names each ping's
// device and batch. Ids and provenance do not change. Blocks of own batches
// (rows kept in ping_rows) are left as they are. Each key is merged in a
// transaction that deletes exactly the rows it read, so a batch committed
// meanwhile is not touched, and a compaction cut short loses nothing.
func (db *DB) CompactPings(ctx context.Context, before time.Time) (CompactStats, error) {
	var st CompactStats
	us := micros(before)
	for _, t := range []blockTable{
		{name: "ping_device_blocks", k1: "device", k2: "day", until: floorDiv(us, usPerDay)},
		{name: "ping_cell_blocks", k1: "hour", k2: "cell", until: floorDiv(us, usPerHour), hourFirst: true},
	} {
		if err := db.compactTable(ctx, t, &st); err != nil {
			return st, fmt.Errorf("compact %s: %w", t.name, err)
		}
	}
	return st, nil
}

// blockTable names a block table's key columns; until bounds the period
// column (day, or hour for cell blocks, which is the first key).
type blockTable struct {
	name, k1, k2 string
	until        int64
	hourFirst    bool
}

func (t blockTable) periodCol() string {
	if t.hourFirst {
		return t.k1
	}
	return t.k2
}

func (db *DB) compactTable(ctx context.Context, t blockTable, st *CompactStats) error {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+t.k1+`, `+t.k2+` FROM `+t.name+` WHERE `+t.periodCol()+` < ?
		GROUP BY `+t.k1+`, `+t.k2+` HAVING count(*) > 1 AND count(*) > (sum(n) + ?) / ?`), t.until, maxBlockPings-1, maxBlockPings)
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
	for start := 0; start < len(keys); start += compactKeysPerTx {
		chunk := keys[start:min(len(keys), start+compactKeysPerTx)]
		var part CompactStats
		err := db.tx(ctx, func(tx *sql.Tx) error {
			part = CompactStats{}
			for _, k := range chunk {
				if err := db.compactKey(ctx, tx, t, k, &part); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		st.Keys += part.Keys
		st.Before += part.Before
		st.After += part.After
		st.Pings += part.Pings
	}
	return nil
}

// compactKey merges the mergeable blocks of one key, in tx.
func (db *DB) compactKey(ctx context.Context, tx *sql.Tx, t blockTable, k [2]any, st *CompactStats) error {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT batch, part, block FROM `+t.name+` WHERE `+t.k1+` = ? AND `+t.k2+` = ?`), k[0], k[1])
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
		var own bool
		if err := tx.QueryRowContext(ctx, db.q(`SELECT own FROM ping_batches WHERE batch = ?`), ref.batch).Scan(&own); err != nil {
			return fmt.Errorf("batch %d of a ping block: %w", ref.batch, err)
		}
		if !own {
			merge = append(merge, ref)
		}
	}
	if len(merge) < 2 {
		return nil
	}
	type mp struct {
		p     pingblock.Ping
		batch int64
	}
	var all []mp
	for _, ref := range merge {
		ps, err := pingblock.Decode(ref.block)
		if err != nil {
			return fmt.Errorf("block (%v, %v, %d, %d): %w", k[0], k[1], ref.batch, ref.part, err)
		}
		for _, p := range ps {
			b := ref.batch
			if ref.part < 0 {
				var device string
				if device, b, err = splitMerged(p.Device); err != nil {
					return err
				}
				p.Device = device
			}
			all = append(all, mp{p, b})
		}
	}
	slices.SortFunc(all, func(a, b mp) int {
		return cmp.Or(cmp.Compare(a.p.T, b.p.T), cmp.Compare(a.batch, b.batch), cmp.Compare(a.p.Line, b.p.Line))
	})
	parts := (len(all) + maxBlockPings - 1) / maxBlockPings
	if parts >= len(merge) {
		return nil
	}
	for _, ref := range merge {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM `+t.name+` WHERE `+t.k1+` = ? AND `+t.k2+` = ? AND batch = ? AND part = ?`),
			k[0], k[1], ref.batch, ref.part); err != nil {
			return err
		}
	}
	buf := make([]pingblock.Ping, 0, maxBlockPings)
	for i := range parts {
		grp := all[i*len(all)/parts : (i+1)*len(all)/parts]
		first, last := grp[0].batch, grp[0].batch
		buf = buf[:0]
		for _, m := range grp {
			first, last = min(first, m.batch), max(last, m.batch)
			p := m.p
			p.Device = mergedKey(p.Device, m.batch)
			buf = append(buf, p)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO `+t.name+` (`+t.k1+`, `+t.k2+`, batch, part, last, n, block)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), k[0], k[1], first, -1-i, last, len(grp), pingblock.Encode(buf)); err != nil {
			return err
		}
	}
	st.Keys++
	st.Before += len(merge)
	st.After += parts
	st.Pings += len(all)
	return nil
}
