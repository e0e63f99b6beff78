package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/writhq/writ"
)

// ResolvedEntity returns the latest run's entity holding record, clipped to
// g: only its records reachable through g's subjects, the links among them,
// and the decisions that name only them. The record itself must be reachable.
func (db *DB) ResolvedEntity(ctx context.Context, g *writ.Grant, record int64) (*writ.ResolvedEntity, error) {
	if err := db.requireReachable(ctx, db.r, g, []int64{record}); err != nil {
		return nil, err
	}
	r, _, err := reachable(g)
	if err != nil {
		return nil, err
	}
	run, err := db.latestRun(ctx, db.r)
	if err != nil {
		return nil, err
	}
	e := &writ.ResolvedEntity{RunID: run.ID, ID: record}
	err = db.r.QueryRowContext(ctx, db.q(`SELECT entity FROM resolution_members WHERE run_id = ? AND record_id = ?`), run.ID, record).Scan(&e.ID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, db.wrap(err)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+recordsTable.cols+` FROM records rec WHERE (rec.id = ? OR rec.id IN
		(SELECT record_id FROM resolution_members WHERE run_id = ? AND entity = ?)) AND `+r.cond+` ORDER BY rec.id`),
		append([]any{record, run.ID, e.ID}, r.args...)...)
	if err != nil {
		return nil, db.wrap(err)
	}
	if e.Records, err = collect(rows, scanRecord, db.wrap); err != nil {
		return nil, err
	}
	shown := map[int64]bool{}
	for _, rec := range e.Records {
		shown[rec.ID] = true
	}
	rows, err = db.r.QueryContext(ctx, db.q(`SELECT a, b, probability, log2_odds, entity FROM resolution_links
		WHERE run_id = ? AND entity = ? ORDER BY a, b`), run.ID, e.ID)
	if err != nil {
		return nil, db.wrap(err)
	}
	links, err := collect(rows, func(s scanner) (writ.ResolutionLink, error) {
		l := writ.ResolutionLink{RunID: run.ID}
		return l, s.Scan(&l.A, &l.B, &l.Probability, &l.Log2Odds, &l.Entity)
	}, db.wrap)
	if err != nil {
		return nil, err
	}
	e.Links = slices.DeleteFunc(links, func(l writ.ResolutionLink) bool { return !shown[l.A] || !shown[l.B] })
	if e.Decisions, err = db.decisionsOn(ctx, r, shown); err != nil {
		return nil, err
	}
	return e, nil
}

// decisionsOn returns the decisions on records in shown that name only
// records reachable under r.
func (db *DB) decisionsOn(ctx context.Context, r reach, shown map[int64]bool) ([]writ.ResolutionDecision, error) {
	ids := make([]int64, 0, len(shown))
	for id := range shown {
		ids = append(ids, id)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, kind, a, b, split_groups, reason, case_id, decided_by, decided_at
		FROM resolution_decisions WHERE id IN (SELECT decision_id FROM resolution_decision_records WHERE record_id IN (`+
		placeholders(len(ids))+`)) ORDER BY id`), anys(ids)...)
	if err != nil {
		return nil, db.wrap(err)
	}
	all, err := collect(rows, func(s scanner) (writ.ResolutionDecision, error) {
		var d writ.ResolutionDecision
		var a, b sql.NullInt64
		var split string
		var at int64
		if err := s.Scan(&d.ID, &d.Kind, &a, &b, &split, &d.Reason, &d.CaseID, &d.DecidedBy, &at); err != nil {
			return d, err
		}
		d.A, d.B, d.DecidedAt = a.Int64, b.Int64, fromMicros(at)
		if split != "" {
			if err := json.Unmarshal([]byte(split), &d.Groups); err != nil {
				return d, fmt.Errorf("decision %d groups: %w", d.ID, err)
			}
		}
		return d, nil
	}, db.wrap)
	if err != nil {
		return nil, err
	}
	named := map[int64]bool{}
	for _, d := range all {
		for _, id := range d.Records() {
			named[id] = true
		}
	}
	visible := map[int64]bool{}
	if len(named) > 0 {
		ids = ids[:0]
		for id := range named {
			ids = append(ids, id)
		}
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT rec.id FROM records rec WHERE rec.id IN (`+placeholders(len(ids))+`) AND `+r.cond),
			append(anys(ids), r.args...)...)
		if err != nil {
			return nil, db.wrap(err)
		}
		vis, err := collect(rows, func(s scanner) (int64, error) { var id int64; return id, s.Scan(&id) }, db.wrap)
		if err != nil {
			return nil, err
		}
		for _, id := range vis {
			visible[id] = true
		}
	}
	return slices.DeleteFunc(all, func(d writ.ResolutionDecision) bool {
		return slices.ContainsFunc(d.Records(), func(id int64) bool { return !visible[id] })
	}), nil
}

// ExplainPair returns the latest run's waterfall for records a and b, both
// of which must be reachable under g.
func (db *DB) ExplainPair(ctx context.Context, g *writ.Grant, a, b int64) (*writ.PairExplanation, error) {
	if a == b || a <= 0 || b <= 0 {
		return nil, writ.Errorf(writ.EInvalid, "explain two different records")
	}
	if err := db.requireReachable(ctx, db.r, g, []int64{a, b}); err != nil {
		return nil, err
	}
	if a > b {
		a, b = b, a
	}
	run, err := db.latestRun(ctx, db.r)
	if err != nil {
		return nil, err
	}
	x := &writ.PairExplanation{ResolutionLink: writ.ResolutionLink{RunID: run.ID, A: a, B: b}}
	var w string
	err = db.r.QueryRowContext(ctx, db.q(`SELECT probability, log2_odds, entity, waterfall FROM resolution_links
		WHERE run_id = ? AND a = ? AND b = ?`), run.ID, a, b).Scan(&x.Probability, &x.Log2Odds, &x.Entity, &w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, writ.Errorf(writ.ENotFound, "run %d did not score records %d and %d as a likely pair", run.ID, a, b)
	} else if err != nil {
		return nil, db.wrap(err)
	}
	x.SameEntity, x.Waterfall = x.Entity != 0, json.RawMessage(w)
	return x, nil
}

func scanRecord(s scanner) (writ.Record, error) {
	var r writ.Record
	var at int64
	var entity, fields, protected string
	var subject sql.NullInt64
	if err := s.Scan(append([]any{&r.ID, &entity, &r.RecordID, &subject, &at, &fields, &protected}, provDest(&r.Prov)...)...); err != nil {
		return r, err
	}
	r.Entity, r.SubjectID, r.ObservedAt = writ.Entity(entity), subject.Int64, fromMicros(at)
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return r, fmt.Errorf("record %d fields: %w", r.ID, err)
	}
	if protected != "{}" {
		if err := json.Unmarshal([]byte(protected), &r.Protected); err != nil {
			return r, fmt.Errorf("record %d protected fields: %w", r.ID, err)
		}
	}
	return r, nil
}
