package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/writhq/writ"
	"github.com/writhq/writ/resolve"
)

// reach is the SQL condition (on records aliased rec) that a grant can see:
// records in its window that belong to one of its subjects in its case,
// either by their own subject_id or through an investigator's subject link.
type reach struct {
	cond string
	args []any
}

func reachable(g *writ.Grant) (reach, bool, error) {
	if err := g.Check(writ.CatRecords); err != nil {
		return reach{}, false, err
	}
	values, from, to, _, ok := g.Clip(writ.EventQuery{})
	var sel []any
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			sel = append(sel, id)
		}
	}
	if !ok || len(sel) == 0 {
		return reach{}, false, nil
	}
	in := "(" + placeholders(len(sel)) + ")"
	r := reach{cond: `rec.observed_at >= ? AND rec.observed_at < ? AND (
		(rec.subject_id IN ` + in + ` AND rec.subject_id IN (SELECT id FROM subjects WHERE case_id = ?))
		OR rec.id IN (SELECT record_id FROM subject_records WHERE subject_id IN ` + in + ` AND case_id = ?))`}
	r.args = append(r.args, ceilMicros(from), ceilMicros(to))
	r.args = append(append(r.args, sel...), g.CaseID())
	r.args = append(append(r.args, sel...), g.CaseID())
	return r, true, nil
}

// requireReachable refuses unless every record in ids is visible under g.
// Records that do not exist are refused the same way, so the answer says
// nothing about records outside the grant.
func (db *DB) requireReachable(ctx context.Context, q queryer, g *writ.Grant, ids []int64) error {
	r, ok, err := reachable(g)
	if err != nil {
		return err
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(ids)))
	n := 0
	if ok {
		err := q.QueryRowContext(ctx, db.q(`SELECT count(*) FROM records rec WHERE rec.id IN (`+placeholders(len(distinct))+`) AND `+r.cond),
			append(anys(distinct), r.args...)...).Scan(&n)
		if err != nil {
			return db.wrap(err)
		}
	}
	if n != len(distinct) {
		return writ.Deny("record_not_granted", "not every record named is readable under this grant")
	}
	return nil
}

