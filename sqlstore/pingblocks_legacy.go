package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/writhq/writ"
)

// legacyChunk is the id range of old ping rows converted in one transaction.
const legacyChunk = 100_000

// ConvertLegacyPings moves the rows of the per-row pings table of schema v7
// (renamed pings_v1 by migration 0008) into blocks, then drops it. Each id
// range [c*legacyChunk, (c+1)*legacyChunk) becomes one own batch with source
// key "pings_v1:<c>", committed at most once like any batch, so a conversion
// cut short by a crash goes on where it stopped at the next open. Rows keep
// their values and provenance exactly (ping_rows); their ids change.
// New runs it; it is exported for the conformance suite.
func (db *DB) ConvertLegacyPings(ctx context.Context) error {
	var exists int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'pings_v1'`
	if db.dialect.Name == "postgres" {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_name = 'pings_v1' AND table_schema = current_schema()`
	}
	if err := db.w.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return fmt.Errorf("look for pings_v1: %w", err)
	}
	if exists == 0 {
		return nil
	}
	var lo, hi sql.NullInt64
	if err := db.w.QueryRowContext(ctx, `SELECT min(id), max(id) FROM pings_v1`).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("convert pings_v1: %w", err)
	}
	for c := lo.Int64 / legacyChunk; lo.Valid && c <= hi.Int64/legacyChunk; c++ {
		if err := db.convertLegacyChunk(ctx, c); err != nil {
			return fmt.Errorf("convert pings_v1 rows %d to %d: %w", c*legacyChunk, (c+1)*legacyChunk-1, err)
		}
	}
	if _, err := db.w.ExecContext(ctx, `DROP TABLE IF EXISTS pings_v1`); err != nil {
		return fmt.Errorf("drop pings_v1: %w", err)
	}
	return nil
}

func (db *DB) convertLegacyChunk(ctx context.Context, c int64) error {
	rows, err := db.w.QueryContext(ctx, db.q(`SELECT device, at, lat, lon, accuracy_m, `+provCols+`
		FROM pings_v1 WHERE id >= ? AND id < ? ORDER BY id`), c*legacyChunk, (c+1)*legacyChunk)
	if err != nil {
		return err
	}
	var ps []writ.Ping
	for rows.Next() {
		var p writ.Ping
		var at int64
		if err := rows.Scan(append([]any{&p.Device, &at, &p.Lat, &p.Lon, &p.AccuracyM}, provDest(&p.Prov)...)...); err != nil {
			rows.Close()
			return err
		}
		p.At = fromMicros(at)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ps) == 0 {
		return err
	}
	b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "pings_v1:" + strconv.FormatInt(c, 10), Size: legacyChunk,
		Dataset: ps[0].Prov.Dataset, Source: "pings_v1", Kind: writ.DataPings, BasisKind: ps[0].Prov.BasisKind,
		BasisID: ps[0].Prov.BasisID, Read: int64(len(ps))}, Pings: ps}
	rs, err := rowsOf(b)
	if err != nil {
		return err
	}
	own := make([]int, len(ps))
	for i := range own {
		own[i] = i
	}
	_, _, err = db.commit(ctx, b, rs, own)
	return err
}
