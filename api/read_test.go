package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/writhq/writ"
)

// team is a case with an investigator lead, a member supervisor who can
// request authorities, a second supervisor who approves, and an outsider.
type team struct {
	e                        *env
	caseID                   int64
	inv, sup, sup2, outsider *writ.User
	invC, supC, sup2C, outC  *Client
}

func (e *env) team() *team {
	e.t.Helper()
	ctx := context.Background()
	tm := &team{e: e}
	tm.inv, tm.invC = e.user("ivy", writ.RoleInvestigator)
	tm.sup, tm.supC = e.user("sam", writ.RoleSupervisor)
	tm.sup2, tm.sup2C = e.user("sue", writ.RoleSupervisor)
	tm.outsider, tm.outC = e.user("oscar", writ.RoleInvestigator)
	cs, err := tm.invC.CreateCase(ctx, "Operation Lantern", "forged invoices")
	if err != nil {
		e.t.Fatalf("CreateCase: %v", err)
	}
	tm.caseID = cs.ID
	if _, err := tm.invC.AddToRoster(ctx, cs.ID, tm.sup.ID, writ.RosterMember); err != nil {
		e.t.Fatalf("AddToRoster(sam): %v", err)
	}
	return tm
}

// Selectors named by the team's standard pen-register order.
var (
	phoneA = writ.Selector{Kind: writ.SelPhone, Value: "+15550000001"}
	phoneB = writ.Selector{Kind: writ.SelPhone, Value: "+15550000002"}
	phoneX = writ.Selector{Kind: writ.SelPhone, Value: "+15559999999"} // never named
)

// penRegister is a pen-register order for phoneA and phoneB over days 0-30,
// in force from an hour ago for a day.
func penRegister(ref string) AuthorityRequest {
	now := time.Now().UTC()
	return AuthorityRequest{Kind: writ.KindPenRegister, IssuingBody: "District Court", Reference: ref,
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		Categories: []writ.Category{writ.CatComms}, Selectors: []writ.Selector{phoneA, phoneB},
		WindowStart: day(0), WindowEnd: day(30)}
}

// authority has by request a on the team's case and, if approve, has the
// second supervisor approve it.
func (tm *team) authority(by *Client, a AuthorityRequest, approve bool) *writ.Authority {
	tm.e.t.Helper()
	ctx := context.Background()
	got, err := by.RequestAuthority(ctx, tm.caseID, a)
	if err != nil {
		tm.e.t.Fatalf("RequestAuthority(%s): %v", a.Reference, err)
	}
	if approve {
		if got, err = tm.sup2C.ApproveAuthority(ctx, got.ID); err != nil {
			tm.e.t.Fatalf("ApproveAuthority(%s): %v", a.Reference, err)
		}
	}
	return got
}

// contacts are the rows the read tests insert: four inside the standard
// order (named numbers, inside the window) and three outside it.
func (tm *team) insertContacts(basis int64) (inside []writ.Contact) {
	tm.e.t.Helper()
	rows := []writ.Contact{
		{Caller: phoneA.Value, Callee: "+15551110001", StartedAt: day(1).Add(9 * time.Hour), DurationSec: 60, Type: "call"},
		{Caller: "+15551110002", Callee: phoneA.Value, StartedAt: day(2).Add(10 * time.Hour), DurationSec: 0, Type: "sms"},
		{Caller: phoneB.Value, Callee: phoneA.Value, StartedAt: day(10), DurationSec: 300, Type: "call"},
		{Caller: phoneB.Value, Callee: "+15551110003", StartedAt: day(29).Add(23 * time.Hour), DurationSec: 5, Type: "call"},
		// outside: before the window, after it, and between numbers never named
		{Caller: phoneA.Value, Callee: "+15551110004", StartedAt: day(-1), DurationSec: 10, Type: "call"},
		{Caller: phoneB.Value, Callee: "+15551110005", StartedAt: day(31), DurationSec: 10, Type: "call"},
		{Caller: phoneX.Value, Callee: "+15551110006", StartedAt: day(5), DurationSec: 10, Type: "call"},
	}
	for i := range rows {
		rows[i].Prov = writ.Provenance{Dataset: "cdr", Source: "test.csv", Offset: int64(i + 1),
			ContentHash: fmt.Sprintf("%064x", i+1), Batch: "b1", BasisKind: "authority", BasisID: basis}
	}
	n, err := tm.e.db.InsertContacts(context.Background(), rows)
	if err != nil || n != len(rows) {
		tm.e.t.Fatalf("InsertContacts = %d, %v, want %d, nil", n, err, len(rows))
	}
	return rows[:4]
}

const purpose = "trace the invoice forgery ring's phones"

