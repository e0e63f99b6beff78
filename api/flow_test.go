package api

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/postgres"
)

func TestFlowSQLite(t *testing.T) { testFlow(t, newSQLiteEnv(t)) }

func TestFlowPostgres(t *testing.T) { testFlow(t, newEnv(t, postgres.OpenTest(t))) }

// testFlow is the happy path: an admin creates users, an investigator opens
// a case and requests an authority, a supervisor approves it, the
// investigator reads exactly the rows inside it, and an auditor finds every
// step in the log and verifies it.
func testFlow(t *testing.T, e *env) {
	ctx := context.Background()
	if err := e.client().Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	tm := e.team()
	aud, audC := e.user("audrey", writ.RoleAuditor)

	req := penRegister("PR-2024-117")
	a := tm.authority(tm.invC, req, false)
	if a.Status != writ.AuthRequested || a.RequestedBy != tm.inv.ID || a.CaseID != tm.caseID {
		t.Fatalf("RequestAuthority = %+v, want requested by %d on case %d", a, tm.inv.ID, tm.caseID)
	}
	_, err := tm.invC.Contacts(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: purpose})
	wantErr(t, "read before approval", err, writ.EForbidden, "authority_approved")

	// sue is a supervisor but not on the roster: she may approve, not read.
	if got, err := tm.sup2C.Authority(ctx, a.ID); err != nil || got.ID != a.ID {
		t.Fatalf("supervisor gets the authority = %v, %v", got, err)
	}
	a, err = tm.sup2C.ApproveAuthority(ctx, a.ID)
	if err != nil || a.Status != writ.AuthApproved || a.ApprovedBy != tm.sup2.ID {
		t.Fatalf("ApproveAuthority = %+v, %v, want approved by %d", a, err, tm.sup2.ID)
	}
	_, err = tm.sup2C.Contacts(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: purpose})
	wantErr(t, "approver who is not on the roster reads", err, writ.EForbidden, "roster_member")

	inside := tm.insertContacts(a.ID)
	from, to := day(0), day(30)
	page, err := tm.invC.Contacts(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: purpose, From: from, To: to})
	if err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	if got, want := contactKeys(page.Rows), contactKeys(inside); !slices.Equal(got, want) {
		t.Errorf("Contacts rows =\n%s\nwant exactly the rows inside the authority:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range page.Rows {
		if r.Prov.BasisID != a.ID || r.Prov.ContentHash == "" {
			t.Errorf("row %d provenance = %+v, want basis authority %d", r.ID, r.Prov, a.ID)
		}
	}
	g := page.Grant
	if g.AuthorityID != a.ID || g.AuthorityKind != writ.KindPenRegister || g.Category != writ.CatComms ||
		!g.From.Equal(from) || !g.To.Equal(to) || g.Purpose != purpose || len(g.Selectors) != 2 {
		t.Errorf("grant = %+v, want pen register %d, comms, %v-%v, both phones, the purpose", g, a.ID, from, to)
	}

	// The lead revokes; reads stop.
	if _, err := tm.invC.RevokeAuthority(ctx, a.ID, ""); writ.ErrorKind(err) != writ.EInvalid {
		t.Errorf("RevokeAuthority without a reason error = %v, want invalid", err)
	}
	if _, err := tm.invC.RevokeAuthority(ctx, a.ID, "target arrested; order no longer needed"); err != nil {
		t.Fatalf("RevokeAuthority: %v", err)
	}
	_, err = tm.invC.Contacts(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: purpose})
	wantErr(t, "read after revocation", err, writ.EForbidden, "authority_revoked")

	// The auditor finds every step, for this case, in order.
	entries, err := audC.AuditEntries(ctx, writ.AuditFilter{CaseID: tm.caseID, Limit: 1000})
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	var steps []string
	for _, en := range entries {
		steps = append(steps, en.Action+" "+en.Decision)
	}
	want := []string{"case.create done", "roster.add done", "authority.request done", "read.contacts denied",
		"authority.approve done", "read.contacts denied", "read.contacts granted", "authority.revoke done", "read.contacts denied"}
	if !slices.Equal(steps, want) {
		t.Errorf("audit steps for case %d =\n%s\nwant\n%s", tm.caseID, strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	for _, en := range entries {
		if en.Action == "read.contacts" && en.Decision == writ.DecisionGranted && (en.Results != int64(len(inside)) || en.Purpose != purpose) {
			t.Errorf("granted read entry = %+v, want %d results and the purpose", en, len(inside))
		}
	}

	// Checkpoint, proof and export verify with the public key alone.
	key, err := audC.AuditKey(ctx)
	if err != nil {
		t.Fatalf("AuditKey: %v", err)
	}
	note, err := audC.AuditCheckpoint(ctx)
	if err != nil || note == "" {
		t.Fatalf("AuditCheckpoint = %q, %v", note, err)
	}
	last := entries[len(entries)-1]
	proof, err := audC.AuditProof(ctx, last.Index)
	if err != nil {
		t.Fatalf("AuditProof(%d): %v", last.Index, err)
	}
	if err := audit.CheckProof(key, proof.Checkpoint, proof.Entry, proof); err != nil {
		t.Errorf("CheckProof(entry %d): %v", last.Index, err)
	}
	_, err = audC.AuditProof(ctx, 1<<40)
	wantErr(t, "proof past the end", err, writ.ENotFound, "")
	var export bytes.Buffer
	if err := audC.AuditExport(ctx, &export); err != nil {
		t.Fatalf("AuditExport: %v", err)
	}
	if !strings.Contains(export.String(), `"type":"end"`) {
		t.Errorf("export of %d bytes has no end line", export.Len())
	}
	if got := e.lastEntry("audit.export"); got.ActorID != aud.ID || got.Decision != writ.DecisionDone {
		t.Errorf("audit entry = %+v, want the export by %d recorded", got, aud.ID)
	}

	// Agreements: supervisors record them, anyone signed in lists them.
	ag, err := tm.supC.CreateAgreement(ctx, NewAgreement{Name: "DMV sharing", Dataset: "dmv-2024",
		Parties: []string{"State DMV", "Fraud Unit"}, Purposes: []string{"fraud investigation"},
		RetentionDays: 365, ExpiresAt: time.Now().AddDate(1, 0, 0)})
	if err != nil {
		t.Fatalf("CreateAgreement: %v", err)
	}
	if list, err := tm.invC.Agreements(ctx); err != nil || len(list) != 1 || list[0].ID != ag.ID {
		t.Errorf("Agreements = %v, %v, want [%d]", list, err, ag.ID)
	}
	if got, err := tm.outC.Agreement(ctx, ag.ID); err != nil || got.Dataset != "dmv-2024" {
		t.Errorf("Agreement(%d) = %v, %v", ag.ID, got, err)
	}
}

// contactKeys identifies contacts by content, sorted, for comparison.
func contactKeys(rows []writ.Contact) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Caller + ">" + r.Callee + "@" + r.StartedAt.UTC().Format(time.RFC3339) + "/" + r.Type
	}
	slices.Sort(out)
	return out
}
