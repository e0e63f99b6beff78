package sqlstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// rowSet is the rows of one batch as the writer sees them, whatever their kind.
type rowSet struct {
	table string
	cols  string // the kind's own columns; the provenance columns follow
	n     int
	prov  func(i int) *writ.Provenance
	vals  func(dst []any, i int) []any // row i's own columns
	check func(i int) error            // what the kind requires of a row
	// order compares rows by the key of the table's busiest index:
	// CommitBatch inserts in that order (measured on pings, when they were
	// rows: 10% faster, the index pages of each device being written once a
	// batch), so ids follow (caller, time) or (plate, time) within a batch.
	// The Insert methods keep call order. Pings, in blocks, have none.
	order func(i, j int) int
}

// rowsOf picks the batch's rows of its kind and refuses rows of another kind.
func rowsOf(b *writ.Batch) (rowSet, error) {
	lens := map[writ.DataKind]int{writ.DataContacts: len(b.Contacts), writ.DataPings: len(b.Pings),
		writ.DataPlateReads: len(b.PlateReads), writ.DataRecords: len(b.Records)}
	for k, n := range lens {
		if k != b.Kind && n > 0 {
			return rowSet{}, writ.Errorf(writ.EInvalid, "batch of %s holds %d %s rows", b.Kind, n, k)
		}
	}
	switch b.Kind {
	case writ.DataContacts:
		rows := b.Contacts
		return rowSet{table: "contacts", cols: "caller, callee, started_at, duration_s, type, caller_device", n: len(rows),
			prov: func(i int) *writ.Provenance { return &rows[i].Prov },
			vals: func(dst []any, i int) []any {
				r := &rows[i]
				return append(dst, r.Caller, r.Callee, micros(r.StartedAt), r.DurationSec, r.Type, r.CallerDevice)
			},
			check: func(i int) error {
				if rows[i].Caller == "" || rows[i].Callee == "" {
					return writ.Errorf(writ.EInvalid, "contacts row %d needs a caller and a callee", i)
				}
				return nil
			},
			order: func(i, j int) int {
				return cmp.Or(strings.Compare(rows[i].Caller, rows[j].Caller), rows[i].StartedAt.Compare(rows[j].StartedAt))
			}}, nil
	case writ.DataPings:
		rows := b.Pings
		return rowSet{table: "pings", cols: "device, at, lat, lon, accuracy_m", n: len(rows),
			prov: func(i int) *writ.Provenance { return &rows[i].Prov },
			vals: func(dst []any, i int) []any {
				r := &rows[i]
				return append(dst, r.Device, micros(r.At), r.Lat, r.Lon, r.AccuracyM)
			},
			// No order: writePings sorts a batch's pings into its blocks.
			check: func(i int) error { return checkPing(i, &rows[i]) }}, nil
	case writ.DataPlateReads:
		rows := b.PlateReads
		return rowSet{table: "plate_reads", cols: "plate, camera, at, lat, lon", n: len(rows),
			prov: func(i int) *writ.Provenance { return &rows[i].Prov },
			vals: func(dst []any, i int) []any {
				r := &rows[i]
				return append(dst, r.Plate, r.Camera, micros(r.At), r.Lat, r.Lon)
			},
			check: func(i int) error {
				if rows[i].Plate == "" {
					return writ.Errorf(writ.EInvalid, "plate_reads row %d needs a plate", i)
				}
				return nil
			},
			order: func(i, j int) int {
				return cmp.Or(strings.Compare(rows[i].Plate, rows[j].Plate), rows[i].At.Compare(rows[j].At))
			}}, nil
	case writ.DataRecords:
		return recordRows(b.Records), nil
	}
	return rowSet{}, writ.Errorf(writ.EInvalid, "unknown data kind %q", b.Kind)
}

