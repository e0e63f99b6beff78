package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

const keyName = "writ.test/audit"

// store is one of the databases every test runs against.
type store struct {
	name string
	open func(testing.TB) *sqlstore.DB
}

var stores = []store{
	{"sqlite", openSQLite},
	{"postgres", postgres.OpenTest},
}

func openSQLite(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "writ.db"))
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// forEachStore runs fn as a subtest on a fresh database of every kind.
func forEachStore(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, s.open(t))
		})
	}
}

// newKeys makes a key directory.
func newKeys(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "keys")
	if err := audit.Init(dir, keyName); err != nil {
		tb.Fatalf("Init: %v", err)
	}
	return dir
}

// openLog opens a log over db with keys in dir, closed when the test ends.
func openLog(tb testing.TB, db *sqlstore.DB, dir string) *audit.Log {
	tb.Helper()
	l, err := audit.Open(context.Background(), db, dir)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// sample is a plausible decision of the scope gate.
func sample(i int) *writ.AuditEntry {
	return &writ.AuditEntry{
		ActorID:      int64(1 + i%3),
		Actor:        "investigator" + strconv.Itoa(1+i%3),
		Action:       "read.contacts",
		CaseID:       int64(1 + i%2),
		AuthorityID:  7,
		Category:     writ.CatComms,
		Purpose:      "trace the fraud ring's calls",
		Decision:     writ.DecisionGranted,
		RawSelectors: []writ.Selector{{Kind: writ.SelPhone, Value: "+15551234567"}},
		Results:      int64(i),
	}
}

// recordN records n entries one at a time, so each is its own batch and
// checkpoint.
func recordN(tb testing.TB, l *audit.Log, n int) {
	tb.Helper()
	for i := range n {
		idx, err := l.Record(context.Background(), sample(i))
		if err != nil {
			tb.Fatalf("Record(%d): %v", i, err)
		}
		if idx != int64(i) {
			tb.Fatalf("Record(%d) = index %d, want %d", i, idx, i)
		}
	}
}

// exec runs SQL written with ? placeholders directly on the database, as a
// tamperer with database access would.
func exec(tb testing.TB, db *sqlstore.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.Writer().ExecContext(context.Background(), rebind(db, q), args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

func rebind(db *sqlstore.DB, q string) string {
	if db.Dialect() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// entryData reads the stored leaf data of entry idx.
func entryData(tb testing.TB, db *sqlstore.DB, idx int64) []byte {
	tb.Helper()
	var data []byte
	err := db.Writer().QueryRowContext(context.Background(), rebind(db, `SELECT data FROM audit_entries WHERE idx = ?`), idx).Scan(&data)
	if err != nil {
		tb.Fatalf("read entry %d: %v", idx, err)
	}
	return data
}

func count(tb testing.TB, db *sqlstore.DB, table string) int64 {
	tb.Helper()
	var n int64
	if err := db.Writer().QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// wantBad checks that err is a TamperError naming entry want, and that the
// report agrees.
func wantBad(tb testing.TB, rep *audit.Report, err error, want int64) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Verify = OK, want a failure at entry %d", want)
	}
	got, ok := audit.BadEntry(err)
	if !ok {
		tb.Fatalf("Verify = %v, want a *TamperError at entry %d", err, want)
	}
	if got != want {
		tb.Fatalf("Verify = bad entry %d (%v), want %d", got, err, want)
	}
	if prefix := "audit entry " + strconv.FormatInt(want, 10) + ":"; !strings.HasPrefix(err.Error(), prefix) {
		tb.Errorf("Verify error = %q, want it to start %q", err, prefix)
	}
	if writ.ErrorKind(err) != writ.EConflict {
		tb.Errorf("ErrorKind(Verify error) = %q, want %q", writ.ErrorKind(err), writ.EConflict)
	}
	if rep == nil || rep.OK || rep.FirstBad != want {
		tb.Errorf("Verify report = %+v, want OK false and FirstBad %d", rep, want)
	}
}
