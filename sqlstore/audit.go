package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/tlog"
)

// The audit log's storage (audit.Storage). The Merkle tree logic lives in
// package audit; these methods only move rows, and AppendAudit makes one
// batch (entries, their stored hashes, its signed checkpoint) atomic.

// auditChunk bounds the rows of one multi-row INSERT: 2 parameters a row
// stays far below SQLite's 32766 and PostgreSQL's 65535 parameters.
const auditChunk = 1000

// AuditSize returns the number of entries in the audit log: one past the
// highest index stored.
func (db *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx), -1) + 1 FROM audit_entries`).Scan(&n)
	return n, db.wrap(err)
}

// AppendAudit stores entries first, first+1, ... with the given leaf data,
// the stored hashes that start at tlog.StoredHashCount(first), and the signed
// checkpoint of the new size, in one transaction. It fails with EConflict if
// the log does not end at first-1: another writer appended first, and the
// caller must reload its view of the tree and try again.
func (db *DB) AppendAudit(ctx context.Context, first int64, leaves [][]byte, hashes []tlog.Hash, checkpoint string) error {
	if len(leaves) == 0 {
		return writ.Errorf(writ.EInvalid, "audit append: no entries")
	}
	size := first + int64(len(leaves))
	hfirst := tlog.StoredHashCount(first)
	if want := tlog.StoredHashCount(size) - hfirst; int64(len(hashes)) != want {
		return writ.Errorf(writ.EInvalid, "audit append: %d stored hashes for entries %d..%d, want %d", len(hashes), first, size-1, want)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx), -1) FROM audit_entries`).Scan(&last); err != nil {
			return err
		}
		if last != first-1 {
			return writ.Errorf(writ.EConflict, "audit log ends at entry %d, not %d: another writer appended", last, first-1)
		}
		for lo := 0; lo < len(leaves); lo += auditChunk {
			hi := min(lo+auditChunk, len(leaves))
			args := make([]any, 0, 2*(hi-lo))
			for i := lo; i < hi; i++ {
				args = append(args, first+int64(i), leaves[i])
			}
			if _, err := tx.ExecContext(ctx, db.auditInsert("audit_entries", "idx, data", hi-lo), args...); err != nil {
				return err
			}
		}
		for lo := 0; lo < len(hashes); lo += auditChunk {
			hi := min(lo+auditChunk, len(hashes))
			args := make([]any, 0, 2*(hi-lo))
			for i := lo; i < hi; i++ {
				args = append(args, hfirst+int64(i), hashes[i][:])
			}
			if _, err := tx.ExecContext(ctx, db.auditInsert("audit_hashes", "idx, hash", hi-lo), args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_checkpoints (size, note, created_at) VALUES (?, ?, ?)`),
			size, checkpoint, time.Now().UnixMicro())
		return err
	})
	if writ.ErrorKind(err) == writ.EConflict {
		// A unique violation here means the same: someone else wrote these indexes.
		return writ.Errorf(writ.EConflict, "audit append at entry %d: another writer appended first (%v)", first, writ.ErrorMessage(err))
	}
	return err
}

// auditInsertSQL caches the text of multi-row INSERTs by dialect, table and rows:
// group-commit batches come in few distinct sizes.
var auditInsertSQL sync.Map // auditInsertKey → string

type auditInsertKey struct {
	dialect, table string
	rows           int
}

// auditInsert returns "INSERT INTO table (cols) VALUES (?, ?), ..." for two
// columns and n rows, in the dialect's placeholder form.
func (db *DB) auditInsert(table, cols string, n int) string {
	k := auditInsertKey{db.dialect.Name, table, n}
	if s, ok := auditInsertSQL.Load(k); ok {
		return s.(string)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, cols)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?)")
	}
	s := db.q(b.String())
	auditInsertSQL.Store(k, s)
	return s
}

// ReadAuditEntries calls fn for every stored entry with from <= idx < to, in
// index order. data is fn's to keep.
func (db *DB) ReadAuditEntries(ctx context.Context, from, to int64, fn func(idx int64, data []byte) error) error {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT idx, data FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx`), from, to)
	if err != nil {
		return db.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return db.wrap(err)
		}
		if err := fn(idx, data); err != nil {
			return err
		}
	}
	return db.wrap(rows.Err())
}

// ReadAuditHashRange calls fn for every stored hash with from <= idx < to, in
// index order. The hash is passed as stored, whatever its length, so that a
// verifier can report a damaged row rather than fail to read it.
func (db *DB) ReadAuditHashRange(ctx context.Context, from, to int64, fn func(idx int64, hash []byte) error) error {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT idx, hash FROM audit_hashes WHERE idx >= ? AND idx < ? ORDER BY idx`), from, to)
	if err != nil {
		return db.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return db.wrap(err)
		}
		if err := fn(idx, h); err != nil {
			return err
		}
	}
	return db.wrap(rows.Err())
}

// ReadAuditHashes returns the stored hashes at the given indexes, in the
// order asked (the tlog.HashReader contract). A missing or damaged hash is
// ENotFound.
func (db *DB) ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	for i, x := range indexes {
		pos[x] = append(pos[x], i)
	}
	found := 0
	for lo := 0; lo < len(indexes); lo += auditChunk {
		hi := min(lo+auditChunk, len(indexes))
		args := make([]any, hi-lo)
		for i := lo; i < hi; i++ {
			args[i-lo] = indexes[i]
		}
		q := db.q(`SELECT idx, hash FROM audit_hashes WHERE idx IN (` + strings.TrimSuffix(strings.Repeat("?,", hi-lo), ",") + `)`)
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, db.wrap(err)
		}
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, db.wrap(err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, writ.Errorf(writ.ENotFound, "audit hash %d is damaged (%d bytes)", idx, len(h))
			}
			for _, i := range pos[idx] {
				copy(out[i][:], h)
				found++
			}
			delete(pos, idx) // duplicates in one IN list come back once
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, db.wrap(err)
		}
	}
	if found != len(indexes) {
		for x := range pos {
			return nil, writ.Errorf(writ.ENotFound, "audit hash %d is missing", x)
		}
	}
	return out, nil
}

// AuditCheckpoints calls fn for every stored checkpoint with from < size <= to,
// in size order.
func (db *DB) AuditCheckpoints(ctx context.Context, from, to int64, fn func(size int64, note string) error) error {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT size, note FROM audit_checkpoints WHERE size > ? AND size <= ? ORDER BY size`), from, to)
	if err != nil {
		return db.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var note string
		if err := rows.Scan(&size, &note); err != nil {
			return db.wrap(err)
		}
		if err := fn(size, note); err != nil {
			return err
		}
	}
	return db.wrap(rows.Err())
}

// LatestAuditCheckpoint returns the checkpoint with the largest size, or
// ENotFound when the log has none.
func (db *DB) LatestAuditCheckpoint(ctx context.Context) (size int64, note string, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &note)
	if err == sql.ErrNoRows {
		return 0, "", writ.Errorf(writ.ENotFound, "the audit log has no checkpoint yet")
	}
	return size, note, db.wrap(err)
}