// recordRows encodes Fields and Protected as JSON objects when checked, so
// writing a row cannot fail.
func recordRows(rows []writ.Record) rowSet {
	enc := make([][2]string, len(rows))
	return rowSet{table: "records", cols: "entity, record_id, subject_id, observed_at, fields, protected", n: len(rows),
		prov: func(i int) *writ.Provenance { return &rows[i].Prov },
		vals: func(dst []any, i int) []any {
			r := &rows[i]
			var subject any
			if r.SubjectID > 0 {
				subject = r.SubjectID
			}
			return append(dst, string(r.Entity), r.RecordID, subject, micros(r.ObservedAt), enc[i][0], enc[i][1])
		},
		check: func(i int) error {
			r := &rows[i]
			if !r.Entity.Valid() {
				return writ.Errorf(writ.EInvalid, "records row %d: entity %q is not one of %v", i, r.Entity, writ.Entities)
			}
			if r.SubjectID < 0 {
				return writ.Errorf(writ.EInvalid, "records row %d: subject %d", i, r.SubjectID)
			}
			for k := range r.Protected {
				if _, ok := r.Fields[k]; ok {
					return writ.Errorf(writ.EInvalid, "records row %d: field %q is both protected and not", i, k)
				}
			}
			enc[i][0], enc[i][1] = jsonObject(r.Fields), jsonObject(r.Protected)
			return nil
		}}
}

// jsonObject encodes a string map as a JSON object with sorted keys, as
// encoding/json does (invalid UTF-8 becomes U+FFFD) but without its
// reflection, which was a fifth of the cost of committing records.
func jsonObject(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(m))
	n := 2
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string, escaping what encoding/json
// escapes: quotes, backslashes, control characters, <, >, &, U+2028, U+2029.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// checkBatch refuses a batch marker without what provenance needs.
func checkBatch(b *writ.Batch) error {
	switch {
	case b == nil:
		return writ.Errorf(writ.EInvalid, "no batch")
	case strings.TrimSpace(b.SourceKey) == "":
		return writ.Errorf(writ.EInvalid, "batch needs a source key")
	case b.Number < 0:
		return writ.Errorf(writ.EInvalid, "batch number %d is negative", b.Number)
	case b.Size <= 0:
		return writ.Errorf(writ.EInvalid, "batch needs its size (rows per batch)")
	case strings.TrimSpace(b.Dataset) == "":
		return writ.Errorf(writ.EInvalid, "batch needs a dataset")
	case !b.Kind.Valid():
		return writ.Errorf(writ.EInvalid, "batch kind %q: want records, contacts, pings or plate_reads", b.Kind)
	case b.BasisKind != "authority" && b.BasisKind != "agreement":
		return writ.Errorf(writ.EInvalid, "batch legal basis must be an authority or an agreement, not %q", b.BasisKind)
	case b.BasisID <= 0:
		return writ.Errorf(writ.EInvalid, "batch names no %s as its legal basis", b.BasisKind)
	}
	for i, q := range b.Quarantine {
		if q.Reason == "" {
			return writ.Errorf(writ.EInvalid, "quarantined row %d has no reason", i)
		}
	}
	for i, f := range b.Fields {
		if f.Field == "" || !f.Entity.Valid() {
			return writ.Errorf(writ.EInvalid, "dataset field %d needs a name and an entity", i)
		}
	}
	return nil
}

// CommitBatch writes the batch's rows, its quarantined rows and its marker in
// one transaction, and nothing if the marker (SourceKey, Number) exists. The
// rows' provenance comes from the batch: CommitBatch sets each row's dataset,
// source, batch and basis, keeping its Offset and ContentHash. The legal basis
// must exist. For a stream, rows at or below its high-water mark are skipped
// and the mark moves to Number.
func (db *DB) CommitBatch(ctx context.Context, b *writ.Batch) (writ.BatchResult, error) {
	if err := checkBatch(b); err != nil {
		return writ.BatchResult{}, err
	}
	rs, err := rowsOf(b)
	if err != nil {
		return writ.BatchResult{}, err
	}
	for i := range rs.n {
		if err := rs.check(i); err != nil {
			return writ.BatchResult{}, err
		}
		if rs.prov(i).ContentHash == "" {
			return writ.BatchResult{}, writ.Errorf(writ.EInvalid, "%s row %d has no content hash", rs.table, i)
		}
	}
	res, devBlocks, err := db.commit(ctx, b, rs, nil)
	if err == nil && res.Committed && b.Kind == writ.DataPings {
		db.noteSettle(ctx, b.Pings)
		db.noteCompaction(ctx, b.Pings, devBlocks)
	}
	if err == nil && res.Committed && db.afterBatch != nil {
		if err := db.afterBatch(ctx); err != nil {
			db.log.Error("after batch", "batch", res.ID, "err", err)
		}
	}
	return res, err
}

