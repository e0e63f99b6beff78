// Package sqlite opens writ's embedded store: one SQLite file (WAL mode)
// through the pure-Go driver modernc.org/sqlite, with the SQL shared in
// package sqlstore.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/writhq/writ"
	"github.com/writhq/writ/sqlite/pagecache"
	"github.com/writhq/writ/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is made to enforce what PostgreSQL enforces: foreign keys on, CHECK
// constraints, a busy timeout instead of immediate failure, and full fsync on
// commit so an audit entry is durable before the read it records returns.
//
// A new database gets pages of PageSize bytes (an existing one keeps its own;
// Repage changes it). The driver runs the _pragma list sorted by name, so
// page_size must not share it with journal_mode: WAL mode fixes the page size
// when it first writes the file, and "journal_mode" sorts before
// "page_size". Hence _journal_mode, which the driver applies after the list.
// (Until 2026-11-22 the two were both in the list and every database got the
// default 4 KB pages.)
var pragmas = "_pragma=page_size(" + strconv.Itoa(PageSize) + ")&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_journal_mode=WAL&_pragma=synchronous(FULL)"

// PageSize is the page size of new databases. Ping blocks are rows of up to
// about 6 KB: in 4 KB pages a block of 500 pings spilled onto an overflow
// page, and the random-key indexes of a feed (callers, callees, plates,
// devices) cost more per event the smaller their pages. Measured against 16
// and 64 KB (docs/pingblock.md, "Page size"), 32 KB gave the fastest ingest
// of world pings and of lookout feeds and the fewest bytes per ping.
const PageSize = 32768

var registerOnce sync.Once

// pages is the page cache of every SQLite connection of the process
// (package pagecache: SQLite's pages reused rather than mapped and
// unmapped one by one), or nil if the environment asked for SQLite's own
// with WRIT_SQLITE_PAGECACHE=sqlite, to compare the two. SQLite takes a
// page cache only before its first connection, hence init.
var pages *pagecache.Pool

func init() {
	if os.Getenv("WRIT_SQLITE_PAGECACHE") == "sqlite" {
		return
	}
	pages = pagecache.New()
	err := savePcache1()
	if err == nil {
		err = sqlite.RegisterPageCache(pages)
	}
	if err == nil {
		err = initPcache1()
	}
	if err != nil {
		panic(fmt.Sprintf("writ: SQLite page cache: %v", err))
	}
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	registerOnce.Do(registerFunctions)
	file := "file:" + url.PathEscape(path)
	// One writer connection with BEGIN IMMEDIATE: SQLite has one writer anyway,
	// and taking the lock up front avoids busy-upgrade deadlocks.
	// The writer keeps 16 MiB of pages: feeds' random-key indexes want
	// more than SQLite's default 2 MB (3M lookout events: 91,500 events/s
	// at 2 MB, 119,700 at 16 MiB). At 64 MiB, a process that had ingested
	// 100M pings then ran co-location at 756 ms instead of about 400, a
	// third of its CPU in the driver's allocator returning freed reader
	// pages one madvise at a time (docs/pingblock.md, "Page size").
	// Ingest checkpoints the WAL once it holds checkpointBytes
	// (checkpoint.go) rather than SQLite's 1,000 pages: bulk ingest touches
	// index pages in every batch, and a checkpoint after each batch
	// rewrote them each time.
	pageSize, err := FilePageSize(path)
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", file+"?"+pragmas+"&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint("+
		strconv.Itoa(autoCheckpointBytes/pageSize)+")&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", file+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	r.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	db, err := sqlstore.New(ctx, w, r, Dialect)
	if err != nil {
		return nil, err
	}
	db.SetAfterBatch(afterBatch(w, path, pageSize))
	return db, nil
}

// Dialect is SQLite's part of the shared SQL.
var Dialect = &sqlstore.Dialect{
	Name:     "sqlite",
	Types:    map[string]string{"ID": "INTEGER PRIMARY KEY", "BLOB": "BLOB", "REAL": "REAL", "WITHOUT_ROWID": "WITHOUT ROWID"},
	Numbered: false,
	Classify: classify,
}

func classify(err error) (kind string, retry bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return writ.EConflict, false
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return writ.EInvalid, false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return "", true
	}
	return "", false
}

// registerFunctions adds writ_in_polygon, the exact area test that
// PostgreSQL defines in SQL (sqlstore/migrations/0002_polygon.postgres.sql).
func registerFunctions() {
	var cache sync.Map // ring text → writ.Polygon
	err := sqlite.RegisterDeterministicScalarFunction("writ_in_polygon", 3,
		func(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			lat, ok1 := args[0].(float64)
			lon, ok2 := args[1].(float64)
			ring, ok3 := args[2].(string)
			if !ok1 || !ok2 || !ok3 {
				return nil, nil
			}
			var poly writ.Polygon
			if v, ok := cache.Load(ring); ok {
				poly = v.(writ.Polygon)
			} else {
				p, err := ParseRing(ring)
				if err != nil {
					return nil, err
				}
				cache.Store(ring, p)
				poly = p
			}
			if poly.Contains(writ.Point{Lat: lat, Lon: lon}) {
				return int64(1), nil
			}
			return int64(0), nil
		})
	if err != nil {
		panic("sqlite: register writ_in_polygon: " + err.Error())
	}
}

// ParseRing parses "((lon,lat),(lon,lat),...)" as written by sqlstore.
func ParseRing(s string) (writ.Polygon, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "((") || !strings.HasSuffix(s, "))") {
		return nil, fmt.Errorf("writ_in_polygon: bad ring %q", s)
	}
	var poly writ.Polygon
	for _, pt := range strings.Split(s[2:len(s)-2], "),(") {
		lon, lat, ok := strings.Cut(pt, ",")
		x, err1 := strconv.ParseFloat(lon, 64)
		y, err2 := strconv.ParseFloat(lat, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("writ_in_polygon: bad point %q", pt)
		}
		poly = append(poly, writ.Point{Lat: y, Lon: x})
	}
	return poly, nil
}
