package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/writhq/writ/sqlstore"
)

// TestDSNEnv names the environment variable that enables PostgreSQL tests.
// .ci/run sets it; without it PostgreSQL tests skip and say so.
const TestDSNEnv = "WRIT_TEST_POSTGRES"

// OpenTest opens a fresh schema in the test database for one test and drops
// it when the test ends, so tests run in parallel without seeing each other.
func OpenTest(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	dsn := os.Getenv(TestDSNEnv)
	if dsn == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", TestDSNEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "writ_t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Writer().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	db, err := Open(ctx, withSearchPath(dsn, schema))
	if err != nil {
		tb.Fatalf("open schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		db.Close()
		admin.Writer().ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return db
}

func withSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return fmt.Sprintf("%s search_path=%s", dsn, schema)
}

func parseURL(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	u.User = nil
	return u.String(), nil
}
