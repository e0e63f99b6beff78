package storetest

import (
	"slices"
	"testing"

	"github.com/writhq/writ"
)

func caseIDs(cs []*writ.Case) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func testCases(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	other := f.user(t, "otto", writ.RoleInvestigator)
	c2 := f.newCase(t, "Operation Ledger", other)
	t.Run("create with lead", func(t *testing.T) {
		got, err := db.CaseByID(ctx, f.c.ID)
		if err != nil || *got != *f.c {
			t.Fatalf("CaseByID(%d) = %+v, %v, want %+v", f.c.ID, got, err, f.c)
		}
		if got.Status != writ.CaseOpen || got.CreatedBy != f.lead.ID {
			t.Errorf("new case status %q, created by %d; want open, %d", got.Status, got.CreatedBy, f.lead.ID)
		}
		role, err := db.RosterRole(ctx, f.c.ID, f.lead.ID)
		if role != writ.RosterLead || err != nil {
			t.Errorf("RosterRole(case, lead) = %q, %v, want lead", role, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		wantKind(t, "CreateCase(no title)", db.CreateCase(ctx, &writ.Case{Title: " "}, f.lead.ID), writ.EInvalid)
		wantKind(t, "CreateCase(bad status)", db.CreateCase(ctx, &writ.Case{Title: "x", Status: "pending"}, f.lead.ID), writ.EInvalid)
	})
	t.Run("unknown lead creates nothing", func(t *testing.T) {
		err := db.CreateCase(ctx, &writ.Case{Title: "Orphan"}, 999)
		wantErr(t, "CreateCase(lead 999)", err, writ.ENotFound, "user 999 not found")
		if all, _ := db.ListCases(ctx, writ.CaseFilter{}); len(all) != 2 {
			t.Errorf("ListCases() after failed create = %v, want 2 cases", caseIDs(all))
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := db.CaseByID(ctx, 999)
		wantErr(t, "CaseByID(999)", err, writ.ENotFound, "case 999 not found")
		_, err = db.SetCaseStatus(ctx, 999, writ.CaseClosed)
		wantErr(t, "SetCaseStatus(999)", err, writ.ENotFound, "case 999 not found")
	})
	t.Run("status", func(t *testing.T) {
		got, err := db.SetCaseStatus(ctx, c2.ID, writ.CaseClosed)
		if err != nil || got.Status != writ.CaseClosed || got.UpdatedAt.Before(c2.UpdatedAt) || got.Title != c2.Title {
			t.Fatalf("SetCaseStatus(%d, closed) = %+v, %v", c2.ID, got, err)
		}
		if stored, _ := db.CaseByID(ctx, c2.ID); stored == nil || stored.Status != writ.CaseClosed {
			t.Errorf("CaseByID after close = %+v, want closed", stored)
		}
		_, err = db.SetCaseStatus(ctx, c2.ID, "archived")
		wantKind(t, "SetCaseStatus(archived)", err, writ.EInvalid)
	})
	t.Run("list", func(t *testing.T) {
		tests := []struct {
			f    writ.CaseFilter
			want []int64
		}{
			{writ.CaseFilter{}, []int64{f.c.ID, c2.ID}},
			{writ.CaseFilter{MemberID: f.lead.ID}, []int64{f.c.ID}},
			{writ.CaseFilter{MemberID: other.ID}, []int64{c2.ID}},
			{writ.CaseFilter{MemberID: f.boss.ID}, nil},
			{writ.CaseFilter{Status: writ.CaseOpen}, []int64{f.c.ID}},
			{writ.CaseFilter{Status: writ.CaseClosed}, []int64{c2.ID}},
			{writ.CaseFilter{MemberID: other.ID, Status: writ.CaseOpen}, nil},
		}
		for _, tt := range tests {
			got, err := db.ListCases(ctx, tt.f)
			if err != nil || !slices.Equal(caseIDs(got), tt.want) {
				t.Errorf("ListCases(%+v) = %v, %v, want %v", tt.f, caseIDs(got), err, tt.want)
			}
		}
		_, err := db.ListCases(ctx, writ.CaseFilter{Status: "pending"})
		wantKind(t, "ListCases(status pending)", err, writ.EInvalid)
	})
}

func testRoster(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	mia := f.user(t, "mia", writ.RoleInvestigator)
	e := &writ.RosterEntry{CaseID: f.c.ID, UserID: mia.ID, Role: writ.RosterMember, AddedBy: f.lead.ID}
	t.Run("add", func(t *testing.T) {
		if err := db.AddToRoster(ctx, e); err != nil {
			t.Fatalf("AddToRoster(mia) = %v", err)
		}
		if e.Username != "mia" || e.AddedAt.IsZero() {
			t.Errorf("AddToRoster(mia) left username %q, added at %v", e.Username, e.AddedAt)
		}
		if role, err := db.RosterRole(ctx, f.c.ID, mia.ID); role != writ.RosterMember || err != nil {
			t.Errorf("RosterRole(mia) = %q, %v, want member", role, err)
		}
		got, err := db.Roster(ctx, f.c.ID)
		if err != nil || len(got) != 2 {
			t.Fatalf("Roster(case) = %d entries, %v, want 2", len(got), err)
		}
		if got[0].UserID != f.lead.ID || got[0].Username != "lena" || got[0].Role != writ.RosterLead ||
			*got[1] != *e {
			t.Errorf("Roster(case) = %+v, %+v, want lena as lead, then %+v", got[0], got[1], e)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		dup := *e
		dup.Role = writ.RosterLead
		err := db.AddToRoster(ctx, &dup)
		wantKind(t, "AddToRoster(mia again)", err, writ.EConflict)
	})
	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name string
			e    writ.RosterEntry
			kind string
		}{
			{"bad role", writ.RosterEntry{CaseID: f.c.ID, UserID: f.boss.ID, Role: "observer", AddedBy: f.lead.ID}, writ.EInvalid},
			{"unknown case", writ.RosterEntry{CaseID: 999, UserID: f.boss.ID, Role: writ.RosterMember, AddedBy: f.lead.ID}, writ.ENotFound},
			{"unknown user", writ.RosterEntry{CaseID: f.c.ID, UserID: 999, Role: writ.RosterMember, AddedBy: f.lead.ID}, writ.ENotFound},
		}
		for _, tt := range tests {
			wantKind(t, "AddToRoster("+tt.name+")", db.AddToRoster(ctx, &tt.e), tt.kind)
		}
		_, err := db.Roster(ctx, 999)
		wantErr(t, "Roster(999)", err, writ.ENotFound, "case 999 not found")
	})
	t.Run("remove", func(t *testing.T) {
		if err := db.RemoveFromRoster(ctx, f.c.ID, mia.ID); err != nil {
			t.Fatalf("RemoveFromRoster(mia) = %v", err)
		}
		_, err := db.RosterRole(ctx, f.c.ID, mia.ID)
		wantErr(t, "RosterRole(mia) after removal", err, writ.ENotFound,
			"user "+itoa(mia.ID)+" is not on the roster of case "+itoa(f.c.ID))
		wantKind(t, "RemoveFromRoster(mia again)", db.RemoveFromRoster(ctx, f.c.ID, mia.ID), writ.ENotFound)
		if got, _ := db.Roster(ctx, f.c.ID); len(got) != 1 || got[0].UserID != f.lead.ID {
			t.Errorf("Roster(case) after removal = %d entries, want the lead only", len(got))
		}
	})
}

func testSubjects(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	other := f.newCase(t, "Operation Ledger", f.lead)
	a := &writ.Subject{CaseID: f.c.ID, Name: "Jon Doe", Notes: "driver", CreatedBy: f.lead.ID}
	b := &writ.Subject{CaseID: f.c.ID, Name: "Ann Roe", CreatedBy: f.lead.ID}
	c := &writ.Subject{CaseID: other.ID, Name: "Kim Poe", CreatedBy: f.lead.ID}
	for _, s := range []*writ.Subject{a, b, c} {
		if err := db.CreateSubject(ctx, s); err != nil || s.ID == 0 {
			t.Fatalf("CreateSubject(%s) = %v, id %d", s.Name, err, s.ID)
		}
	}
	got, err := db.Subjects(ctx, f.c.ID)
	if err != nil || len(got) != 2 || *got[0] != *a || *got[1] != *b {
		t.Errorf("Subjects(case) = %v, %v, want Jon Doe and Ann Roe", got, err)
	}
	if got, err := db.Subjects(ctx, other.ID); err != nil || len(got) != 1 || *got[0] != *c {
		t.Errorf("Subjects(other case) = %v, %v, want Kim Poe", got, err)
	}
	_, err = db.Subjects(ctx, 999)
	wantErr(t, "Subjects(999)", err, writ.ENotFound, "case 999 not found")
	wantKind(t, "CreateSubject(no name)", db.CreateSubject(ctx, &writ.Subject{CaseID: f.c.ID, CreatedBy: f.lead.ID}), writ.EInvalid)
	wantErr(t, "CreateSubject(case 999)", db.CreateSubject(ctx, &writ.Subject{CaseID: 999, Name: "X", CreatedBy: f.lead.ID}),
		writ.ENotFound, "case 999 not found")
}