// commit runs a checked batch. own, when set, lists the rows to write with
// the provenance they carry (the Insert methods); otherwise every row is
// written with the batch's provenance.
// For pings it also returns the device-day blocks it wrote.
func (db *DB) commit(ctx context.Context, b *writ.Batch, rs rowSet, own []int) (writ.BatchResult, int, error) {
	var res writ.BatchResult
	var devBlocks int
	var plan *pingPlan
	if own == nil {
		plan = db.takePlan(b)
	}
	err := db.batchTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		res = writ.BatchResult{}
		keep, quar := own, b.Quarantine
		if own == nil {
			keep = make([]int, 0, rs.n)
			for i := range rs.n {
				keep = append(keep, i)
			}
			if err := db.basisExists(ctx, tx, b.BasisKind, b.BasisID); err != nil {
				return err
			}
		}
		if b.Stream != "" {
			mark, err := db.lockStream(ctx, tx, b.Stream)
			if err != nil {
				return err
			}
			keep = keep[:0]
			for i := range rs.n {
				if rs.prov(i).Offset > mark {
					keep = append(keep, i)
				}
			}
			res.Skipped = rs.n - len(keep)
			quar = nil
			for _, q := range b.Quarantine {
				if q.Offset > mark {
					quar = append(quar, q)
				} else {
					res.Skipped++
				}
			}
		}
		read := b.Read
		if read == 0 {
			read = int64(len(keep) + len(quar) + res.Skipped)
		}
		now := writ.Now()
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO ingest_batches (source_key, batch_no, batch_size, dataset, source,
			kind, basis_kind, basis_id, rows_read, rows_stored, rows_quarantined, committed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source_key, batch_no) DO NOTHING RETURNING id`),
			b.SourceKey, b.Number, b.Size, b.Dataset, b.Source, string(b.Kind), b.BasisKind, b.BasisID,
			read, len(keep), len(quar), micros(now)).Scan(&res.ID)
		if errors.Is(err, sql.ErrNoRows) {
			res = writ.BatchResult{}
			return nil // committed before: write nothing
		} else if err != nil {
			return err
		}
		if own == nil {
			id := strconv.FormatInt(res.ID, 10)
			for _, i := range keep {
				p := rs.prov(i)
				p.Dataset, p.Source, p.Batch, p.BasisKind, p.BasisID = b.Dataset, b.Source, id, b.BasisKind, b.BasisID
			}
		}
		if rs.order != nil && own == nil {
			slices.SortStableFunc(keep, rs.order)
		}
		switch {
		case b.Kind == writ.DataPings:
			w := pingWrite{batch: res.ID, rows: b.Pings, keep: keep, own: own != nil}
			if own == nil && len(keep) == len(b.Pings) {
				w.plan = plan // laid out for every row of b, as here
			}
			devBlocks, err = db.writePings(ctx, conn, tx, w)
		case own == nil && db.dialect.CopyFrom != nil:
			err = db.copyRows(ctx, conn, rs, keep, []any{b.Dataset, b.Source, strconv.FormatInt(res.ID, 10), b.BasisKind, b.BasisID})
		case own != nil:
			err = db.insertChunks(ctx, tx, rs.table, rs.cols+", "+provCols, nil, nil, keep, func(dst []any, i int) []any {
				return provArgs(rs.vals(dst, i), *rs.prov(i))
			})
		default:
			err = db.insertChunks(ctx, tx, rs.table, rs.cols+", src_offset, content_hash", batchProvCols,
				[]any{b.Dataset, b.Source, strconv.FormatInt(res.ID, 10), b.BasisKind, b.BasisID}, keep,
				func(dst []any, i int) []any {
					p := rs.prov(i)
					return append(rs.vals(dst, i), p.Offset, p.ContentHash)
				})
		}
		if err != nil {
			return err
		}
		res.Stored = len(keep)
		if err := db.insertQuarantine(ctx, tx, res.ID, quar); err != nil {
			return err
		}
		res.Quarantined = len(quar)
		if err := db.upsertFields(ctx, tx, b.Dataset, b.Fields); err != nil {
			return err
		}
		if b.Stream != "" {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE ingest_streams SET seq = ?, updated_at = ? WHERE name = ? AND seq < ?`),
				b.Number, micros(now), b.Stream, b.Number); err != nil {
				return err
			}
		}
		b.ID, b.Read, b.Stored, b.Quarantined, b.CommittedAt = res.ID, read, int64(len(keep)), int64(len(quar)), now
		res.Committed = true
		return nil
	})
	if err != nil {
		return writ.BatchResult{}, 0, err
	}
	return res, devBlocks, nil
}

