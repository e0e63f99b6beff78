// Package storetest is the conformance suite every writ store runs: package
// sqlite and package postgres call Run with a function that opens a fresh,
// empty database. Grants are obtained the real way, from the scope gate.
package storetest

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlstore"
)

// Run runs the whole suite. open must return a new, empty, migrated database
// for each call; the suite does not close it (open registers its own cleanup).
func Run(t *testing.T, open func(t *testing.T) *sqlstore.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Cases", testCases},
		{"Roster", testRoster},
		{"Subjects", testSubjects},
		{"Authorities", testAuthorities},
		{"ApproveAuthority", testApproveAuthority},
		{"RevokeAuthority", testRevokeAuthority},
		{"Agreements", testAgreements},
		{"InsertEvents", testInsertEvents},
		{"ReadsNeedGrant", testReadsNeedGrant},
		{"Contacts", testContacts},
		{"PingsAndPlates", testPingsAndPlates},
		{"Records", testRecords},
		{"AreaFunction", testAreaFunction},
		{"CommitBatch", testCommitBatch},
		{"ReadsClippedToGrants", testClipProperty},
		{"PingBlocks", testPingBlocks},
		{"LegacyPings", testLegacyPings},
		{"CompactOnCommit", testCompactOnCommit},
		{"SettleOnCommit", testSettleOnCommit},
		{"PingsNear", testPingsNear},
		{"PingsNearEdges", testPingsNearEdges},
		{"SettleConcurrent", testSettleConcurrent},
		{"ResolutionDecisions", testResolutionDecisions},
		{"ResolutionGrants", testResolutionGrants},
		{"Lookouts", testLookouts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newFixture(t, open(t)))
		})
	}
}

// RunPingBlocks runs only the suite's tests of pings stored in blocks.
func RunPingBlocks(t *testing.T, open func(t *testing.T) *sqlstore.DB) {
	t.Run("PingBlocks", func(t *testing.T) { testPingBlocks(t, newFixture(t, open(t))) })
	t.Run("ReadsClippedToGrants", func(t *testing.T) { testClipProperty(t, newFixture(t, open(t))) })
	t.Run("PingsNear", func(t *testing.T) { testPingsNear(t, newFixture(t, open(t))) })
	t.Run("PingsNearEdges", func(t *testing.T) { testPingsNearEdges(t, newFixture(t, open(t))) })
}

// t0 is the start of the period the suite's case data lies in.
var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// fixture is a database with a lead investigator, a supervisor, an open case
// the lead leads, and a gate over the database.
type fixture struct {
	db         *sqlstore.DB
	ctx        context.Context
	audit      *auditLog
	gate       *scope.Gate
	lead, boss *writ.User
	c          *writ.Case
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, ctx: context.Background(), audit: &auditLog{}}
	f.gate = scope.New(db, f.audit)
	f.lead = f.user(t, "lena", writ.RoleInvestigator)
	f.boss = f.user(t, "sam", writ.RoleSupervisor)
	f.c = f.newCase(t, "Operation Lantern", f.lead)
	return f
}

func (f *fixture) user(t *testing.T, name string, role writ.Role) *writ.User {
	t.Helper()
	u := &writ.User{Username: name, DisplayName: "User " + name, Role: role, Active: true, PasswordHash: "x"}
	if err := f.db.CreateUser(f.ctx, u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", name, err)
	}
	return u
}

func (f *fixture) newCase(t *testing.T, title string, lead *writ.User) *writ.Case {
	t.Helper()
	c := &writ.Case{Title: title}
	if err := f.db.CreateCase(f.ctx, c, lead.ID); err != nil {
		t.Fatalf("CreateCase(%s) = %v", title, err)
	}
	return c
}

func (f *fixture) subject(t *testing.T, c *writ.Case, name string) *writ.Subject {
	t.Helper()
	s := &writ.Subject{CaseID: c.ID, Name: name, CreatedBy: f.lead.ID}
	if err := f.db.CreateSubject(f.ctx, s); err != nil {
		t.Fatalf("CreateSubject(%s) = %v", name, err)
	}
	return s
}

// authority returns a valid search warrant on the fixture's case, in force
// now, over a window around the data period; tests adjust it.
func (f *fixture) authority() *writ.Authority {
	now := writ.Now()
	return &writ.Authority{CaseID: f.c.ID, Kind: writ.KindSearchWarrant, IssuingBody: "District Court",
		Reference: "SW-2025-0042", IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(90 * 24 * time.Hour),
		Categories:  slices.Clone(writ.Categories),
		WindowStart: t0.Add(-24 * time.Hour), WindowEnd: t0.Add(60 * 24 * time.Hour),
		RequestedBy: f.lead.ID}
}

// approved stores a (requested by the lead) and has the supervisor approve it.
func (f *fixture) approved(t *testing.T, a *writ.Authority) *writ.Authority {
	t.Helper()
	if err := f.db.CreateAuthority(f.ctx, a); err != nil {
		t.Fatalf("CreateAuthority(%s) = %v", a.Reference, err)
	}
	got, err := f.db.ApproveAuthority(f.ctx, a.ID, f.boss.ID)
	if err != nil {
		t.Fatalf("ApproveAuthority(%d) = %v", a.ID, err)
	}
	return got
}

// locationArea stores and approves an authority for location data over
// propOuter: the area warrant of the ping tests.
func (f *fixture) locationArea(t *testing.T) *writ.Authority {
	t.Helper()
	a := f.authority()
	a.Categories = []writ.Category{writ.CatLocation}
	a.Area = propOuter
	return f.approved(t, a)
}

// grant asks the gate for a grant; the request defaults to the lead, the
// fixture's case, and a stated purpose.
func (f *fixture) grant(t *testing.T, r scope.Request) *writ.Grant {
	t.Helper()
	if r.UserID == 0 {
		r.UserID = f.lead.ID
	}
	if r.CaseID == 0 {
		r.CaseID = f.c.ID
	}
	if r.Purpose == "" {
		r.Purpose = "conformance test of the store"
	}
	g, err := f.gate.Authorize(f.ctx, r)
	if err != nil {
		t.Fatalf("Authorize(%+v) = %v", r, err)
	}
	return g
}

// auditLog records the gate's decisions in memory. It stands in for the
// audit log, which is tested in its own package; it is not a database fake.
type auditLog struct {
	mu      sync.Mutex
	entries []writ.AuditEntry
}

func (l *auditLog) Record(_ context.Context, e *writ.AuditEntry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Index = int64(len(l.entries))
	l.entries = append(l.entries, *e)
	return e.Index, nil
}

func (l *auditLog) granted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if e.Decision == writ.DecisionGranted {
			n++
		}
	}
	return n
}

// wantKind fails unless err has the given writ error kind.
func wantKind(t *testing.T, call string, err error, kind string) {
	t.Helper()
	if got := writ.ErrorKind(err); got != kind {
		t.Errorf("%s = %v (kind %q), want kind %q", call, err, got, kind)
	}
}

// wantErr fails unless err has the given kind and exactly the given message.
func wantErr(t *testing.T, call string, err error, kind, msg string) {
	t.Helper()
	if got, gotMsg := writ.ErrorKind(err), writ.ErrorMessage(err); got != kind || gotMsg != msg {
		t.Errorf("%s = %v, want %s %q", call, err, kind, msg)
	}
}

// count returns the number of rows in table, read directly.
func count(t *testing.T, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
