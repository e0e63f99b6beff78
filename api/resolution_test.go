package api

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/world"
)

// worldSpec resolves the synthetic world's persons across its five sources.
func worldSpec() writ.ResolutionSpec {
	return writ.ResolutionSpec{
		Datasets: []string{"vehicle_registry", "utility_accounts", "court_records", "data_broker", "employer_filings"},
		Entity:   writ.EntityPerson,
		Fields: map[string][]string{
			"given_name":  {"given_name", "owner_given_name"},
			"family_name": {"family_name", "owner_family_name"},
			"birth_date":  {"birth_date", "owner_birth_date"},
			"national_id": {"national_id", "owner_national_id"},
			"phone":       {"phone", "work_phone"},
			"address":     {"street_address+postcode", "street+house_number+postcode", "owner_street+owner_house_number+owner_postcode"},
		},
		Resolver: json.RawMessage(`{"comparisons": [
			{"field": "given_name", "kind": "name", "tf": true, "swap": "family_name"},
			{"field": "family_name", "kind": "name", "tf": true, "swap": "given_name"},
			{"field": "birth_date", "kind": "date"},
			{"field": "national_id", "kind": "code"},
			{"field": "address", "kind": "name"},
			{"field": "phone", "kind": "phone"}],
		"blocks": [{"name": "id", "on": ["national_id"]}, {"name": "dob", "on": ["birth_date"]},
			{"name": "names", "on": ["dm:given_name|family_name", "dm:family_name|given_name"]},
			{"name": "phone", "on": ["phone"]}],
		"seed": 3}`),
	}
}

// ingestWorld generates a small world and ingests its record sources
// through their real mappings; it returns each record's person by id.
func ingestWorld(t *testing.T, e *env) map[int64]string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := world.Generate(ctx, world.Config{Seed: 5, Persons: 150, Days: 1, Out: dir})
	if err != nil {
		t.Fatalf("world.Generate() = %v", err)
	}
	for _, f := range sum.Files {
		if f.Kind != "source" {
			continue
		}
		dataset, _, _ := strings.Cut(filepath.Base(f.Path), ".")
		m, err := ingest.LoadMapping(filepath.Join(dir, "mappings", dataset+".json"))
		if err != nil {
			t.Fatal(err)
		}
		ag, err := e.admin.CreateAgreement(ctx, NewAgreement{Name: dataset, Dataset: dataset, Parties: []string{"registry", "police"},
			Purposes: []string{"investigations"}, RetentionDays: 30, ExpiresAt: time.Now().Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.File(ctx, e.db, m, filepath.Join(dir, f.Path), ingest.Options{Basis: ingest.Basis{Kind: "agreement", ID: ag.ID}}); err != nil {
			t.Fatalf("ingest.File(%s) = %v", f.Path, err)
		}
	}
	tr, err := world.LoadTruth(dir)
	if err != nil {
		t.Fatal(err)
	}
	person := map[string]string{}
	for _, r := range tr.Records {
		person[r.Dataset+"/"+r.RecordID] = r.Person
	}
	out := map[int64]string{}
	rows, err := e.db.Reader().Query(`SELECT id, dataset, record_id FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ds, rid string
		if err := rows.Scan(&id, &ds, &rid); err != nil {
			t.Fatal(err)
		}
		out[id] = person[ds+"/"+rid]
	}
	return out
}

// recordRows renders the records table, to show that nothing changed it.
func recordRows(t *testing.T, e *env) string {
	t.Helper()
	rows, err := e.db.Reader().Query(`SELECT id, record_id, subject_id, observed_at, fields, protected, dataset, content_hash FROM records ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		v := make([]any, 8)
		p := make([]any, len(v))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, v...)
	}
	return b.String()
}

