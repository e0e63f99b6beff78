package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlstore"
)

// resolutionDatasets are three sources that each hold a record of the same
// people, with the typos and gaps sources have.
var resolutionDatasets = []string{"registry", "broker", "utility"}

var (
	givenNames  = []string{"anna", "bruno", "carla", "dirk", "elena", "farid", "greta", "hugo", "ines", "jonas"}
	familyNames = []string{"peeters", "janssens", "maes", "jacobs", "mertens", "willems", "claes", "goossens", "wouters", "dubois", "lambert", "dupont"}
)

// resolutionSpec compares names, birth date and postcode, blocking on the
// birth date and on the sound of the family name.
func resolutionSpec() writ.ResolutionSpec {
	return writ.ResolutionSpec{Datasets: resolutionDatasets, Entity: writ.EntityPerson,
		Fields: map[string][]string{"surname": {"family_name", "last_name"}},
		Resolver: json.RawMessage(`{"comparisons": [
			{"field": "given_name", "kind": "name", "tf": true},
			{"field": "surname", "kind": "name", "tf": true},
			{"field": "birth_date", "kind": "date"},
			{"field": "postcode", "kind": "code"}],
		"blocks": [{"name": "dob", "on": ["birth_date"]}, {"name": "name", "on": ["dm:surname"]}],
		"seed": 7}`)}
}

// insertPeople stores one record per person and dataset, with a typo in
// every fifth, and returns the record ids by person.
func insertPeople(t *testing.T, f *fixture, people int) [][]int64 {
	t.Helper()
	at := t0.Add(time.Hour)
	for di, ds := range resolutionDatasets {
		var rows []writ.Record
		for p := range people {
			given := givenNames[p%len(givenNames)]
			family := familyNames[(p*7+p/len(givenNames))%len(familyNames)]
			if (p+di)%5 == 0 {
				family = family[:len(family)-1] + "x"
			}
			fields := map[string]string{"given_name": given, "birth_date": fmt.Sprintf("19%02d-%02d-%02d", 50+p%40, 1+p%12, 1+p%28),
				"postcode": fmt.Sprint(1000 + p*37%900)}
			if di == 1 {
				fields["last_name"] = family // the broker names the field otherwise
			} else {
				fields["family_name"] = family
			}
			pr := prov(fmt.Sprintf("%s-%d", ds, p))
			pr.Dataset = ds
			rows = append(rows, writ.Record{Entity: writ.EntityPerson, RecordID: fmt.Sprint(p), ObservedAt: at, Fields: fields, Prov: pr})
		}
		if _, err := f.db.InsertRecords(f.ctx, rows); err != nil {
			t.Fatalf("InsertRecords(%s) = %v", ds, err)
		}
	}
	byPerson := make([][]int64, people)
	rows, err := f.db.Reader().Query(`SELECT id, record_id FROM records ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p int
		if err := rows.Scan(&id, &p); err != nil {
			t.Fatal(err)
		}
		byPerson[p] = append(byPerson[p], id)
	}
	return byPerson
}

// snapshot renders every records row, to show that nothing changed them.
func snapshot(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	rows, err := db.Reader().Query(`SELECT id, entity, record_id, subject_id, observed_at, fields, protected, dataset,
		source, src_offset, content_hash, batch, basis_kind, basis_id FROM records ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		v := make([]any, 14)
		p := make([]any, len(v))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%v\n", v)
	}
	return b.String()
}

