package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/writhq/writ"
	"github.com/writhq/writ/resolve"
)

// RunResolution reads the spec's records, resolves them under the whole
// decisions ledger and stores the run, its scored pairs (each with its
// waterfall) and its entities in one transaction. Records are only read.
func (db *DB) RunResolution(ctx context.Context, spec writ.ResolutionSpec, by int64, byName string) (*writ.ResolutionRun, error) {
	var rs resolve.Spec
	if err := json.Unmarshal(spec.Resolver, &rs); err != nil {
		return nil, writ.Errorf(writ.EInvalid, "resolver spec: %v", err)
	}
	if len(spec.Datasets) == 0 {
		return nil, writ.Errorf(writ.EInvalid, "name the datasets to resolve")
	}
	if spec.Entity != "" && !spec.Entity.Valid() {
		return nil, writ.Errorf(writ.EInvalid, "unknown entity kind %q", spec.Entity)
	}
	r, err := resolve.New(rs)
	if err != nil {
		return nil, err
	}
	run := &writ.ResolutionRun{Spec: spec, By: by, ByName: byName, StartedAt: writ.Now()}
	ledger, err := db.ledger(ctx)
	if err != nil {
		return nil, err
	}
	var readErr error
	if err := r.Run(db.resolveRecords(ctx, spec, &readErr)); err != nil {
		return nil, errors.Join(readErr, err)
	} else if readErr != nil {
		return nil, readErr
	}
	run.Decisions = len(ledger)
	if run.Skipped, err = decideAll(r, ledger); err != nil {
		return nil, err
	}
	links, members, err := runResults(r)
	if err != nil {
		return nil, err
	}
	st := r.Stats()
	run.Records, run.Links, run.Entities = st.Records, len(links), countEntities(members)
	if run.Model, err = json.Marshal(r.Model()); err != nil {
		return nil, err
	}
	if run.Stats, err = json.Marshal(st); err != nil {
		return nil, err
	}
	run.FinishedAt = writ.Now()
	return run, db.tx(ctx, func(tx *sql.Tx) error { return db.storeRun(ctx, tx, run, links, members) })
}

