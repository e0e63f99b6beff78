package sqlstore

import (
	"context"
	"database/sql"

	"github.com/writhq/writ/pingblock"
)

// extentCols are ping_cell_blocks' columns for a merged block's extent
// (schema v11): its header's span and box, kept beside the block so
// PingsNear can choose blocks from the index alone (nearBlocks).
var extentCols = []string{"t0", "t1", "lat0", "lat1", "lon0", "lon1"}

// appendExtent appends the values of extentCols for block b of part part:
// NULLs for a batch's own block (part >= 0, not in the index) or if the
// header will not say (an empty or malformed block, which reads then
// always fetch).
func appendExtent(dst []any, part int, b []byte) []any {
	if part < 0 {
		if e, ok := pingblock.ReadExtent(b); ok {
			return append(dst, e.MinT, e.MaxT, e.MinLat, e.MaxLat, e.MinLon, e.MaxLon)
		}
	}
	return append(dst, nil, nil, nil, nil, nil, nil)
}

// fillChunk is the blocks FillExtents reads and updates per transaction.
const fillChunk = 2000

// FillExtents fills the extent columns of the merged cell blocks that lack
// them: those a store upgraded from schema v10 had (blocks merged since
// fill their own). Reads are correct without them, only slower near a track.
// It goes through the blocks in key order, a chunk per transaction, so it
// may be stopped and run again; it returns how many it filled.
func (db *DB) FillExtents(ctx context.Context) (int, error) {
	var filled int
	var hour, cell, batch int64
	var part int
	first := true
	for {
		type row struct {
			hour, cell, batch int64
			part              int
			block             []byte
		}
		var todo []row
		var n int // filled by this chunk
		err := db.tx(ctx, func(tx *sql.Tx) error {
			todo, n = todo[:0], 0
			q := `SELECT hour, cell, batch, part, block FROM ping_cell_blocks WHERE part < 0 AND t0 IS NULL`
			args := []any{}
			if !first {
				q += ` AND (hour, cell, batch, part) > (?, ?, ?, ?)`
				args = append(args, hour, cell, batch, part)
			}
			rows, err := tx.QueryContext(ctx, db.q(q+` ORDER BY hour, cell, batch, part LIMIT ?`), append(args, fillChunk)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.hour, &r.cell, &r.batch, &r.part, &r.block); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range todo {
				args := appendExtent(nil, r.part, r.block)
				if args[0] == nil {
					continue // stays NULL: always fetched, the header decides
				}
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE ping_cell_blocks SET t0 = ?, t1 = ?, lat0 = ?, lat1 = ?, lon0 = ?, lon1 = ?
					WHERE hour = ? AND cell = ? AND batch = ? AND part = ?`),
					append(args, r.hour, r.cell, r.batch, r.part)...); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return filled, db.wrap(err)
		}
		filled += n
		if len(todo) == 0 {
			return filled, nil
		}
		last := todo[len(todo)-1]
		hour, cell, batch, part, first = last.hour, last.cell, last.batch, last.part, false
		if len(todo) < fillChunk {
			return filled, nil
		}
	}
}
