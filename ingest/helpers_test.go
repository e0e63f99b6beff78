package ingest_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// stores opens each store the tests run against: SQLite always, PostgreSQL
// when WRIT_TEST_POSTGRES is set.
func stores(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgres.OpenTest(t)) })
}

func openSQLite(tb testing.TB) *sqlstore.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "writ.db"))
	if err != nil {
		tb.Fatalf("sqlite.Open() = %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// bases creates what an ingest run needs: an approved authority covering
// every category, and data-sharing agreements for the given datasets.
type bases struct {
	authority  ingest.Basis
	agreements map[string]ingest.Basis
}

func newBases(tb testing.TB, db *sqlstore.DB, datasets ...string) bases {
	tb.Helper()
	ctx := context.Background()
	lead := &writ.User{Username: "lena", Role: writ.RoleInvestigator, Active: true, PasswordHash: "x"}
	boss := &writ.User{Username: "sam", Role: writ.RoleSupervisor, Active: true, PasswordHash: "x"}
	for _, u := range []*writ.User{lead, boss} {
		if err := db.CreateUser(ctx, u); err != nil {
			tb.Fatalf("CreateUser(%s) = %v", u.Username, err)
		}
	}
	c := &writ.Case{Title: "Operation Lantern"}
	if err := db.CreateCase(ctx, c, lead.ID); err != nil {
		tb.Fatalf("CreateCase() = %v", err)
	}
	now := writ.Now()
	a := &writ.Authority{CaseID: c.ID, Kind: writ.KindSearchWarrant, IssuingBody: "District Court", Reference: "SW-1",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(90 * 24 * time.Hour), Categories: slices.Clone(writ.Categories),
		Selectors:   []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}},
		WindowStart: now.Add(-10 * 365 * 24 * time.Hour), WindowEnd: now.Add(24 * time.Hour), RequestedBy: lead.ID}
	if err := db.CreateAuthority(ctx, a); err != nil {
		tb.Fatalf("CreateAuthority() = %v", err)
	}
	if _, err := db.ApproveAuthority(ctx, a.ID, boss.ID); err != nil {
		tb.Fatalf("ApproveAuthority() = %v", err)
	}
	b := bases{authority: ingest.Basis{Kind: "authority", ID: a.ID}, agreements: map[string]ingest.Basis{}}
	for _, ds := range datasets {
		ag := &writ.Agreement{Name: "sharing " + ds, Dataset: ds, Parties: []string{"Source", "Police"}, Purposes: []string{"investigations"},
			RetentionDays: 365, ExpiresAt: now.Add(365 * 24 * time.Hour), CreatedBy: lead.ID}
		if err := db.CreateAgreement(ctx, ag); err != nil {
			tb.Fatalf("CreateAgreement(%s) = %v", ds, err)
		}
		b.agreements[ds] = ingest.Basis{Kind: "agreement", ID: ag.ID}
	}
	return b
}

func mapping(tb testing.TB, name string) *ingest.Mapping {
	tb.Helper()
	m, err := ingest.LoadMapping(filepath.Join("testdata", "mappings", name))
	if err != nil {
		tb.Fatalf("LoadMapping(%s) = %v", name, err)
	}
	return m
}

// count returns the number of rows in table.
func count(tb testing.TB, db *sqlstore.DB, table string) int {
	tb.Helper()
	var n int
	if err := db.Reader().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// counts is the row count of every table ingestion writes.
func counts(tb testing.TB, db *sqlstore.DB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, table := range []string{"pings", "contacts", "plate_reads", "records", "ingest_batches", "ingest_quarantine"} {
		out[table] = count(tb, db, table)
	}
	return out
}