func TestReadDenials(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	good := tm.authority(tm.invC, penRegister("PR-1"), true)
	unapproved := tm.authority(tm.invC, penRegister("PR-2"), false)
	revoked := tm.authority(tm.invC, penRegister("PR-3"), true)
	if _, err := tm.supC.RevokeAuthority(ctx, revoked.ID, "order quashed on appeal"); err != nil {
		t.Fatalf("RevokeAuthority: %v", err)
	}
	exp := penRegister("PR-4")
	exp.IssuedAt, exp.ExpiresAt = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	expired := tm.authority(tm.invC, exp, true)
	tm.insertContacts(good.ID)

	inWindow := ReadQuery{AuthorityID: good.ID, Purpose: purpose, From: day(0), To: day(30)}
	with := func(f func(*ReadQuery)) ReadQuery { q := inWindow; f(&q); return q }

	tests := []struct {
		name   string
		client *Client
		actor  *writ.User
		read   func(*Client, ReadQuery) error
		q      ReadQuery
		rule   string
	}{
		{"not on the roster", tm.outC, tm.outsider, contacts(tm.caseID), inWindow, "roster_member"},
		{"unapproved authority", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.AuthorityID = unapproved.ID }), "authority_approved"},
		{"revoked authority", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.AuthorityID = revoked.ID }), "authority_revoked"},
		{"expired authority", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.AuthorityID = expired.ID }), "authority_expired"},
		{"selector not named", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.Selectors = []writ.Selector{phoneX} }), "selector_named"},
		{"category not covered", tm.invC, tm.inv, pings(tm.caseID), inWindow, "category_covered"},
		{"window starts too early", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.From = day(-10) }), "window_inside"},
		{"window ends too late", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.To = day(40) }), "window_inside"},
		{"no purpose", tm.invC, tm.inv, contacts(tm.caseID), with(func(q *ReadQuery) { q.Purpose = "" }), "purpose_stated"},
		{"admin is not on the roster", e.admin, nil, contacts(tm.caseID), inWindow, "roster_member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.entries())
			err := tt.read(tt.client, tt.q)
			wantErr(t, "read", err, writ.EForbidden, tt.rule)
			list := e.entries()
			if len(list) != before+1 {
				t.Fatalf("audit log grew by %d entries, want 1", len(list)-before)
			}
			got := list[len(list)-1]
			if got.Decision != writ.DecisionDenied || got.Rule != tt.rule || got.CaseID != tm.caseID ||
				got.AuthorityID != tt.q.AuthorityID || got.Reason == "" {
				t.Errorf("audit entry = %+v, want denied by %s on case %d, authority %d, with a reason",
					got, tt.rule, tm.caseID, tt.q.AuthorityID)
			}
			if tt.actor != nil && got.ActorID != tt.actor.ID {
				t.Errorf("audit entry actor = %d, want %d", got.ActorID, tt.actor.ID)
			}
		})
	}

	t.Run("no login", func(t *testing.T) {
		before := len(e.entries())
		_, err := e.client().Contacts(ctx, tm.caseID, inWindow)
		wantErr(t, "anonymous read", err, writ.EUnauthorized, "")
		bad := e.client()
		bad.Token = "writ_not-a-real-token"
		_, err = bad.Contacts(ctx, tm.caseID, inWindow)
		wantErr(t, "read with a bad token", err, writ.EUnauthorized, "")
		if n := len(e.entries()); n != before {
			t.Errorf("audit log grew by %d for unauthenticated reads, want 0: no user, no decision", n-before)
		}
	})

	t.Run("granted read is audited with its count", func(t *testing.T) {
		page, err := tm.invC.Contacts(ctx, tm.caseID, inWindow)
		if err != nil {
			t.Fatalf("Contacts: %v", err)
		}
		got := e.lastEntry("read.contacts")
		if got.Decision != writ.DecisionGranted || got.Results != int64(len(page.Rows)) || got.ActorID != tm.inv.ID {
			t.Errorf("audit entry = %+v, want granted to %d with %d results", got, tm.inv.ID, len(page.Rows))
		}
		if len(got.Selectors) != 2 || got.Selectors[0] == phoneA.String() || got.Selectors[0] == phoneA.Value {
			t.Errorf("audit selectors = %q, want two commitments, never raw numbers", got.Selectors)
		}
	})
}

func contacts(caseID int64) func(*Client, ReadQuery) error {
	return func(c *Client, q ReadQuery) error {
		_, err := c.Contacts(context.Background(), caseID, q)
		return err
	}
}

func pings(caseID int64) func(*Client, ReadQuery) error {
	return func(c *Client, q ReadQuery) error {
		_, err := c.Pings(context.Background(), caseID, q)
		return err
	}
}

