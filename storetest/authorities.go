package storetest

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

func authorityIDs(as []*writ.Authority) []int64 {
	var out []int64
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func testAuthorities(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	t.Run("create and round trip", func(t *testing.T) {
		a := f.authority()
		a.Categories = []writ.Category{writ.CatComms, writ.CatLocation}
		a.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "+1 (555) 000-0002"}, {Kind: writ.SelDevice, Value: "dev-9"},
			{Kind: writ.SelPhone, Value: "+15550000001"}, {Kind: writ.SelPhone, Value: "+1-555-000-0002"}}
		a.Area = writ.Polygon{{Lat: 40.7101, Lon: -74.0102}, {Lat: 40.7203, Lon: -74.0001}, {Lat: 40.7052, Lon: -73.9905}}
		a.Status, a.ApprovedBy = writ.AuthApproved, f.boss.ID // ignored: a new authority is requested
		if err := db.CreateAuthority(ctx, a); err != nil {
			t.Fatalf("CreateAuthority() = %v", err)
		}
		if a.ID == 0 || a.Status != writ.AuthRequested || a.ApprovedBy != 0 || a.CreatedAt.IsZero() {
			t.Errorf("CreateAuthority() left id %d, status %q, approved by %d, created %v; want an id, requested, 0, now",
				a.ID, a.Status, a.ApprovedBy, a.CreatedAt)
		}
		wantSels := []writ.Selector{{Kind: writ.SelDevice, Value: "dev-9"},
			{Kind: writ.SelPhone, Value: "+15550000001"}, {Kind: writ.SelPhone, Value: "+15550000002"}}
		if !slices.Equal(a.Selectors, wantSels) {
			t.Errorf("CreateAuthority() selectors = %v, want normalised %v", a.Selectors, wantSels)
		}
		got, err := db.AuthorityByID(ctx, a.ID)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("AuthorityByID(%d) = %+v, %v\nwant %+v", a.ID, got, err, a)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(a *writ.Authority)
			kind   string
		}{
			{"no reference", func(a *writ.Authority) { a.Reference = "" }, writ.EInvalid},
			{"bad kind", func(a *writ.Authority) { a.Kind = "letter" }, writ.EInvalid},
			{"bad category", func(a *writ.Authority) { a.Categories = []writ.Category{"email"} }, writ.EInvalid},
			{"expires before issued", func(a *writ.Authority) { a.ExpiresAt = a.IssuedAt.Add(-time.Hour) }, writ.EInvalid},
			{"empty window", func(a *writ.Authority) { a.WindowEnd = a.WindowStart }, writ.EInvalid},
			{"bad selector", func(a *writ.Authority) { a.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "555"}} }, writ.EInvalid},
			{"nothing named", func(a *writ.Authority) { a.Selectors = nil }, writ.EInvalid},
			{"pen register for location", func(a *writ.Authority) { a.Kind = writ.KindPenRegister }, writ.EInvalid},
			{"no requester", func(a *writ.Authority) { a.RequestedBy = 0 }, writ.EInvalid},
			{"unknown requester", func(a *writ.Authority) { a.RequestedBy = 999 }, writ.ENotFound},
			{"unknown case", func(a *writ.Authority) { a.CaseID = 999 }, writ.ENotFound},
		}
		for _, tt := range tests {
			a := f.authority()
			a.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "+15550000001"}}
			tt.change(a)
			wantKind(t, "CreateAuthority("+tt.name+")", db.CreateAuthority(ctx, a), tt.kind)
		}
		_, err := db.AuthorityByID(ctx, 999)
		wantErr(t, "AuthorityByID(999)", err, writ.ENotFound, "authority 999 not found")
	})
	t.Run("list", func(t *testing.T) {
		other := f.newCase(t, "Operation Ledger", f.lead)
		mk := func(caseID int64, ref string) *writ.Authority {
			a := f.authority()
			a.CaseID, a.Reference = caseID, ref
			if ref == "L-3" { // issued two days ago, expired an hour ago
				a.IssuedAt, a.ExpiresAt = a.IssuedAt.Add(-47*time.Hour), a.IssuedAt.Add(-2*time.Hour)
			}
			a.Selectors = []writ.Selector{{Kind: writ.SelPlate, Value: "ab 123"}}
			if err := db.CreateAuthority(ctx, a); err != nil {
				t.Fatalf("CreateAuthority(%s) = %v", ref, err)
			}
			return a
		}
		all, _ := db.ListAuthorities(ctx, writ.AuthorityFilter{})
		requested := mk(other.ID, "L-1")
		approved := mk(other.ID, "L-2")
		expired := mk(other.ID, "L-3")
		revoked := mk(f.c.ID, "L-4")
		mustApprove(t, f, approved.ID)
		mustApprove(t, f, expired.ID)
		if _, err := db.RevokeAuthority(ctx, revoked.ID, f.boss.ID, "superseded"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			f    writ.AuthorityFilter
			want []int64
		}{
			{writ.AuthorityFilter{CaseID: other.ID}, []int64{requested.ID, approved.ID, expired.ID}},
			{writ.AuthorityFilter{CaseID: other.ID, Status: writ.AuthRequested}, []int64{requested.ID}},
			{writ.AuthorityFilter{CaseID: other.ID, Status: writ.AuthApproved}, []int64{approved.ID, expired.ID}},
			{writ.AuthorityFilter{CaseID: other.ID, Status: writ.AuthExpired}, []int64{expired.ID}},
			{writ.AuthorityFilter{Status: writ.AuthRevoked}, []int64{revoked.ID}},
			{writ.AuthorityFilter{CaseID: other.ID, Status: writ.AuthRevoked}, nil},
			{writ.AuthorityFilter{}, append(authorityIDs(all), requested.ID, approved.ID, expired.ID, revoked.ID)},
			{writ.AuthorityFilter{CaseID: 999}, nil},
		}
		for _, tt := range tests {
			got, err := db.ListAuthorities(ctx, tt.f)
			if err != nil || !slices.Equal(authorityIDs(got), tt.want) {
				t.Errorf("ListAuthorities(%+v) = %v, %v, want %v", tt.f, authorityIDs(got), err, tt.want)
			}
		}
		_, err := db.ListAuthorities(ctx, writ.AuthorityFilter{Status: "pending"})
		wantKind(t, "ListAuthorities(status pending)", err, writ.EInvalid)
	})
}