// AppendDecision adds d to the ledger as g's user in g's case. A decision
// that directly contradicts an earlier one (confirming a rejected pair,
// rejecting a confirmed one) is a conflict; chains of decisions that
// contradict each other are resolved at the next run, in ledger order.
func (db *DB) AppendDecision(ctx context.Context, g *writ.Grant, d *writ.ResolutionDecision) error {
	if err := g.Check(writ.CatRecords); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	d.CaseID, d.DecidedBy, d.DecidedAt = g.CaseID(), g.UserID(), writ.Now()
	groups := d.Groups
	if d.Kind != writ.DecideSplit {
		groups = [][]int64{{d.A}, {d.B}}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.requireReachable(ctx, tx, g, d.Records()); err != nil {
			return err
		}
		if err := db.contradicts(ctx, tx, d.Kind, groups); err != nil {
			return err
		}
		var a, b sql.NullInt64
		split := ""
		if d.Kind == writ.DecideSplit {
			j, _ := json.Marshal(d.Groups)
			split = string(j)
		} else {
			a, b = sql.NullInt64{Int64: d.A, Valid: true}, sql.NullInt64{Int64: d.B, Valid: true}
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO resolution_decisions (kind, a, b, split_groups, reason, case_id,
			decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), d.Kind, a, b, split, d.Reason, d.CaseID,
			d.DecidedBy, micros(d.DecidedAt)).Scan(&d.ID); err != nil {
			return err
		}
		for gi, grp := range groups {
			for _, id := range grp {
				if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO resolution_decision_records (decision_id, record_id, grp) VALUES (?, ?, ?)`),
					d.ID, id, gi); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// contradicts finds an earlier decision that says the opposite about a
// pair of records the new one puts in different groups (or, for a
// confirmation, in the same entity).
func (db *DB) contradicts(ctx context.Context, tx *sql.Tx, kind writ.DecisionKind, groups [][]int64) error {
	opposite := `d.kind = 'confirm'`
	if kind == writ.DecideConfirm {
		opposite = `(d.kind = 'reject' OR (d.kind = 'split' AND x.grp <> y.grp))`
	}
	for gi, g := range groups {
		for _, h := range groups[gi+1:] {
			for _, a := range g {
				for _, b := range h {
					var id int64
					err := tx.QueryRowContext(ctx, db.q(`SELECT d.id FROM resolution_decision_records x
						JOIN resolution_decision_records y ON y.decision_id = x.decision_id
						JOIN resolution_decisions d ON d.id = x.decision_id
						WHERE x.record_id = ? AND y.record_id = ? AND `+opposite+` LIMIT 1`), a, b).Scan(&id)
					if err == nil {
						return writ.Errorf(writ.EConflict, "decision %d already ruled the opposite on records %d and %d", id, a, b)
					} else if err != sql.ErrNoRows {
						return err
					}
				}
			}
		}
	}
	return nil
}

// ledger returns every decision, oldest first, as resolver constraints.
func (db *DB) ledger(ctx context.Context) ([]resolve.Decision, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT kind, a, b, split_groups FROM resolution_decisions ORDER BY id`)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, func(s scanner) (resolve.Decision, error) {
		var d resolve.Decision
		var a, b sql.NullInt64
		var split string
		if err := s.Scan(&d.Kind, &a, &b, &split); err != nil {
			return d, err
		}
		if split == "" {
			d.A, d.B = strconv.FormatInt(a.Int64, 10), strconv.FormatInt(b.Int64, 10)
			return d, nil
		}
		var groups [][]int64
		if err := json.Unmarshal([]byte(split), &groups); err != nil {
			return d, fmt.Errorf("decision groups: %w", err)
		}
		for _, g := range groups {
			var ids []string
			for _, id := range g {
				ids = append(ids, strconv.FormatInt(id, 10))
			}
			d.Groups = append(d.Groups, ids)
		}
		return d, nil
	}, db.wrap)
}

// LinkEntity requests a link from the latest run's entity that holds
// record l.Entity to the subject l.SubjectID of g's case, which g must name.
// The entity's records are copied into the link (subject_link_records); the
// link reaches nothing until a second person approves it
// (ApproveSubjectLink). The records themselves are unchanged.
//
// The named record need not be reachable under g: linking is the step that
// makes records reachable. The investigator asserts that the entity is the
// subject and learns only the record ids of the entity, never their data;
// the approver confirms the assertion before any grant reaches them.
func (db *DB) LinkEntity(ctx context.Context, g *writ.Grant, l *writ.SubjectLink) error {
	if err := g.Check(writ.CatRecords); err != nil {
		return err
	}
	if !slices.Contains(g.SelectorValues(writ.SelSubject), strconv.FormatInt(l.SubjectID, 10)) {
		return writ.Deny("selector_not_granted", "the grant does not name subject %d", l.SubjectID)
	}
	if l.Reason == "" {
		return writ.Errorf(writ.EInvalid, "a link needs a reason")
	}
	l.CaseID, l.LinkedBy, l.LinkedAt, l.Status = g.CaseID(), g.UserID(), writ.Now(), writ.LinkRequested
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM subjects WHERE id = ? AND case_id = ?`), l.SubjectID, l.CaseID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return writ.Errorf(writ.ENotFound, "subject %d is not in case %d", l.SubjectID, l.CaseID)
		}
		run, err := db.latestRun(ctx, tx)
		if err != nil {
			return err
		}
		if l.Records, err = db.entityRecords(ctx, tx, run.ID, l.Entity); err != nil {
			return err
		}
		l.RunID, l.Entity = run.ID, l.Records[0]
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO subject_links (case_id, subject_id, run_id, entity, reason, linked_by, linked_at, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), l.CaseID, l.SubjectID, l.RunID, l.Entity, l.Reason, l.LinkedBy,
			micros(l.LinkedAt), l.Status).Scan(&l.ID); err != nil {
			return err
		}
		for _, id := range l.Records {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO subject_link_records (link_id, record_id) VALUES (?, ?)`), l.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// entityRecords lists, in id order, the records of run's entity holding
// record (just record when the run left it alone).
func (db *DB) entityRecords(ctx context.Context, tx *sql.Tx, run, record int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT record_id FROM resolution_members WHERE run_id = ? AND entity =
		(SELECT entity FROM resolution_members WHERE run_id = ? AND record_id = ?) ORDER BY record_id`), run, run, record)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, func(s scanner) (int64, error) { var id int64; return id, s.Scan(&id) }, db.wrap)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM records WHERE id = ?`), record).Scan(&n); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, writ.Errorf(writ.ENotFound, "record %d not found", record)
	}
	return []int64{record}, nil
}