// decideAll feeds the ledger to r. When it contradicts itself through a
// chain of decisions, they are applied in ledger order and those that
// conflict with earlier ones are skipped and counted.
func decideAll(r *resolve.Resolver, ledger []resolve.Decision) (skipped int, err error) {
	if len(ledger) == 0 {
		return 0, nil
	}
	if err := r.Decide(ledger...); writ.ErrorKind(err) != writ.EConflict {
		return 0, err
	}
	for _, d := range ledger {
		if err := r.Decide(d); writ.ErrorKind(err) == writ.EConflict {
			skipped++
		} else if err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// storedLink is a scored pair with its waterfall, ready to insert.
type storedLink struct {
	writ.ResolutionLink
	waterfall []byte
}

// runResults turns r's kept pairs and entities into rows; an entity's id is
// its smallest record id.
func runResults(r *resolve.Resolver) ([]storedLink, map[int64]int64, error) {
	members := map[int64]int64{}
	for _, e := range r.Entities() {
		if len(e.Records) < 2 {
			continue
		}
		ids := make([]int64, len(e.Records))
		for i, s := range e.Records {
			ids[i], _ = strconv.ParseInt(s, 10, 64)
		}
		min := slices.Min(ids)
		for _, id := range ids {
			members[id] = min
		}
	}
	var links []storedLink
	for _, p := range r.Pairs() {
		a, _ := strconv.ParseInt(p.A, 10, 64)
		b, _ := strconv.ParseInt(p.B, 10, 64)
		if a > b {
			a, b = b, a
		}
		w, err := r.Explain(p.A, p.B)
		if err != nil {
			return nil, nil, err
		}
		wj, err := json.Marshal(w)
		if err != nil {
			return nil, nil, err
		}
		l := storedLink{ResolutionLink: writ.ResolutionLink{A: a, B: b, Probability: p.Probability, Log2Odds: p.Log2Odds}, waterfall: wj}
		if ea, ok := members[a]; ok && ea == members[b] {
			l.Entity = ea
		}
		links = append(links, l)
	}
	return links, members, nil
}

func countEntities(members map[int64]int64) int {
	n := 0
	for id, e := range members {
		if id == e {
			n++
		}
	}
	return n
}

func (db *DB) storeRun(ctx context.Context, tx *sql.Tx, run *writ.ResolutionRun, links []storedLink, members map[int64]int64) error {
	spec, err := json.Marshal(run.Spec)
	if err != nil {
		return err
	}
	var by sql.NullInt64
	if run.By > 0 {
		by = sql.NullInt64{Int64: run.By, Valid: true}
	}
	if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO resolution_runs (spec, model, stats, records, links, entities,
		decisions, skipped, by_user, by_name, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		string(spec), string(run.Model), string(run.Stats), run.Records, run.Links, run.Entities, run.Decisions,
		run.Skipped, by, run.ByName, micros(run.StartedAt), micros(run.FinishedAt)).Scan(&run.ID); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, db.q(`INSERT INTO resolution_links (run_id, a, b, probability, log2_odds, entity, waterfall)
		VALUES (?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, l := range links {
		if _, err := ins.ExecContext(ctx, run.ID, l.A, l.B, l.Probability, l.Log2Odds, l.Entity, string(l.waterfall)); err != nil {
			return err
		}
	}
	mem, err := tx.PrepareContext(ctx, db.q(`INSERT INTO resolution_members (run_id, record_id, entity) VALUES (?, ?, ?)`))
	if err != nil {
		return err
	}
	defer mem.Close()
	for id, e := range members {
		if _, err := mem.ExecContext(ctx, run.ID, id, e); err != nil {
			return err
		}
	}
	return nil
}

// resolveRecords streams the spec's records as resolver input, the record
// id in decimal as its id. A read error ends the stream and is put in *errp.
func (db *DB) resolveRecords(ctx context.Context, spec writ.ResolutionSpec, errp *error) iter.Seq[resolve.Record] {
	return func(yield func(resolve.Record) bool) {
		var c clause
		c.add("dataset IN ("+placeholders(len(spec.Datasets))+")", anys(spec.Datasets)...)
		if spec.Entity != "" {
			c.add("entity = ?", string(spec.Entity))
		}
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, dataset, fields FROM records`+c.where()+` ORDER BY id`), c.args...)
		if err != nil {
			*errp = db.wrap(err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var dataset, fields string
			if err := rows.Scan(&id, &dataset, &fields); err != nil {
				*errp = db.wrap(err)
				return
			}
			var f map[string]string
			if err := json.Unmarshal([]byte(fields), &f); err != nil {
				*errp = fmt.Errorf("record %d fields: %w", id, err)
				return
			}
			if !yield(resolve.Record{ID: strconv.FormatInt(id, 10), Dataset: dataset, Fields: compared(spec, f)}) {
				return
			}
		}
		*errp = db.wrap(rows.Err())
	}
}

// compared builds the fields the resolver compares from a record's fields
// (see writ.ResolutionSpec.Fields).
func compared(spec writ.ResolutionSpec, f map[string]string) map[string]string {
	if len(spec.Fields) == 0 {
		return f
	}
	out := make(map[string]string, len(f)+len(spec.Fields))
	for k, v := range f {
		out[k] = v
	}
	for name, alts := range spec.Fields {
		out[name] = ""
		for _, alt := range alts {
			var parts []string
			for _, src := range strings.Split(alt, "+") {
				if v := strings.TrimSpace(f[src]); v != "" {
					parts = append(parts, v)
				}
			}
			if len(parts) > 0 {
				out[name] = strings.Join(parts, " ")
				break
			}
		}
	}
	return out
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// LatestResolutionRun returns the newest run (no case data: counts, spec, model).
func (db *DB) LatestResolutionRun(ctx context.Context) (*writ.ResolutionRun, error) {
	return db.latestRun(ctx, db.r)
}

func (db *DB) latestRun(ctx context.Context, q queryer) (*writ.ResolutionRun, error) {
	var run writ.ResolutionRun
	var spec, model, stats string
	var by sql.NullInt64
	var started, finished int64
	err := q.QueryRowContext(ctx, db.q(`SELECT id, spec, model, stats, records, links, entities, decisions, skipped,
		by_user, by_name, started_at, finished_at FROM resolution_runs ORDER BY id DESC LIMIT 1`)).Scan(&run.ID, &spec,
		&model, &stats, &run.Records, &run.Links, &run.Entities, &run.Decisions, &run.Skipped, &by, &run.ByName, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, writ.Errorf(writ.ENotFound, "no resolution run yet")
	} else if err != nil {
		return nil, db.wrap(err)
	}
	if err := json.Unmarshal([]byte(spec), &run.Spec); err != nil {
		return nil, fmt.Errorf("run %d spec: %w", run.ID, err)
	}
	run.Model, run.Stats, run.By = json.RawMessage(model), json.RawMessage(stats), by.Int64
	run.StartedAt, run.FinishedAt = fromMicros(started), fromMicros(finished)
	return &run, nil
}