// batchTx runs fn in a write transaction on one connection, so that fn can
// also reach the driver connection (COPY), retrying as tx does.
func (db *DB) batchTx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) error {
	return db.connTx(ctx, nil, fn)
}

// connTx runs fn in a write transaction with opts on a connection of its
// own (COPY needs the connection), retrying what the driver marks
// retryable (SQLITE_BUSY, serialization failures).
func (db *DB) connTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Conn, *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		err = db.tryConnTx(ctx, opts, fn)
		if err == nil || !errors.Is(err, errRetry) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return db.wrap(err)
}

// tryConnTx runs fn once in a write transaction with opts, on a connection
// of its own.
func (db *DB) tryConnTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Conn, *sql.Tx) error) error {
	db.wstmts.prepareWanted(ctx, db.w) // before the pool's one connection is taken
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return db.wrap(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return db.wrap(err)
	}
	if err := fn(conn, tx); err != nil {
		tx.Rollback()
		return db.wrap(err)
	}
	return db.wrap(tx.Commit())
}

// copyRows bulk-loads rows keep of a batch with the dialect's CopyFrom,
// in the transaction open on conn.
func (db *DB) copyRows(ctx context.Context, conn *sql.Conn, rs rowSet, keep []int, consts []any) error {
	if len(keep) == 0 {
		return nil
	}
	cols := append(strings.Split(rs.cols, ", "), "src_offset", "content_hash")
	cols = append(cols, batchProvCols...)
	k := 0
	next := func() []any {
		if k == len(keep) {
			return nil
		}
		i := keep[k]
		k++
		p := rs.prov(i)
		row := append(rs.vals(make([]any, 0, len(cols)), i), p.Offset, p.ContentHash)
		return append(row, consts...)
	}
	return conn.Raw(func(dc any) error {
		if _, err := db.dialect.CopyFrom(ctx, dc, rs.table, cols, next); err != nil {
			return fmt.Errorf("copy into %s: %w", rs.table, err)
		}
		return nil
	})
}

// batchProvCols are the provenance columns every row of a batch shares.
var batchProvCols = []string{"dataset", "source", "batch", "basis_kind", "basis_id"}

// basisExists refuses a batch whose legal basis is not stored. Whether the
// basis allows the ingest (approved, in force, covering the kind) is the
// caller's check, made once per run (ingest.CheckBasis).
func (db *DB) basisExists(ctx context.Context, tx *sql.Tx, kind string, id int64) error {
	table := "authorities"
	if kind == "agreement" {
		table = "agreements"
	}
	var one int
	err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM `+table+` WHERE id = ?`), id).Scan(&one)
	return notFound(err, "%s %d not found", kind, id)
}

// lockStream returns the stream's high-water mark, creating it at 0, and
// holds its row lock (PostgreSQL) until the transaction ends, so two
// consumers of one stream commit one after the other.
func (db *DB) lockStream(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO ingest_streams (name, seq, updated_at) VALUES (?, 0, ?)
		ON CONFLICT (name) DO NOTHING`), name, micros(writ.Now())); err != nil {
		return 0, err
	}
	var mark int64
	err := tx.QueryRowContext(ctx, db.q(`UPDATE ingest_streams SET updated_at = updated_at WHERE name = ? RETURNING seq`), name).Scan(&mark)
	return mark, err
}

// chunkRows bounds the rows of one INSERT: enough to amortise a statement,
// few enough to stay in the driver's fast paths (measured: 500 rows per
// statement inserts as fast as 2,000).
const chunkRows = 500

