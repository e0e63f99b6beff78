package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestPagesReused: the store's connections take their pages from pages,
// and a reader that begins after a write, which drops its whole cache,
// gets the pages it let go back instead of new ones.
func TestPagesReused(t *testing.T) {
	if pages == nil {
		t.Fatal("no page cache registered (WRIT_SQLITE_PAGECACHE=sqlite?)")
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, r := db.Writer(), db.Reader()
	if _, err := w.ExecContext(ctx, `CREATE TABLE filler (id INTEGER PRIMARY KEY, pad BLOB)`); err != nil {
		t.Fatal(err)
	}
	// About 6 MB: more pages than a reader's 2 MB cache holds.
	if _, err := w.ExecContext(ctx, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000)
		INSERT INTO filler (pad) SELECT randomblob(3000) FROM s`); err != nil {
		t.Fatal(err)
	}
	read := func() {
		t.Helper()
		var n, sum int64
		if err := r.QueryRowContext(ctx, `SELECT count(*), sum(length(pad)) FROM filler`).Scan(&n, &sum); err != nil || n != 2000 || sum != 6_000_000 {
			t.Fatalf("read = %d rows, %d bytes, %v; want 2000 rows of 3000 bytes", n, sum, err)
		}
	}
	read()
	before := pages.Stats()
	for range 3 {
		if _, err := w.ExecContext(ctx, `UPDATE filler SET pad = randomblob(3000) WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		read()
	}
	after := pages.Stats()
	if after.Caches == 0 || after.Reused-before.Reused < 100 {
		t.Errorf("page cache stats %+v after %+v; want the readers' pages reused, a cache's worth at least per read", after, before)
	}
	if allocs := after.Allocs - before.Allocs; allocs > after.Reused-before.Reused {
		t.Errorf("%d pages allocated and %d reused over three reads after writes; want most reused", allocs, after.Reused-before.Reused)
	}
}