func TestSelfApproval(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	a := tm.authority(tm.supC, penRegister("PR-SELF"), false)

	_, err := tm.supC.ApproveAuthority(ctx, a.ID)
	wantErr(t, "self-approval", err, writ.EForbidden, "second_person")
	got := e.lastEntry("authority.approve")
	if got.Decision != writ.DecisionDenied || got.Rule != "second_person" || got.ActorID != tm.sup.ID || got.AuthorityID != a.ID {
		t.Errorf("audit entry = %+v, want self-approval by %d denied under second_person", got, tm.sup.ID)
	}

	_, err = tm.invC.ApproveAuthority(ctx, a.ID)
	wantErr(t, "approval by an investigator", err, writ.EForbidden, "role")
	if got := e.lastEntry("authority.approve"); got.Decision != writ.DecisionDenied || got.ActorID != tm.inv.ID {
		t.Errorf("audit entry = %+v, want the investigator's approval denied", got)
	}

	if a, err = tm.sup2C.ApproveAuthority(ctx, a.ID); err != nil || a.Status != writ.AuthApproved || a.ApprovedBy != tm.sup2.ID {
		t.Fatalf("ApproveAuthority by a second supervisor = %+v, %v, want approved by %d", a, err, tm.sup2.ID)
	}
	if got := e.lastEntry("authority.approve"); got.Decision != writ.DecisionDone || got.ActorID != tm.sup2.ID {
		t.Errorf("audit entry = %+v, want the approval done by %d", got, tm.sup2.ID)
	}
	_, err = tm.sup2C.ApproveAuthority(ctx, a.ID)
	wantErr(t, "second approval", err, writ.EConflict, "")
}

func TestReadPaging(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	a := tm.authority(tm.invC, penRegister("PR-PAGE"), true)
	inside := tm.insertContacts(a.ID)

	// No window given: the authority's window is used.
	q := ReadQuery{AuthorityID: a.ID, Purpose: purpose, Limit: 3}
	p1, err := tm.invC.Contacts(ctx, tm.caseID, q)
	if err != nil {
		t.Fatalf("Contacts page 1: %v", err)
	}
	if len(p1.Rows) != 3 || p1.NextAfter != p1.Rows[2].ID {
		t.Fatalf("page 1 = %d rows, next_after %d, want 3 rows and the last id", len(p1.Rows), p1.NextAfter)
	}
	if !p1.Grant.From.Equal(day(0)) || !p1.Grant.To.Equal(day(30)) {
		t.Errorf("grant window = %v-%v, want the authority's %v-%v", p1.Grant.From, p1.Grant.To, day(0), day(30))
	}
	q.After = p1.NextAfter
	p2, err := tm.invC.Contacts(ctx, tm.caseID, q)
	if err != nil {
		t.Fatalf("Contacts page 2: %v", err)
	}
	if got := len(p1.Rows) + len(p2.Rows); got != len(inside) || p2.NextAfter != 0 {
		t.Errorf("pages hold %d rows (next_after %d), want %d and no next page", got, p2.NextAfter, len(inside))
	}

	// A narrower selector and window can only narrow.
	q = ReadQuery{AuthorityID: a.ID, Purpose: purpose, Selectors: []writ.Selector{phoneB}, From: day(5), To: day(30)}
	p, err := tm.invC.Contacts(ctx, tm.caseID, q)
	if err != nil {
		t.Fatalf("Contacts(phoneB, days 5-30): %v", err)
	}
	if len(p.Rows) != 2 || len(p.Grant.Selectors) != 1 || p.Grant.Selectors[0] != phoneB {
		t.Errorf("Contacts(phoneB, days 5-30) = %d rows under selectors %v, want 2 under [%v]", len(p.Rows), p.Grant.Selectors, phoneB)
	}
}

func TestReadBadQuery(t *testing.T) {
	e := newSQLiteEnv(t)
	tm := e.team()
	b := e.browser()
	b.login("ivy")
	tests := map[string]string{
		"no authority":      "",
		"bad authority":     "authority=x",
		"unknown param":     "authority=1&purpose=p&colour=red",
		"bad selector":      "authority=1&selector=phone:123",
		"bad kind":          "authority=1&selector=email:a@b",
		"bad time":          "authority=1&from=yesterday",
		"unescaped area":    "authority=1&area=1,2;3,4;5,6",
		"two-point area":    "authority=1&area=1,2%3B3,4",
		"area out of range": "authority=1&area=91,0%3B0,0%3B1,1",
		"bad limit":         "authority=1&limit=0",
		"huge limit":        "authority=1&limit=1000000",
		"bad after":         "authority=1&after=-1",
	}
	for name, query := range tests {
		t.Run(name, func(t *testing.T) {
			resp, data := b.do("GET", fmt.Sprintf("/api/cases/%d/contacts?%s", tm.caseID, query), nil, nil)
			if resp.StatusCode != http.StatusBadRequest || errorBody(t, data).Error != writ.EInvalid {
				t.Errorf("GET contacts?%s = %d %s, want 400 invalid", query, resp.StatusCode, data)
			}
		})
	}
}

func TestParseArea(t *testing.T) {
	p, err := ParseArea("52.5,13.3; 52.6,13.3;52.6,13.5")
	if err != nil {
		t.Fatalf("ParseArea: %v", err)
	}
	want := writ.Polygon{{Lat: 52.5, Lon: 13.3}, {Lat: 52.6, Lon: 13.3}, {Lat: 52.6, Lon: 13.5}}
	if fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("ParseArea = %v, want %v", p, want)
	}
	if s := FormatArea(p); s != "52.5,13.3;52.6,13.3;52.6,13.5" {
		t.Errorf("FormatArea = %q, want the canonical text", s)
	}
}