// entityOf returns the latest run's entity of record (0: on its own).
func entityOf(t *testing.T, db *sqlstore.DB, record int64) int64 {
	t.Helper()
	var e int64
	err := db.Reader().QueryRow(`SELECT coalesce(max(entity), 0) FROM resolution_members
		WHERE run_id = (SELECT max(id) FROM resolution_runs) AND record_id = ` + itoa(record)).Scan(&e)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func together(t *testing.T, db *sqlstore.DB, a, b int64) bool {
	t.Helper()
	ea := entityOf(t, db, a)
	return ea != 0 && ea == entityOf(t, db, b)
}

func (f *fixture) runResolution(t *testing.T) *writ.ResolutionRun {
	t.Helper()
	run, err := f.db.RunResolution(f.ctx, resolutionSpec(), f.boss.ID, f.boss.Username)
	if err != nil {
		t.Fatalf("RunResolution() = %v", err)
	}
	return run
}

// recordsGrant returns a records grant naming subjects.
func (f *fixture) recordsGrant(t *testing.T, subjects ...*writ.Subject) *writ.Grant {
	t.Helper()
	a := f.authority()
	for _, s := range subjects {
		a.Selectors = append(a.Selectors, writ.Selector{Kind: writ.SelSubject, Value: itoa(s.ID)})
	}
	a = f.approved(t, a)
	return f.grant(t, scope.Request{AuthorityID: a.ID, Category: writ.CatRecords, From: t0, To: t0.Add(24 * time.Hour)})
}

// linkApproved requests l under g and has the supervisor approve it.
func (f *fixture) linkApproved(t *testing.T, g *writ.Grant, l *writ.SubjectLink) {
	t.Helper()
	if err := f.db.LinkEntity(f.ctx, g, l); err != nil {
		t.Fatalf("LinkEntity(%d) = %v", l.Entity, err)
	}
	if _, err := f.db.ApproveSubjectLink(f.ctx, l.ID, f.boss.ID); err != nil {
		t.Fatalf("ApproveSubjectLink(%d) = %v", l.ID, err)
	}
}

// readIDs returns the ids of the records g reads, in order (nil on error).
func (f *fixture) readIDs(t *testing.T, g *writ.Grant) []int64 {
	t.Helper()
	recs, err := f.db.Records(f.ctx, g, writ.EventQuery{})
	if err != nil {
		t.Errorf("Records() = %v", err)
		return nil
	}
	var ids []int64
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

func testResolutionDecisions(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	people := insertPeople(t, f, 40)
	before := snapshot(t, db)
	run := f.runResolution(t)
	if run.Records != 120 || run.Entities < 30 || run.Links == 0 {
		t.Fatalf("RunResolution() = %d records, %d entities, %d links; want 120 records, at least 30 entities", run.Records, run.Entities, run.Links)
	}
	// Find a person whose three records the run joined, and two people it kept apart.
	var whole []int64
	for _, ids := range people {
		if together(t, db, ids[0], ids[1]) && together(t, db, ids[0], ids[2]) {
			whole = ids
			break
		}
	}
	if whole == nil {
		t.Fatal("RunResolution() joined no person's three records")
	}
	other := people[0]
	if slices.Equal(other, whole) {
		other = people[1]
	}
	if together(t, db, whole[0], other[0]) {
		t.Fatalf("RunResolution() joined two people (records %d and %d)", whole[0], other[0])
	}
	s := f.subject(t, f.c, "Target")
	g := f.recordsGrant(t, s)
	for _, ids := range [][]int64{whole, other} {
		f.linkApproved(t, g, &writ.SubjectLink{SubjectID: s.ID, Entity: ids[0], Reason: "same person"})
	}
	decide := func(d writ.ResolutionDecision) {
		t.Helper()
		d.Reason = "checked the documents"
		if err := db.AppendDecision(ctx, g, &d); err != nil {
			t.Fatalf("AppendDecision(%+v) = %v", d, err)
		}
		if d.ID == 0 || d.DecidedBy != f.lead.ID || d.CaseID != f.c.ID {
			t.Errorf("AppendDecision() = %+v, want an id, the lead and the case", d)
		}
	}
	decide(writ.ResolutionDecision{Kind: writ.DecideSplit, Groups: [][]int64{{whole[0]}, {whole[1], whole[2]}}})
	decide(writ.ResolutionDecision{Kind: writ.DecideConfirm, A: whole[1], B: other[0]})
	decide(writ.ResolutionDecision{Kind: writ.DecideReject, A: whole[2], B: other[1]})

	// A direct contradiction is refused; the ledger keeps the first ruling.
	err := db.AppendDecision(ctx, g, &writ.ResolutionDecision{Kind: writ.DecideConfirm, A: whole[0], B: whole[2], Reason: "x"})
	wantKind(t, "AppendDecision(confirm a split pair)", err, writ.EConflict)
	err = db.AppendDecision(ctx, g, &writ.ResolutionDecision{Kind: writ.DecideReject, A: other[0], B: whole[1], Reason: "x"})
	wantKind(t, "AppendDecision(reject a confirmed pair)", err, writ.EConflict)

	for i := range 2 {
		run2 := f.runResolution(t)
		if run2.Decisions != 3 || run2.ID <= run.ID {
			t.Errorf("re-run %d = run %d with %d decisions, want a new run with 3", i, run2.ID, run2.Decisions)
		}
		if together(t, db, whole[0], whole[1]) || together(t, db, whole[0], whole[2]) {
			t.Errorf("re-run %d joined split records %d and %v", i, whole[0], whole[1:])
		}
		if !together(t, db, whole[1], other[0]) {
			t.Errorf("re-run %d kept confirmed records %d and %d apart", i, whole[1], other[0])
		}
		if together(t, db, whole[2], other[1]) {
			t.Errorf("re-run %d joined rejected records %d and %d", i, whole[2], other[1])
		}
		run = run2
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("records after runs, links and decisions =\n%s\nwant unchanged\n%s", after, before)
	}
}

func testResolutionGrants(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	people := insertPeople(t, f, 40)
	f.runResolution(t)
	var ids []int64
	for _, p := range people {
		if together(t, db, p[0], p[1]) && together(t, db, p[0], p[2]) {
			ids = p
			break
		}
	}
	if ids == nil {
		t.Fatal("RunResolution() joined no person's three records")
	}
	s1, s2 := f.subject(t, f.c, "Target"), f.subject(t, f.c, "Bystander")
	g1, g2 := f.recordsGrant(t, s1), f.recordsGrant(t, s2)

	// Unlinked records are outside every grant.
	_, err := db.ResolvedEntity(ctx, g1, ids[0])
	wantKind(t, "ResolvedEntity(unlinked)", err, writ.EForbidden)
	_, err = db.ExplainPair(ctx, g1, ids[0], ids[1])
	wantKind(t, "ExplainPair(unlinked)", err, writ.EForbidden)
	err = db.AppendDecision(ctx, g1, &writ.ResolutionDecision{Kind: writ.DecideReject, A: ids[0], B: ids[1], Reason: "x"})
	wantKind(t, "AppendDecision(unlinked)", err, writ.EForbidden)
	_, err = db.ResolvedEntity(ctx, nil, ids[0])
	wantKind(t, "ResolvedEntity(no grant)", err, writ.EForbidden)

	// A grant may only link to a subject it names.
	err = db.LinkEntity(ctx, g2, &writ.SubjectLink{SubjectID: s1.ID, Entity: ids[1], Reason: "x"})
	wantKind(t, "LinkEntity(subject not granted)", err, writ.EForbidden)
	l := &writ.SubjectLink{SubjectID: s1.ID, Entity: ids[1], Reason: "same national id"}
	if err := db.LinkEntity(ctx, g1, l); err != nil {
		t.Fatalf("LinkEntity() = %v", err)
	}
	if !slices.Equal(l.Records, ids) || l.Entity != ids[0] || l.Status != writ.LinkRequested || l.LinkedBy != f.lead.ID {
		t.Errorf("LinkEntity() = records %v entity %d status %q by %d, want %v entity %d requested by %d",
			l.Records, l.Entity, l.Status, l.LinkedBy, ids, ids[0], f.lead.ID)
	}

	// A requested link reaches nothing: not the entity view, not the records read.
	_, err = db.ResolvedEntity(ctx, g1, ids[0])
	wantKind(t, "ResolvedEntity(requested link)", err, writ.EForbidden)
	if got := f.readIDs(t, g1); len(got) != 0 {
		t.Errorf("Records(requested link) = %v, want none", got)
	}
	// The requester cannot approve it, in the store or in the database.
	_, err = db.ApproveSubjectLink(ctx, l.ID, f.lead.ID)
	if writ.ErrorKind(err) != writ.EForbidden || writ.ErrorRule(err) != "second_person" {
		t.Errorf("ApproveSubjectLink(by requester) = %v, want forbidden by rule second_person", err)
	}
	if _, err := db.Writer().Exec(`UPDATE subject_links SET status = 'approved', approved_by = linked_by, approved_at = 1 WHERE id = ` + itoa(l.ID)); err == nil {
		t.Error("UPDATE subject_links approved by the requester succeeded, want the CHECK to refuse it")
	}
	if got, err := db.SubjectLinkByID(ctx, l.ID); err != nil || got.Status != writ.LinkRequested || got.ApprovedBy != 0 || !slices.Equal(got.Records, ids) {
		t.Errorf("SubjectLinkByID() after refused approvals = %+v, %v, want still requested with records %v", got, err, ids)
	}
	_, err = db.ApproveSubjectLink(ctx, 1<<40, f.boss.ID)
	wantKind(t, "ApproveSubjectLink(no such link)", err, writ.ENotFound)

	// A rejected link reaches nothing and cannot be approved afterwards.
	rl := &writ.SubjectLink{SubjectID: s1.ID, Entity: ids[0], Reason: "looks alike"}
	if err := db.LinkEntity(ctx, g1, rl); err != nil {
		t.Fatalf("LinkEntity(second) = %v", err)
	}
	_, err = db.RejectSubjectLink(ctx, rl.ID, f.boss.ID, " ")
	wantKind(t, "RejectSubjectLink(no reason)", err, writ.EInvalid)
	if got, err := db.RejectSubjectLink(ctx, rl.ID, f.boss.ID, "no basis"); err != nil || got.Status != writ.LinkRejected ||
		got.RejectedBy != f.boss.ID || got.RejectReason != "no basis" || got.RejectedAt == nil {
		t.Errorf("RejectSubjectLink() = %+v, %v, want rejected by %d with the reason", got, err, f.boss.ID)
	}
	_, err = db.ApproveSubjectLink(ctx, rl.ID, f.boss.ID)
	wantKind(t, "ApproveSubjectLink(rejected)", err, writ.EConflict)
	if got := f.readIDs(t, g1); len(got) != 0 {
		t.Errorf("Records(rejected link) = %v, want none", got)
	}

	// A second person's approval makes the records reachable.
	al, err := db.ApproveSubjectLink(ctx, l.ID, f.boss.ID)
	if err != nil || al.Status != writ.LinkApproved || al.ApprovedBy != f.boss.ID || al.ApprovedAt == nil {
		t.Fatalf("ApproveSubjectLink() = %+v, %v, want approved by %d", al, err, f.boss.ID)
	}
	_, err = db.ApproveSubjectLink(ctx, l.ID, f.boss.ID)
	wantKind(t, "ApproveSubjectLink(again)", err, writ.EConflict)
	e, err := db.ResolvedEntity(ctx, g1, ids[2])
	if err != nil {
		t.Fatalf("ResolvedEntity() = %v", err)
	}
	var got []int64
	for _, r := range e.Records {
		got = append(got, r.ID)
		if r.SubjectID != 0 {
			t.Errorf("ResolvedEntity() record %d has subject %d, want 0 (the record is unchanged)", r.ID, r.SubjectID)
		}
	}
	if e.ID != ids[0] || !slices.Equal(got, ids) || len(e.Links) == 0 {
		t.Errorf("ResolvedEntity() = entity %d records %v with %d links, want entity %d records %v and links", e.ID, got, len(e.Links), ids[0], ids)
	}
	x, err := db.ExplainPair(ctx, g1, ids[1], ids[0])
	if err != nil || x.A != ids[0] || !x.SameEntity || x.Probability < 0.5 || len(x.Waterfall) == 0 {
		t.Errorf("ExplainPair() = %+v, %v, want the joined pair with its waterfall", x, err)
	}
	// Through the other subject the records stay out of reach.
	_, err = db.ResolvedEntity(ctx, g2, ids[0])
	wantKind(t, "ResolvedEntity(other subject)", err, writ.EForbidden)
	// Through the records read too, they are readable only via the link.
	recs, err := db.Records(ctx, g2, writ.EventQuery{})
	if err != nil || len(recs) != 0 {
		t.Errorf("Records(other subject) = %d rows, %v, want none", len(recs), err)
	}
	// Through the linked subject, the records read reaches the linked records,
	// unchanged (their subject_id is still as ingested).
	recs, err = db.Records(ctx, g1, writ.EventQuery{})
	var read []int64
	for _, r := range recs {
		read = append(read, r.ID)
	}
	slices.Sort(read)
	if err != nil || !slices.Equal(read, ids) {
		t.Errorf("Records(linked subject) = %v, %v; want the linked entity's records %v", read, err, ids)
	}

	// Revoking the approved link takes the records out of reach again.
	if got, err := db.RejectSubjectLink(ctx, l.ID, f.boss.ID, "wrong person after all"); err != nil || got.Status != writ.LinkRevoked {
		t.Fatalf("RejectSubjectLink(approved) = %+v, %v, want revoked", got, err)
	}
	if got := f.readIDs(t, g1); len(got) != 0 {
		t.Errorf("Records(revoked link) = %v, want none", got)
	}
	_, err = db.ResolvedEntity(ctx, g1, ids[0])
	wantKind(t, "ResolvedEntity(revoked link)", err, writ.EForbidden)
	_, err = db.RejectSubjectLink(ctx, l.ID, f.boss.ID, "again")
	wantKind(t, "RejectSubjectLink(revoked)", err, writ.EConflict)
}