func mustApprove(t *testing.T, f *fixture, id int64) *writ.Authority {
	t.Helper()
	a, err := f.db.ApproveAuthority(f.ctx, id, f.boss.ID)
	if err != nil {
		t.Fatalf("ApproveAuthority(%d) = %v", id, err)
	}
	return a
}

func (f *fixture) requested(t *testing.T) *writ.Authority {
	t.Helper()
	a := f.authority()
	a.Selectors = []writ.Selector{{Kind: writ.SelPhone, Value: "+15550000001"}}
	if err := f.db.CreateAuthority(f.ctx, a); err != nil {
		t.Fatalf("CreateAuthority() = %v", err)
	}
	return a
}

func testApproveAuthority(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	a := f.requested(t)
	t.Run("by requester refused", func(t *testing.T) {
		_, err := db.ApproveAuthority(ctx, a.ID, f.lead.ID)
		if writ.ErrorKind(err) != writ.EForbidden || writ.ErrorRule(err) != "second_person" {
			t.Errorf("ApproveAuthority(by requester) = %v, want forbidden by rule second_person", err)
		}
		if got, _ := db.AuthorityByID(ctx, a.ID); got == nil || got.Status != writ.AuthRequested || got.ApprovedBy != 0 {
			t.Errorf("after refused approval: %+v, want still requested", got)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := db.ApproveAuthority(ctx, 999, f.boss.ID)
		wantErr(t, "ApproveAuthority(999)", err, writ.ENotFound, "authority 999 not found")
		_, err = db.ApproveAuthority(ctx, a.ID, 999)
		wantErr(t, "ApproveAuthority(by user 999)", err, writ.ENotFound, "user 999 not found")
	})
	t.Run("by second person", func(t *testing.T) {
		before := writ.Now()
		got := mustApprove(t, f, a.ID)
		if got.Status != writ.AuthApproved || got.ApprovedBy != f.boss.ID || got.ApprovedAt == nil || got.ApprovedAt.Before(before) {
			t.Errorf("ApproveAuthority() = status %q, by %d, at %v; want approved, by %d, at >= %v",
				got.Status, got.ApprovedBy, got.ApprovedAt, f.boss.ID, before)
		}
		if stored, _ := db.AuthorityByID(ctx, a.ID); !reflect.DeepEqual(stored, got) {
			t.Errorf("AuthorityByID() after approval = %+v, want %+v", stored, got)
		}
	})
	t.Run("twice refused", func(t *testing.T) {
		third := f.user(t, "tia", writ.RoleSupervisor)
		_, err := db.ApproveAuthority(ctx, a.ID, third.ID)
		wantKind(t, "ApproveAuthority(approved)", err, writ.EConflict)
		if got, _ := db.AuthorityByID(ctx, a.ID); got == nil || got.ApprovedBy != f.boss.ID {
			t.Errorf("second approval changed the approver: %+v", got)
		}
	})
	t.Run("revoked refused", func(t *testing.T) {
		r := f.requested(t)
		if _, err := db.RevokeAuthority(ctx, r.ID, f.lead.ID, "withdrawn"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ApproveAuthority(ctx, r.ID, f.boss.ID)
		wantKind(t, "ApproveAuthority(revoked)", err, writ.EConflict)
	})
	t.Run("concurrent approvals", func(t *testing.T) {
		r := f.requested(t)
		approvers := []*writ.User{f.boss, f.user(t, "uma", writ.RoleSupervisor), f.user(t, "vic", writ.RoleSupervisor)}
		errs := make([]error, len(approvers))
		var wg sync.WaitGroup
		for i, u := range approvers {
			wg.Go(func() { _, errs[i] = db.ApproveAuthority(ctx, r.ID, u.ID) })
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch writ.ErrorKind(err) {
			case "":
				ok++
			case writ.EConflict:
			default:
				t.Errorf("ApproveAuthority(by %s) = %v, want success or conflict", approvers[i].Username, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent approvals succeeded, want exactly 1", ok, len(approvers))
		}
	})
	t.Run("database refuses self-approval", func(t *testing.T) {
		r := f.requested(t)
		_, err := db.Writer().Exec("UPDATE authorities SET status = 'approved', approved_by = requested_by, approved_at = 1 WHERE id = " + itoa(r.ID))
		if err == nil {
			t.Errorf("UPDATE setting approved_by = requested_by succeeded; the schema must refuse it")
		}
	})
}

func testRevokeAuthority(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	for _, approve := range []bool{false, true} {
		a := f.requested(t)
		from := writ.AuthRequested
		if approve {
			a = mustApprove(t, f, a.ID)
			from = writ.AuthApproved
		}
		before := writ.Now()
		got, err := db.RevokeAuthority(ctx, a.ID, f.boss.ID, "  court vacated the order ")
		if err != nil || got.Status != writ.AuthRevoked || got.RevokedBy != f.boss.ID || got.RevokedAt == nil ||
			got.RevokedAt.Before(before) || got.RevokeReason != "court vacated the order" || got.ApprovedBy != a.ApprovedBy {
			t.Errorf("RevokeAuthority(%s) = %+v, %v; want revoked by %d with the reason", from, got, err, f.boss.ID)
		}
		_, err = db.RevokeAuthority(ctx, a.ID, f.boss.ID, "again")
		wantKind(t, "RevokeAuthority(revoked)", err, writ.EConflict)
	}
	a := f.requested(t)
	_, err := db.RevokeAuthority(ctx, a.ID, f.boss.ID, " ")
	wantKind(t, "RevokeAuthority(no reason)", err, writ.EInvalid)
	_, err = db.RevokeAuthority(ctx, 999, f.boss.ID, "gone")
	wantErr(t, "RevokeAuthority(999)", err, writ.ENotFound, "authority 999 not found")

	// A revoked authority grants nothing: the gate reads the stored status.
	mustApprove(t, f, a.ID)
	req := scope.Request{UserID: f.lead.ID, CaseID: f.c.ID, AuthorityID: a.ID, Category: writ.CatComms,
		From: t0, To: t0.Add(time.Hour), Purpose: "conformance test of the store"}
	if _, err := f.gate.Authorize(ctx, req); err != nil {
		t.Fatalf("Authorize(approved) = %v", err)
	}
	if _, err := db.RevokeAuthority(ctx, a.ID, f.boss.ID, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	_, err = f.gate.Authorize(ctx, req)
	if writ.ErrorRule(err) != "authority_revoked" {
		t.Errorf("Authorize(revoked) = %v, want denied by authority_revoked", err)
	}
}

func testAgreements(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	mk := func(name string) *writ.Agreement {
		return &writ.Agreement{Name: name, Dataset: "dmv-registrations", Parties: []string{"State DMV", "County DA"},
			Purposes: []string{"fraud investigation", "identity verification"}, RetentionDays: 365,
			ExpiresAt: t0.AddDate(2, 0, 0), CreatedBy: f.lead.ID}
	}
	a, b := mk("DMV MOU 2025"), mk("DMV MOU 2026")
	for _, x := range []*writ.Agreement{a, b} {
		if err := db.CreateAgreement(ctx, x); err != nil || x.ID == 0 || x.CreatedAt.IsZero() {
			t.Fatalf("CreateAgreement(%s) = %v, id %d", x.Name, err, x.ID)
		}
	}
	if got, err := db.AgreementByID(ctx, a.ID); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("AgreementByID(%d) = %+v, %v, want %+v", a.ID, got, err, a)
	}
	if got, err := db.ListAgreements(ctx); err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], a) || !reflect.DeepEqual(got[1], b) {
		t.Errorf("ListAgreements() = %v, %v, want both, in order", got, err)
	}
	_, err := db.AgreementByID(ctx, 999)
	wantErr(t, "AgreementByID(999)", err, writ.ENotFound, "agreement 999 not found")
	tests := []struct {
		name   string
		change func(*writ.Agreement)
		kind   string
	}{
		{"one party", func(a *writ.Agreement) { a.Parties = a.Parties[:1] }, writ.EInvalid},
		{"no purpose", func(a *writ.Agreement) { a.Purposes = nil }, writ.EInvalid},
		{"no retention", func(a *writ.Agreement) { a.RetentionDays = 0 }, writ.EInvalid},
		{"unknown creator", func(a *writ.Agreement) { a.CreatedBy = 999 }, writ.ENotFound},
	}
	for _, tt := range tests {
		x := mk("bad")
		tt.change(x)
		wantKind(t, "CreateAgreement("+tt.name+")", db.CreateAgreement(ctx, x), tt.kind)
	}
}