// insertChunks inserts rows idx of a table as multi-row INSERTs, of
// chunkRows rows and then of powers of two, each text prepared once per
// store in SQLite (writeStmts). consts are columns
// with the same value in every row (a batch's provenance): SQLite binds them
// once per statement (INSERT ... SELECT ... FROM (VALUES ...)), which
// PostgreSQL cannot type, so there they go with every row.
//
// In SQLite the statements are INSERT OR FAIL: with the default ABORT, a
// multi-row INSERT into a table with CHECK or NOT NULL constraints keeps a
// statement journal of every page it changes, so as to undo itself alone,
// and past 64 KB (sixteen 4 KB pages, as they were) that journal is a temporary file:
// writing it took 23% of CommitBatch's CPU in lookout's
// BenchmarkIngestNoLookouts (contacts, pings, plate reads). FAIL keeps the
// rows before the failing one, which changes nothing here: every caller
// runs in a batch's transaction and rolls it all back on any error.
func (db *DB) insertChunks(ctx context.Context, tx *sql.Tx, table, cols string, consts []string, constVals []any, idx []int, vals func(dst []any, i int) []any) error {
	if len(idx) == 0 {
		return nil
	}
	ncols := strings.Count(cols, ",") + 1
	once := db.dialect.Name == "sqlite" && len(consts) > 0
	per := min(chunkRows, (maxParams-len(consts))/(ncols+len(consts)))
	rowCols := ncols
	if !once {
		rowCols += len(consts)
	}
	row := "(" + strings.Repeat("?, ", rowCols-1) + "?)"
	all := cols
	if len(consts) > 0 {
		all += ", " + strings.Join(consts, ", ")
	}
	insert := "INSERT INTO "
	if db.dialect.Name == "sqlite" {
		insert = "INSERT OR FAIL INTO "
	}
	stmtFor := func(n int) string {
		values := strings.Repeat(row+", ", n-1) + row
		if !once {
			return db.q(insert + table + " (" + all + ") VALUES " + values)
		}
		sel := make([]string, 0, ncols+len(consts))
		for i := range ncols {
			sel = append(sel, "column"+strconv.Itoa(i+1))
		}
		for range consts {
			sel = append(sel, "?")
		}
		return insert + table + " (" + all + ") SELECT " + strings.Join(sel, ", ") + " FROM (VALUES " + values + ")"
	}
	// A chunk of per rows, and the rest in chunks of powers of two: the
	// texts are few, so SQLite's are prepared once per store (writeStmts)
	// rather than parsed per batch. PostgreSQL's blocks and rows go in with
	// COPY; what reaches here there runs as text.
	exec := func(n int, args []any) error {
		var err error
		if db.dialect.Name == "sqlite" {
			_, err = db.wstmts.exec(ctx, tx, stmtFor(n), args...)
		} else {
			_, err = tx.ExecContext(ctx, stmtFor(n), args...)
		}
		return err
	}
	buf := make([]any, 0, min(len(idx), per)*rowCols+len(consts))
	for start := 0; start < len(idx); {
		n := min(len(idx)-start, per)
		if n < per {
			n = 1 << (bits.Len(uint(n)) - 1)
		}
		buf = buf[:0]
		if once {
			buf = append(buf, constVals...)
		}
		for _, i := range idx[start : start+n] {
			buf = vals(buf, i)
			if !once {
				buf = append(buf, constVals...)
			}
		}
		if err := exec(n, buf); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		start += n
	}
	return nil
}

func (db *DB) insertQuarantine(ctx context.Context, tx *sql.Tx, batch int64, rows []writ.QuarantinedRow) error {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	return db.insertChunks(ctx, tx, "ingest_quarantine", "batch_id, src_offset, field, reason, detail, raw, raw_size", nil, nil, idx,
		func(dst []any, i int) []any {
			q := &rows[i]
			raw, size := q.Raw, q.RawSize
			if size < int64(len(raw)) {
				size = int64(len(raw))
			}
			if len(raw) > writ.MaxQuarantineRaw {
				raw = raw[:writ.MaxQuarantineRaw]
			}
			if raw == nil {
				raw = []byte{}
			}
			return append(dst, batch, q.Offset, q.Field, q.Reason, q.Detail, raw, size)
		})
}

