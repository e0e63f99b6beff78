package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// localFlags locate the data directory and the database of a local command.
type localFlags struct {
	data string
	db   string
	hint io.Writer // where open tells of an old page size (standard error)
}

func (l *localFlags) register(fs *flag.FlagSet, e *env) {
	l.hint = e.stderr
	fs.StringVar(&l.data, "data", envOr(e, "WRIT_DATA", "writ-data"),
		"data directory: SQLite database and audit keys ($WRIT_DATA)")
	fs.StringVar(&l.db, "db", e.getenv("WRIT_DB"),
		"database: empty for SQLite in the data directory, or a postgres:// URL ($WRIT_DB)")
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// system is an opened deployment: store, audit log and gate.
type system struct {
	store *sqlstore.DB
	log   *audit.Log
	gate  *scope.Gate
}

func (s *system) Close() error {
	err := s.log.Close()
	return errors.Join(err, s.store.Close())
}

func (l *localFlags) openStore(ctx context.Context) (*sqlstore.DB, error) {
	if strings.HasPrefix(l.db, "postgres://") || strings.HasPrefix(l.db, "postgresql://") {
		return postgres.Open(ctx, l.db)
	}
	if l.db != "" {
		return nil, usageErr("--db %q: want empty (SQLite in the data directory) or a postgres:// URL", l.db)
	}
	return sqlite.Open(ctx, l.sqlitePath())
}

// sqlitePath is the SQLite database of the data directory.
func (l *localFlags) sqlitePath() string { return filepath.Join(l.data, "writ.db") }

// open opens an initialised data directory.
func (l *localFlags) open(ctx context.Context) (*system, error) {
	if _, err := os.Stat(filepath.Join(l.data, audit.SignerKeyFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not an initialised writ data directory; run 'writ init --data %s' first (or 'writ demo')", l.data, l.data)
	}
	store, err := l.openStore(ctx)
	if err != nil {
		return nil, err
	}
	if h := pageSizeHint(l); h != "" && l.hint != nil {
		fmt.Fprintln(l.hint, h)
	}
	log, err := audit.Open(ctx, store, l.data)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &system{store: store, log: log, gate: scope.New(store, log)}, nil
}

// localLeaf builds a leaf command that works on an opened data directory, as
// clientLeaf does for a client of the API: it adds --data and --db, opens
// the deployment, and closes it when run returns.
func localLeaf(name, summary, usage, help string,
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, sys *system, args []string) error) *command {
	return &command{name: name, summary: summary, usage: "[--data DIR] [--db URL] " + usage, help: help,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			run := setup(fs)
			return func(ctx context.Context, args []string) error {
				sys, err := l.open(ctx)
				if err != nil {
					return err
				}
				defer sys.Close()
				return run(ctx, e, sys, args)
			}
		}}
}

// pageSizeHint says how to bring a SQLite database made before 2026-11-22,
// with 4 KB pages, to today's page size; for any other store it is empty.
func pageSizeHint(l *localFlags) string {
	if l.db != "" {
		return ""
	}
	size, err := sqlite.FilePageSize(l.sqlitePath())
	if err != nil || size >= sqlite.PageSize {
		return ""
	}
	return fmt.Sprintf("note: %s has %d-byte pages; with writ stopped, 'writ store repage --data %s' rewrites it with %d KB pages (fewer bytes, faster ingest and lookouts)",
		l.sqlitePath(), size, l.data, sqlite.PageSize/1024)
}
