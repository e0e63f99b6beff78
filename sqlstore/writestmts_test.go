package sqlstore_test

import (
	"context"
	"fmt"
	"math/bits"
	"path/filepath"
	"testing"

	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// TestInsertChunks inserts runs of rows of sizes around the chunk (500
// rows) and its powers-of-two tails into a real SQLite store: every row
// lands once with its values and its constant, and the writer's cache
// holds exactly the texts the transactions before met (a chunk of 500 and
// the powers of two of the tails), prepared before the next took the
// connection.
func TestInsertChunks(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE chunks (a INTEGER NOT NULL, b INTEGER NOT NULL, c TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	met := map[int]bool{} // row counts of the statements run so far
	for i, n := range []int{1, 3, 3, 500, 1237, 255, 256, 499, 501, 1237, 2} {
		want := len(met) // the texts of the transactions before this one
		c := fmt.Sprintf("run-%d", i)
		cached, err := db.InsertChunks(ctx, "chunks", n, c)
		if err != nil {
			t.Fatalf("InsertChunks(%d rows) = %v", n, err)
		}
		var rows, sumA, sumB, distinct int64
		if err := db.Writer().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(a), 0), coalesce(sum(b), 0), count(DISTINCT a) FROM chunks WHERE c = ?`, c).
			Scan(&rows, &sumA, &sumB, &distinct); err != nil {
			t.Fatal(err)
		}
		var wantA, wantB int64
		for k := range int64(n) {
			wantA, wantB = wantA+k, wantB+k*k
		}
		if rows != int64(n) || distinct != int64(n) || sumA != wantA || sumB != wantB {
			t.Errorf("%d rows: stored %d (%d distinct), sums %d and %d; want %d, sums %d and %d", n, rows, distinct, sumA, sumB, n, wantA, wantB)
		}
		if cached != want {
			t.Errorf("after run %d (%d rows): %d writer statements cached, want %d", i, n, cached, want)
		}
		for rest := n; rest > 0; {
			k := min(rest, 500)
			if k < 500 {
				k = 1 << (bits.Len(uint(k)) - 1)
			}
			met[k] = true
			rest -= k
		}
	}
}

// openSQLite opens a store in a fresh SQLite file, closed when the test ends.
func openSQLite(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatalf("sqlite.Open() = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