// upsertFields keeps the union of a dataset's fields; protected is sticky.
func (db *DB) upsertFields(ctx context.Context, tx *sql.Tx, dataset string, fields []writ.FieldSchema) error {
	for _, f := range fields {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO dataset_fields (dataset, field, entity, protected) VALUES (?, ?, ?, ?)
			ON CONFLICT (dataset, field) DO UPDATE SET protected = (dataset_fields.protected OR excluded.protected)`),
			dataset, f.Field, string(f.Entity), f.Protected); err != nil {
			return err
		}
	}
	return nil
}

// insertOwn stores rows that carry their own provenance (the Insert
// methods) as one batch keyed by their content hashes: the same rows again
// store nothing, and a row repeated within the call is stored once.
func (db *DB) insertOwn(ctx context.Context, kind writ.DataKind, b *writ.Batch) (int, error) {
	b.Kind = kind
	rs, err := rowsOf(b)
	if err != nil || rs.n == 0 {
		return 0, err
	}
	h := sha256.New()
	seen := make(map[string]bool, rs.n)
	own := make([]int, 0, rs.n)
	for i := range rs.n {
		if err := rs.check(i); err != nil {
			return 0, err
		}
		p := rs.prov(i)
		if err := checkProv(rs.table, i, *p); err != nil {
			return 0, err
		}
		if !seen[p.ContentHash] {
			seen[p.ContentHash] = true
			own = append(own, i)
			h.Write([]byte(p.ContentHash + "\n"))
		}
	}
	first := rs.prov(0)
	b.SourceKey = "rows:" + string(kind) + ":" + hex.EncodeToString(h.Sum(nil))
	b.Size = rs.n
	b.Dataset, b.Source, b.BasisKind, b.BasisID = first.Dataset, "insert", first.BasisKind, first.BasisID
	b.Read = int64(rs.n)
	res, _, err := db.commit(ctx, b, rs, own)
	return res.Stored, err
}

const batchCols = `id, source_key, batch_no, batch_size, dataset, source, kind, basis_kind, basis_id,
	rows_read, rows_stored, rows_quarantined, committed_at`

// Batches lists the committed batches of a source, by number.
func (db *DB) Batches(ctx context.Context, sourceKey string) ([]writ.BatchInfo, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+batchCols+` FROM ingest_batches WHERE source_key = ? ORDER BY batch_no`), sourceKey)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, func(s scanner) (writ.BatchInfo, error) {
		var b writ.BatchInfo
		var kind string
		var at int64
		err := s.Scan(&b.ID, &b.SourceKey, &b.Number, &b.Size, &b.Dataset, &b.Source, &kind, &b.BasisKind, &b.BasisID,
			&b.Read, &b.Stored, &b.Quarantined, &at)
		b.Kind, b.CommittedAt = writ.DataKind(kind), fromMicros(at)
		return b, err
	}, db.wrap)
}

// StreamMark returns the last committed sequence of a stream, 0 if none.
func (db *DB) StreamMark(ctx context.Context, stream string) (int64, error) {
	var seq int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT seq FROM ingest_streams WHERE name = ?`), stream).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, db.wrap(err)
}

// Quarantined lists quarantined rows in id order, one page.
func (db *DB) Quarantined(ctx context.Context, f writ.QuarantineFilter) ([]writ.QuarantinedRow, error) {
	var w clause
	if f.BatchID > 0 {
		w.add("q.batch_id = ?", f.BatchID)
	}
	if f.Dataset != "" {
		w.add("b.dataset = ?", f.Dataset)
	}
	if f.AfterID > 0 {
		w.add("q.id > ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = writ.DefaultLimit
	}
	limit = min(limit, writ.MaxLimit)
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT q.id, q.batch_id, b.dataset, b.source, q.src_offset, q.field, q.reason,
		q.detail, q.raw, q.raw_size FROM ingest_quarantine q JOIN ingest_batches b ON b.id = q.batch_id`+w.where()+
		` ORDER BY q.id LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, func(s scanner) (writ.QuarantinedRow, error) {
		var q writ.QuarantinedRow
		err := s.Scan(&q.ID, &q.BatchID, &q.Dataset, &q.Source, &q.Offset, &q.Field, &q.Reason, &q.Detail, &q.Raw, &q.RawSize)
		return q, err
	}, db.wrap)
}

// DatasetFields lists a records dataset's fields by name.
func (db *DB) DatasetFields(ctx context.Context, dataset string) ([]writ.FieldSchema, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT dataset, field, entity, protected FROM dataset_fields
		WHERE dataset = ? ORDER BY field`), dataset)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, func(s scanner) (writ.FieldSchema, error) {
		var f writ.FieldSchema
		var entity string
		err := s.Scan(&f.Dataset, &f.Field, &entity, &f.Protected)
		f.Entity = writ.Entity(entity)
		return f, err
	}, db.wrap)
}
