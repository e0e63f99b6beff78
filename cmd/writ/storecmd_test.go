package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/sqlite"
)

// TestStoreSettle leaves an hour unsettled, as a killed ingest would (the
// store that committed it is never closed), and settles it with the
// command.
func TestStoreSettle(t *testing.T) {
	e := newIngestEnv(t)
	ctx := context.Background()
	l := &localFlags{data: e.data}
	st, err := l.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Writer().Close() }) // not st.Close: that would settle
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	var line int64 = 2
	for n := range 3 {
		b := &writ.Batch{BatchInfo: writ.BatchInfo{SourceKey: "sha256:killed", Number: int64(n), Size: 50, Dataset: "carrier-location",
			Source: "pings.csv", Kind: writ.DataPings, BasisKind: "authority", BasisID: e.authority}}
		for i := range 50 {
			b.Pings = append(b.Pings, writ.Ping{Device: fmt.Sprint("dev-", n), At: at.Add(time.Duration(i) * time.Minute),
				Lat: 50.85, Lon: 4.35, AccuracyM: 10, Prov: writ.Provenance{Offset: line, ContentHash: fmt.Sprint("h", line)}})
			line++
		}
		if res, err := st.CommitBatch(ctx, b); err != nil || res.Stored != 50 {
			t.Fatalf("CommitBatch = %+v, %v", res, err)
		}
	}
	blocks := func() int {
		var n int
		if err := st.Reader().QueryRow(`SELECT count(*) FROM ping_cell_blocks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Three batches in one hour and one cell: three blocks of one key,
	// left pending.
	before := blocks()
	if before != 3 {
		t.Fatalf("cell blocks before = %d, want 3", before)
	}
	code, out, errs := e.c.run("", "store", "settle", "--data", e.data, "--from", "2025-06-01", "--to", "2025-06-02")
	if code != 0 || !strings.Contains(out, "settled 1 (hour, cell) keys: 3 blocks merged into 1, 150 pings") {
		t.Fatalf("writ store settle = %d, %q, %q; want 1 key of 3 blocks merged", code, out, errs)
	}
	if after := blocks(); after != before-2 {
		t.Errorf("cell blocks after = %d, want %d", after, before-2)
	}
	// A store upgraded from v10 has blocks without their extent; settle
	// fills it in.
	if _, err := st.Writer().ExecContext(ctx, `UPDATE ping_cell_blocks SET t0 = NULL, t1 = NULL, lat0 = NULL, lat1 = NULL, lon0 = NULL, lon1 = NULL`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.c.run("", "store", "settle", "--data", e.data)
	if code != 0 || !strings.Contains(out, "settled 0 (hour, cell) keys") || !strings.Contains(out, "filled in the extent of 1 area blocks") {
		t.Errorf("writ store settle again = %d, %q; want nothing left to merge, 1 extent filled", code, out)
	}
	var missing int
	if err := st.Reader().QueryRow(`SELECT count(*) FROM ping_cell_blocks WHERE part < 0 AND (t0 IS NULL OR lon1 IS NULL)`).Scan(&missing); err != nil || missing != 0 {
		t.Errorf("cell blocks without extent after settle = %d, %v; want 0", missing, err)
	}
	code, _, errs = e.c.run("", "store", "settle", "--data", e.data, "--from", "2025-06-02", "--to", "2025-06-01")
	if code != 2 || !strings.Contains(errs, "is not before") {
		t.Errorf("writ store settle backwards = %d, %q; want a usage error", code, errs)
	}
}

// TestStoreRepage rewrites a 4 KB-page database with the command, and
// leaves one that has the page size alone.
func TestStoreRepage(t *testing.T) {
	e := newIngestEnv(t)
	code, out, errs := e.c.run("", "store", "repage", "--data", e.data)
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Errorf("writ store repage (new database) = %d, %q, %q; want nothing to do", code, out, errs)
	}
	old := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(old, "writ.db")+"?_pragma=page_size(4096)&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if h := pageSizeHint(&localFlags{data: old}); !strings.Contains(h, "4096-byte pages") || !strings.Contains(h, "writ store repage --data "+old) {
		t.Errorf("pageSizeHint(4 KB database) = %q; want the repage command", h)
	}
	if h := pageSizeHint(&localFlags{data: e.data}); h != "" {
		t.Errorf("pageSizeHint(new database) = %q; want none", h)
	}
	code, out, errs = e.c.run("", "store", "repage", "--data", old)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("pages of 4096 bytes rewritten as %d", sqlite.PageSize)) {
		t.Fatalf("writ store repage (4 KB pages) = %d, %q, %q", code, out, errs)
	}
	raw, err = sql.Open("sqlite", "file:"+filepath.Join(old, "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var x string
	var size int
	if err := raw.QueryRow("SELECT x, (SELECT page_size FROM pragma_page_size()) FROM t").Scan(&x, &size); err != nil || x != "kept" || size != sqlite.PageSize {
		t.Errorf("after repage: %q, page size %d, %v; want the row kept and %d", x, size, err, sqlite.PageSize)
	}
	if h := pageSizeHint(&localFlags{data: old}); h != "" {
		t.Errorf("pageSizeHint after repage = %q; want none", h)
	}
	code, _, errs = e.c.run("", "store", "repage", "--data", old, "--db", "postgres://x")
	if code != 2 || !strings.Contains(errs, "not on --db") {
		t.Errorf("writ store repage --db = %d, %q; want a usage error", code, errs)
	}
}
