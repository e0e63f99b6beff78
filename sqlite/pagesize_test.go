package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/storetest"
)

// TestPageSize checks that a new database gets PageSize pages in WAL mode
// (the driver once applied the page size after WAL mode had fixed it at 4
// KB), and that Repage brings a 4 KB database to PageSize with its rows.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	fresh := filepath.Join(dir, "fresh.db")
	db, err := Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got, mode := pragma(db.Writer(), "page_size"), pragma(db.Writer(), "journal_mode"); got != fmt.Sprint(PageSize) || mode != "wal" {
		t.Errorf("new database: page size %s, journal mode %s; want %d, wal", got, mode, PageSize)
	}
	db.Close()
	if n, err := FilePageSize(fresh); n != PageSize || err != nil {
		t.Errorf("FilePageSize(new database) = %d, %v; want %d", n, err, PageSize)
	}

	// A database as writ made them before: 4 KB pages, WAL mode.
	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", "file:"+old+"?_pragma=page_size(4096)&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "CREATE TABLE early (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err = Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	agreement := storetest.Agreement(t, db)
	b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:repage", Number: 1, Size: 3000, Dataset: "carrier",
		Source: "pings.csv", Kind: writ.DataPings, BasisKind: "agreement", BasisID: agreement}}
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 3000 {
		b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprintf("dev-%d", i%7), At: start.Add(time.Duration(i) * time.Second),
			Lat: float64(50_850_000+i) / 1e6, Lon: 4.35, AccuracyM: 10,
			Prov: writ.Provenance{Offset: int64(i + 2), ContentHash: fmt.Sprintf("h%d", i)}})
	}
	if res, err := db.CommitBatch(ctx, b); err != nil || !res.Committed {
		t.Fatalf("CommitBatch = %+v, %v", res, err)
	}
	if got := pragma(db.Writer(), "page_size"); got != "4096" {
		t.Fatalf("old database has page size %s after opening; want 4096 kept", got)
	}
	if _, err := Repage(ctx, old); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("Repage(open store) = %v; want an error saying the store is still open", err)
	}
	db.Close()

	before, err := Repage(ctx, old)
	if err != nil || before != 4096 {
		t.Fatalf("Repage = %d, %v; want 4096, nil", before, err)
	}
	if n, err := FilePageSize(old); n != PageSize || err != nil {
		t.Errorf("after Repage: page size %d, %v; want %d", n, err, PageSize)
	}
	db, err = Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	var pings int
	if err := db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM pings").Scan(&pings); err != nil || pings != 3000 {
		t.Errorf("after Repage: %d pings, %v; want 3000", pings, err)
	}
	if ok, mode := pragma(db.Writer(), "integrity_check"), pragma(db.Writer(), "journal_mode"); ok != "ok" || mode != "wal" {
		t.Errorf("after Repage: integrity %q, journal mode %q; want ok, wal", ok, mode)
	}
	db.Close()
	if before, err := Repage(ctx, old); err != nil || before != PageSize {
		t.Errorf("Repage again = %d, %v; want %d (nothing to do)", before, err, PageSize)
	}

	if n, err := FilePageSize(filepath.Join(dir, "none.db")); n != PageSize || err != nil {
		t.Errorf("FilePageSize(missing) = %d, %v; want %d, nil", n, err, PageSize)
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FilePageSize(junk); err == nil {
		t.Error("FilePageSize(not SQLite) = nil error")
	}
	if _, err := Repage(ctx, filepath.Join(dir, "none.db")); err == nil {
		t.Error("Repage(missing) = nil error")
	}
}
