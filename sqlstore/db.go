// Package sqlstore implements writ's stores over database/sql. The SQL is
// shared by SQLite and PostgreSQL; what differs lives in a Dialect that
// package sqlite or package postgres supplies, and those packages are what
// callers open.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/writhq/writ"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open writ database. Writes go through w; reads through r (for
// SQLite a separate pool of read-only connections, for PostgreSQL the same pool).
type DB struct {
	w, r    *sql.DB
	dialect *Dialect
	log     *slog.Logger
	gate    gateStmt
	pings   pingStmts
	compact compaction
	settle  settling
	plans   preparedPlans
	near    nearCounts
	wstmts  writeStmts // SQLite: the writer's statements, prepared once
	// snapshots holds a place for each read snapshot open (snapshot): at
	// most half the reader pool; nil if the pool is unbounded.
	snapshots chan struct{}
	// afterBatch, if set, runs after each committed ingest batch (SQLite:
	// the WAL checkpoint, see SetAfterBatch).
	afterBatch func(ctx context.Context) error
}

// SetAfterBatch sets work CommitBatch does after each committed batch,
// before it returns: package sqlite checkpoints the WAL there, so that the
// checkpoint's cost falls on ingest rather than on whichever small write
// (an alert, an audit entry) would cross SQLite's automatic threshold. An
// error is logged; the batch is committed.
func (db *DB) SetAfterBatch(fn func(ctx context.Context) error) { db.afterBatch = fn }

// New wraps open database handles and migrates the schema to the latest version.
func New(ctx context.Context, w, r *sql.DB, d *Dialect) (*DB, error) {
	db := &DB{w: w, r: r, dialect: d, log: slog.Default().With("component", "store", "dialect", d.Name)}
	if n := r.Stats().MaxOpenConnections; n > 0 { // 0: no bound, so no wait
		db.snapshots = make(chan struct{}, max(1, n/2))
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ConvertLegacyPings(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.loadUnsettled(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("load unsettled ping hours: %w", err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	// Hours left pending would read correctly, only slower; settle them
	// while the handles are open.
	if _, err := db.SettlePings(context.Background()); err != nil {
		db.log.Error("settle ping hours at close", "err", err)
	}
	if db.gate.stmt != nil {
		db.gate.stmt.Close()
	}
	db.pings.close()
	db.wstmts.close()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Dialect returns the name of the SQL dialect ("sqlite" or "postgres").
func (db *DB) Dialect() string { return db.dialect.Name }

// Writer and Reader expose the handles to the adapter packages' own tests
// (tamper tests edit rows directly) and to bulk loaders.
func (db *DB) Writer() *sql.DB { return db.w }
func (db *DB) Reader() *sql.DB { return db.r }

type migration struct {
	version int
	name    string
	file    string
}

// pending lists the migrations for this dialect: NNNN_name.sql, overridden by
// NNNN_name.<dialect>.sql; a version that exists only for another dialect is
// recorded as applied without running anything.
func (db *DB) migrationsFor() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]migration{}
	for _, f := range files {
		base := path.Base(f)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version prefix", f)
		}
		parts := strings.Split(strings.TrimSuffix(base, ".sql"), ".")
		m := migration{version: v, name: parts[0], file: f}
		switch {
		case len(parts) == 1:
			if _, ok := byVersion[v]; !ok {
				byVersion[v] = m
			}
		case parts[1] == db.dialect.Name:
			byVersion[v] = m
		default:
			if _, ok := byVersion[v]; !ok {
				m.file = "" // another dialect's; nothing to run here
				byVersion[v] = m
			}
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	ms, err := db.migrationsFor()
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, db.dialect.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if m.file != "" {
				body, err := migrations.ReadFile(m.file)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, db.dialect.expand(string(body))); err != nil {
					return fmt.Errorf("migration %s: %w", m.file, err)
				}
			}
			_, err := tx.ExecContext(ctx, db.dialect.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a write transaction, retrying on busy or serialization
// failures, and translates driver errors into writ errors.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		err = db.tryTx(ctx, fn)
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

func (db *DB) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.wrap(err)
	}
	return db.wrap(tx.Commit())
}

// wrap translates a driver error. writ errors pass through; retryable ones are
// marked with errRetry; unknown ones become internal errors (and are logged).
func (db *DB) wrap(err error) error {
	if err == nil {
		return nil
	}
	var we *writ.Error
	if errors.As(err, &we) || errors.Is(err, errRetry) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return writ.Errorf(writ.ENotFound, "not found")
	}
	kind, retry := db.dialect.Classify(err)
	if retry {
		return fmt.Errorf("%w: %w", errRetry, err)
	}
	switch kind {
	case writ.EConflict:
		return &writ.Error{Kind: writ.EConflict, Message: "already exists"}
	case writ.EInvalid:
		return &writ.Error{Kind: writ.EInvalid, Message: "violates a constraint: " + constraintHint(err)}
	}
	return fmt.Errorf("sqlstore %s: %w", db.dialect.Name, err)
}

func constraintHint(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 200 {
		return s[i+2:]
	}
	return "see server log"
}

// Time columns hold unix microseconds; 0 or NULL is the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func (db *DB) q(s string) string { return db.dialect.Rebind(s) }
