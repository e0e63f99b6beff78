package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/writhq/writ"
)

var _ writ.LookoutStore = (*DB)(nil)

// lookoutSpec is the part of a lookout kept as JSON: matched in memory,
// never queried.
type lookoutSpec struct {
	Selectors  []writ.Selector  `json:"selectors,omitempty"`
	Area       writ.Polygon     `json:"area,omitempty"`
	Circle     *writ.Circle     `json:"circle,omitempty"`
	Entity     writ.Entity      `json:"entity,omitempty"`
	Dataset    string           `json:"dataset,omitempty"`
	Conditions []writ.Condition `json:"conditions,omitempty"`
	Watch      []string         `json:"watch,omitempty"`
	Known      []writ.Condition `json:"known,omitempty"`
	Email      []string         `json:"email,omitempty"`
}

const lookoutCols = `id, case_id, authority_id, kind, name, purpose, category, spec, webhook_url,
	webhook_secret, rate_per_hour, status, created_by, created_at, updated_at`

func scanLookout(s scanner) (*writ.Lookout, error) {
	var l writ.Lookout
	var spec string
	var created, updated int64
	if err := s.Scan(&l.ID, &l.CaseID, &l.AuthorityID, &l.Kind, &l.Name, &l.Purpose, &l.Category, &spec,
		&l.WebhookURL, &l.WebhookSecret, &l.RatePerHour, &l.Status, &l.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	var sp lookoutSpec
	if err := json.Unmarshal([]byte(spec), &sp); err != nil {
		return nil, fmt.Errorf("lookout %d spec: %w", l.ID, err)
	}
	l.Selectors, l.Area, l.Circle, l.Entity, l.Dataset = sp.Selectors, sp.Area, sp.Circle, sp.Entity, sp.Dataset
	l.Conditions, l.Watch, l.Known, l.Email = sp.Conditions, sp.Watch, sp.Known, sp.Email
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &l, nil
}

func specOf(l *writ.Lookout) (string, error) {
	b, err := json.Marshal(lookoutSpec{Selectors: l.Selectors, Area: l.Area, Circle: l.Circle, Entity: l.Entity,
		Dataset: l.Dataset, Conditions: l.Conditions, Watch: l.Watch, Known: l.Known, Email: l.Email})
	return string(b), err
}

// CreateLookout validates and stores a lookout as active and sets its ID.
// The caller (package lookout) has checked it against the gate.
func (db *DB) CreateLookout(ctx context.Context, l *writ.Lookout) error {
	if err := l.Validate(); err != nil {
		return err
	}
	spec, err := specOf(l)
	if err != nil {
		return err
	}
	l.Status = writ.LookoutActive
	l.CreatedAt = writ.Now()
	l.UpdatedAt = l.CreatedAt
	return db.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO lookouts (case_id, authority_id, kind, name, purpose,
			category, spec, webhook_url, webhook_secret, rate_per_hour, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			l.CaseID, l.AuthorityID, string(l.Kind), l.Name, l.Purpose, string(l.Category), spec, l.WebhookURL,
			l.WebhookSecret, l.RatePerHour, string(l.Status), l.CreatedBy, micros(l.CreatedAt), micros(l.UpdatedAt)).Scan(&l.ID)
	})
}

// LookoutByID returns the lookout with id, or ENotFound.
func (db *DB) LookoutByID(ctx context.Context, id int64) (*writ.Lookout, error) {
	l, err := scanLookout(db.r.QueryRowContext(ctx, db.q(`SELECT `+lookoutCols+` FROM lookouts WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "lookout %d not found", id))
	}
	return l, nil
}

// ListLookouts returns the lookouts f selects, in id order.
func (db *DB) ListLookouts(ctx context.Context, f writ.LookoutFilter) ([]*writ.Lookout, error) {
	where, args := []string{"1=1"}, []any{}
	if f.CaseID > 0 {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	if f.CaseIDs != nil {
		w, a := inList("case_id", f.CaseIDs)
		where, args = append(where, w), append(args, a...)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+lookoutCols+` FROM lookouts WHERE `+strings.Join(where, " AND ")+` ORDER BY id`), args...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanLookout, db.wrap)
}

// inList returns "col IN (?, ...)" for ids; an empty list matches nothing.
func inList(col string, ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "1=0", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// SetLookoutStatus pauses, resumes or ends a lookout. An ended lookout
// stays ended (EConflict).
func (db *DB) SetLookoutStatus(ctx context.Context, id int64, s writ.LookoutStatus) (*writ.Lookout, error) {
	if s != writ.LookoutActive && s != writ.LookoutPaused && s != writ.LookoutEnded {
		return nil, writ.Errorf(writ.EInvalid, "unknown lookout status %q", s)
	}
	var l *writ.Lookout
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanLookout(tx.QueryRowContext(ctx, db.q(`SELECT `+lookoutCols+` FROM lookouts WHERE id = ?`), id))
		if err != nil {
			return notFound(err, "lookout %d not found", id)
		}
		if l.Status == writ.LookoutEnded && s != writ.LookoutEnded {
			return writ.Errorf(writ.EConflict, "lookout %d has ended; create a new one", id)
		}
		l.Status, l.UpdatedAt = s, writ.Now()
		_, err = tx.ExecContext(ctx, db.q(`UPDATE lookouts SET status = ?, updated_at = ? WHERE id = ?`),
			string(s), micros(l.UpdatedAt), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// AddKnown adds watched values to a subject_change lookout's known set.
func (db *DB) AddKnown(ctx context.Context, id int64, known []writ.Condition) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		l, err := scanLookout(tx.QueryRowContext(ctx, db.q(`SELECT `+lookoutCols+` FROM lookouts WHERE id = ?`), id))
		if err != nil {
			return notFound(err, "lookout %d not found", id)
		}
		for _, k := range known {
			if !containsCond(l.Known, k) {
				l.Known = append(l.Known, k)
			}
		}
		spec, err := specOf(l)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE lookouts SET spec = ? WHERE id = ?`), spec, id)
		return err
	})
}

func containsCond(cs []writ.Condition, c writ.Condition) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// ProtectedField reports whether any dataset's schema marks field protected.
func (db *DB) ProtectedField(ctx context.Context, field string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT count(*) FROM dataset_fields WHERE field = ? AND protected`), field).Scan(&n)
	return n > 0, db.wrap(err)
}