// pureEntity picks an entity of the latest run with at least three
// records, all of one person.
func pureEntity(t *testing.T, e *env, person map[int64]string) []int64 {
	t.Helper()
	rows, err := e.db.Reader().Query(`SELECT entity, record_id FROM resolution_members
		WHERE run_id = (SELECT max(id) FROM resolution_runs) ORDER BY entity, record_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	byEntity := map[int64][]int64{}
	for rows.Next() {
		var ent, id int64
		if err := rows.Scan(&ent, &id); err != nil {
			t.Fatal(err)
		}
		byEntity[ent] = append(byEntity[ent], id)
	}
	for _, ids := range byEntity {
		if len(ids) >= 3 && !slices.ContainsFunc(ids, func(id int64) bool { return person[id] != person[ids[0]] || person[id] == "" }) {
			return ids
		}
	}
	t.Fatalf("no entity of three or more records of one person among %d", len(byEntity))
	return nil
}

func TestResolutionWorld(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	person := ingestWorld(t, e)
	before := recordRows(t, e)

	// Running is an admin's action, audited either way.
	_, err := tm.invC.RunResolution(ctx, worldSpec())
	wantErr(t, "RunResolution(investigator)", err, writ.EForbidden, "")
	if got := e.lastEntry("resolve.run"); got.Decision != writ.DecisionDenied || got.ActorID != tm.inv.ID {
		t.Errorf("audit of a refused run = %+v, want denied for ivy", got)
	}
	run, err := e.admin.RunResolution(ctx, worldSpec())
	if err != nil {
		t.Fatalf("RunResolution() = %v", err)
	}
	var persons int
	if err := e.db.Reader().QueryRow(`SELECT count(*) FROM records WHERE entity = 'Person'`).Scan(&persons); err != nil {
		t.Fatal(err)
	}
	if run.Records != persons || run.Entities < 30 {
		t.Errorf("RunResolution() = %d records, %d entities, want %d records and at least 30 entities", run.Records, run.Entities, persons)
	}
	if got := e.lastEntry("resolve.run"); got.Decision != writ.DecisionDone || !strings.Contains(got.Reason, fmt.Sprintf("run %d ", run.ID)) {
		t.Errorf("audit of the run = %+v, want done naming run %d", got, run.ID)
	}
	ids := pureEntity(t, e, person)

	subj, err := tm.invC.CreateSubject(ctx, tm.caseID, "Target", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a := tm.authority(tm.supC, AuthorityRequest{Kind: writ.KindSearchWarrant, IssuingBody: "District Court", Reference: "SW-R1",
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour), Categories: []writ.Category{writ.CatRecords},
		Selectors:   []writ.Selector{{Kind: writ.SelSubject, Value: fmt.Sprint(subj.ID)}},
		WindowStart: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), WindowEnd: now.Add(time.Hour)}, true)
	q := ResolveQuery{AuthorityID: a.ID, Purpose: "who is the target"}

	// Before the entity is linked to the subject, its records are out of reach.
	_, err = tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	wantErr(t, "Entity(unlinked)", err, writ.EForbidden, "record_not_granted")
	if got := e.lastEntry("read.entity"); got.Results != 0 || !strings.Contains(got.Reason, "read failed") {
		t.Errorf("audit of a refused entity read = %+v, want a failed read with no results", got)
	}
	_, err = tm.outC.Entity(ctx, tm.caseID, ids[0], q)
	wantErr(t, "Entity(not on the roster)", err, writ.EForbidden, "")
	if got := e.lastEntry("read.entity"); got.Decision != writ.DecisionDenied || got.ActorID != tm.outsider.ID {
		t.Errorf("audit of an outsider's entity read = %+v, want denied", got)
	}

	// readRecords returns the ids the records read under q reaches.
	readRecords := func(what string) []int64 {
		t.Helper()
		p, err := tm.invC.Records(ctx, tm.caseID, ReadQuery{AuthorityID: a.ID, Purpose: q.Purpose})
		if err != nil {
			t.Fatalf("Records(%s) = %v", what, err)
		}
		var out []int64
		for _, r := range p.Rows {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}

	// An investigator's link is only a request: it reaches nothing.
	rl, err := tm.invC.LinkEntity(ctx, tm.caseID, subj.ID, LinkRequest{ResolveQuery: q, Record: ids[1], Reason: "looks alike"})
	if err != nil {
		t.Fatalf("LinkEntity() = %v", err)
	}
	if !slices.Equal(rl.Records, ids) || rl.RunID != run.ID || rl.Status != writ.LinkRequested {
		t.Errorf("LinkEntity() = %v in run %d (%s), want %v in run %d, requested", rl.Records, rl.RunID, rl.Status, ids, run.ID)
	}
	if got := e.lastEntry("resolve.link"); got.Decision != writ.DecisionDone || !strings.Contains(got.Reason, fmt.Sprintf("link %d requested", rl.ID)) ||
		!strings.Contains(got.Reason, fmt.Sprintf("subject %d", subj.ID)) {
		t.Errorf("audit of the link = %+v, want done naming the requested link and the subject", got)
	}
	_, err = tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	wantErr(t, "Entity(requested link)", err, writ.EForbidden, "record_not_granted")
	if got := readRecords("requested link"); len(got) != 0 {
		t.Errorf("Records(requested link) = %v, want none", got)
	}
	// Only supervisors approve or reject, audited either way.
	_, err = tm.invC.ApproveSubjectLink(ctx, tm.caseID, rl.ID)
	wantErr(t, "ApproveSubjectLink(investigator)", err, writ.EForbidden, "")
	if got := e.lastEntry("resolve.link.approve"); got.Decision != writ.DecisionDenied || got.ActorID != tm.inv.ID {
		t.Errorf("audit of an investigator's approval = %+v, want denied for ivy", got)
	}
	_, err = tm.sup2C.ApproveSubjectLink(ctx, tm.caseID+1000, rl.ID)
	wantErr(t, "ApproveSubjectLink(other case)", err, writ.ENotFound, "")
	_, err = tm.sup2C.RejectSubjectLink(ctx, tm.caseID, rl.ID, "")
	wantErr(t, "RejectSubjectLink(no reason)", err, writ.EInvalid, "")
	rej, err := tm.sup2C.RejectSubjectLink(ctx, tm.caseID, rl.ID, "the photographs differ")
	if err != nil || rej.Status != writ.LinkRejected || rej.RejectedBy != tm.sup2.ID {
		t.Fatalf("RejectSubjectLink() = %+v, %v, want rejected by sue", rej, err)
	}
	if got := e.lastEntry("resolve.link.reject"); got.Decision != writ.DecisionDone || got.ActorID != tm.sup2.ID ||
		!strings.Contains(got.Reason, "the photographs differ") || !strings.Contains(got.Reason, fmt.Sprintf("link %d:", rl.ID)) {
		t.Errorf("audit of the rejection = %+v, want done by sue naming the link and the reason", got)
	}
	_, err = tm.sup2C.ApproveSubjectLink(ctx, tm.caseID, rl.ID)
	wantErr(t, "ApproveSubjectLink(rejected)", err, writ.EConflict, "")
	_, err = tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	wantErr(t, "Entity(rejected link)", err, writ.EForbidden, "record_not_granted")
	if got := readRecords("rejected link"); len(got) != 0 {
		t.Errorf("Records(rejected link) = %v, want none", got)
	}

	// A supervisor who requests a link cannot approve it himself.
	l, err := tm.supC.LinkEntity(ctx, tm.caseID, subj.ID, LinkRequest{ResolveQuery: q, Record: ids[1], Reason: "same national id"})
	if err != nil {
		t.Fatalf("LinkEntity(sam) = %v", err)
	}
	_, err = tm.supC.ApproveSubjectLink(ctx, tm.caseID, l.ID)
	wantErr(t, "ApproveSubjectLink(self)", err, writ.EForbidden, "second_person")
	if got := e.lastEntry("resolve.link.approve"); got.Decision != writ.DecisionDenied || got.Rule != "second_person" ||
		got.ActorID != tm.sup.ID || got.CaseID != tm.caseID || !strings.Contains(got.Reason, fmt.Sprintf("link %d ", l.ID)) {
		t.Errorf("audit of the self-approval = %+v, want sam denied under second_person naming link %d", got, l.ID)
	}
	_, err = tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	wantErr(t, "Entity(self-approved link)", err, writ.EForbidden, "record_not_granted")

	// A second supervisor's approval makes the records readable.
	ok, err := tm.sup2C.ApproveSubjectLink(ctx, tm.caseID, l.ID)
	if err != nil || ok.Status != writ.LinkApproved || ok.ApprovedBy != tm.sup2.ID || ok.LinkedBy != tm.sup.ID {
		t.Fatalf("ApproveSubjectLink(sue) = %+v, %v, want approved by sue", ok, err)
	}
	if got := e.lastEntry("resolve.link.approve"); got.Decision != writ.DecisionDone || got.ActorID != tm.sup2.ID {
		t.Errorf("audit of the approval = %+v, want done by sue", got)
	}
	if got := readRecords("approved link"); !slices.Equal(got, ids) {
		t.Errorf("Records(approved link) = %v, want the entity's records %v", got, ids)
	}
	page, err := tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	if err != nil {
		t.Fatalf("Entity() = %v", err)
	}
	var got []int64
	for _, r := range page.Entity.Records {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, ids) || len(page.Entity.Links) == 0 {
		t.Errorf("Entity() = records %v with %d links, want %v with links", got, len(page.Entity.Links), ids)
	}
	if got := e.lastEntry("read.entity"); got.Decision != writ.DecisionGranted || got.Results != int64(len(ids)) {
		t.Errorf("audit of the entity read = %+v, want granted with %d results", got, len(ids))
	}
	x, err := tm.invC.ExplainPair(ctx, tm.caseID, page.Entity.Links[0].A, page.Entity.Links[0].B, q)
	if err != nil || !x.Explanation.SameEntity || !strings.Contains(string(x.Explanation.Waterfall), `"Terms"`) {
		t.Fatalf("ExplainPair() = %+v, %v, want a waterfall of a joined pair", x, err)
	}

	// Split the first record off; the re-run obeys it and records stay as they were.
	d, err := tm.invC.Decide(ctx, tm.caseID, DecisionRequest{ResolveQuery: q, Kind: writ.DecideSplit,
		Groups: [][]int64{ids[:1], ids[1:]}, Reason: "different photographs"})
	if err != nil {
		t.Fatalf("Decide(split) = %v", err)
	}
	if got := e.lastEntry("resolve.decision"); got.Decision != writ.DecisionDone || !strings.Contains(got.Reason, fmt.Sprintf("decision %d: split", d.ID)) {
		t.Errorf("audit of the decision = %+v, want done naming decision %d", got, d.ID)
	}
	_, err = tm.invC.Decide(ctx, tm.caseID, DecisionRequest{ResolveQuery: q, Kind: writ.DecideConfirm, A: ids[0], B: ids[1], Reason: "x"})
	wantErr(t, "Decide(confirm a split pair)", err, writ.EConflict, "")
	// A decision the gate refuses is in the log once: the gate's denial.
	n0 := len(e.entries())
	_, err = tm.outC.Decide(ctx, tm.caseID, DecisionRequest{ResolveQuery: q, Kind: writ.DecideReject, A: ids[0], B: ids[1], Reason: "x"})
	wantErr(t, "Decide(not on the roster)", err, writ.EForbidden, "roster_member")
	if after := e.entries(); len(after) != n0+1 || after[n0].Action != "resolve.decide" || after[n0].Rule != "roster_member" {
		t.Errorf("audit after a refused decision: %d new entries (%+v), want the gate's one denial", len(after)-n0, after[n0:])
	}
	if _, err := e.admin.RunResolution(ctx, worldSpec()); err != nil {
		t.Fatalf("RunResolution(again) = %v", err)
	}
	page, err = tm.invC.Entity(ctx, tm.caseID, ids[0], q)
	if err != nil {
		t.Fatalf("Entity(after split) = %v", err)
	}
	if len(page.Entity.Records) != 1 || len(page.Entity.Decisions) != 1 {
		t.Errorf("Entity(after split) = %d records, %d decisions, want the record alone with the split", len(page.Entity.Records), len(page.Entity.Decisions))
	}
	if after := recordRows(t, e); after != before {
		t.Error("records changed by resolution, links or decisions")
	}
}
