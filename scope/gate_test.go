package scope_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

func forEachStore(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, postgres.OpenTest(t)) })
}

func openLog(t *testing.T, db *sqlstore.DB) *audit.Log {
	t.Helper()
	dir := t.TempDir()
	if err := audit.Init(dir, "test"); err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(context.Background(), db, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// plainStore hides the store's FactLoader fast path, so the gate loads facts
// one method at a time.
type plainStore struct{ scope.GateStore }

// TestGateFactsMatch checks that the one-query fast path returns exactly what
// the individual store methods return, for present and missing rows.
func TestGateFactsMatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		req := setupCase(t, db)
		for _, ids := range [][3]int64{
			{req.UserID, req.CaseID, req.AuthorityID},
			{req.UserID + 100, req.CaseID, req.AuthorityID},
			{req.UserID, req.CaseID + 100, req.AuthorityID},
			{req.UserID, req.CaseID, req.AuthorityID + 100},
			{req.UserID + 1, req.CaseID, req.AuthorityID}, // sam: not on the roster
		} {
			fast, err := db.GateFacts(ctx, ids[0], ids[1], ids[2])
			if err != nil {
				t.Fatal(err)
			}
			want := &scope.Facts{}
			if u, err := db.UserByID(ctx, ids[0]); err == nil {
				want.User = &writ.User{ID: u.ID, Username: u.Username, Role: u.Role, Active: u.Active}
			}
			if c, err := db.CaseByID(ctx, ids[1]); err == nil {
				want.Case = &writ.Case{ID: c.ID, Status: c.Status}
			}
			if r, err := db.RosterRole(ctx, ids[1], ids[0]); err == nil {
				want.Roster = r
			}
			if a, err := db.AuthorityByID(ctx, ids[2]); err == nil {
				want.Authority = a
			}
			if !reflect.DeepEqual(fast, want) {
				t.Errorf("GateFacts%v = %+v\nwant %+v", ids, fast, want)
			}
		}
	})
}

// TestGateAuditsEveryDecision runs granted and denied requests through the
// gate over a real store and audit log, with and without the fast path, and
// checks each decision is in the log, durable, with its rule and row count.
func TestGateAuditsEveryDecision(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		log := openLog(t, db)
		req := setupCase(t, db)
		for _, gate := range []*scope.Gate{scope.New(db, log), scope.New(plainStore{db}, log)} {
			before, _ := log.Entries(ctx, writ.AuditFilter{Limit: 100000})
			outside := req
			outside.From = req.From.Add(-60 * 24 * time.Hour)
			wrongSel := req
			wrongSel.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "+32499999999"}}
			notRoster := req
			notRoster.UserID++ // sam
			err := gate.Read(ctx, req, func(g *writ.Grant) (int, error) {
				rows, err := db.Contacts(ctx, g, writ.EventQuery{})
				return len(rows) + 7, err
			})
			if err != nil {
				t.Fatalf("Read inside the authority = %v", err)
			}
			for _, d := range []struct {
				r    scope.Request
				rule string
			}{{outside, "window_inside"}, {wrongSel, "selector_named"}, {notRoster, "roster_member"}} {
				called := false
				err := gate.Read(ctx, d.r, func(*writ.Grant) (int, error) { called = true; return 0, nil })
				if writ.ErrorRule(err) != d.rule || called {
					t.Errorf("Read = %v (read called %v), want denial %s without reading", err, called, d.rule)
				}
			}
			after, err := log.Entries(ctx, writ.AuditFilter{From: int64(len(before)), Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != 4 {
				t.Fatalf("%d new audit entries, want 4", len(after))
			}
			if e := after[0]; e.Decision != writ.DecisionGranted || e.Results != 7 || e.Purpose != req.Purpose || len(e.Selectors) != 1 {
				t.Errorf("granted entry = %+v; want granted, 7 results, the purpose and one committed selector", e)
			}
			for i, rule := range []string{"window_inside", "selector_named", "roster_member"} {
				if e := after[i+1]; e.Decision != writ.DecisionDenied || e.Rule != rule {
					t.Errorf("entry %d = %s/%s, want denied/%s", i+1, e.Decision, e.Rule, rule)
				}
			}
			for _, e := range after {
				for _, s := range e.Selectors {
					if s == "+32491000001" || s == "+32499999999" {
						t.Errorf("audit entry %d holds a raw selector %q", e.Index, s)
					}
				}
			}
		}
	})
}
