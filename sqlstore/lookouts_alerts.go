package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/writhq/writ"
)

const alertCols = `id, lookout_id, case_id, authority_id, kind, event_kind, event_key, event_at, selector,
	summary, detail, retro, suppressed, created_at`

func scanAlert(s scanner) (*writ.Alert, error) {
	var a writ.Alert
	var sel, detail string
	var at, created int64
	if err := s.Scan(&a.ID, &a.LookoutID, &a.CaseID, &a.AuthorityID, &a.Kind, &a.EventKind, &a.EventKey, &at,
		&sel, &a.Summary, &detail, &a.Retro, &a.Suppressed, &created); err != nil {
		return nil, err
	}
	if k, v, ok := strings.Cut(sel, ":"); ok {
		a.Selector = writ.Selector{Kind: writ.SelectorKind(k), Value: v}
	}
	if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
		return nil, fmt.Errorf("alert %d detail: %w", a.ID, err)
	}
	a.EventAt, a.CreatedAt = fromMicros(at), fromMicros(created)
	return &a, nil
}

// InsertAlerts stores alerts in one transaction, once per (lookout, event
// key), and sets the IDs of those it stored.
func (db *DB) InsertAlerts(ctx context.Context, as []*writ.Alert) error {
	if len(as) == 0 {
		return nil
	}
	now := writ.Now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, db.q(`INSERT INTO lookout_alerts (lookout_id, case_id, authority_id, kind,
			event_kind, event_key, event_at, selector, summary, detail, retro, suppressed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (lookout_id, event_key) DO NOTHING RETURNING id`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range as {
			a.ID, a.CreatedAt = 0, now
			sel := ""
			if a.Selector.Kind != "" {
				sel = a.Selector.String()
			}
			detail, err := json.Marshal(a.Detail)
			if err != nil {
				return err
			}
			err = stmt.QueryRowContext(ctx, a.LookoutID, a.CaseID, a.AuthorityID, string(a.Kind), string(a.EventKind),
				a.EventKey, micros(a.EventAt), sel, a.Summary, string(detail), a.Retro, a.Suppressed, micros(now)).Scan(&a.ID)
			if errors.Is(err, sql.ErrNoRows) {
				a.ID = 0 // fired before
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkAlertsAudited marks alerts whose audit entries are durable: only
// those are listed.
func (db *DB) MarkAlertsAudited(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	w, args := inList("id", ids)
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`UPDATE lookout_alerts SET audited = TRUE WHERE `+w), args...)
		return err
	})
}

// ListAlerts returns the audited alerts f selects, in id order.
func (db *DB) ListAlerts(ctx context.Context, f writ.AlertFilter) ([]*writ.Alert, error) {
	where, args := []string{"id > ?", "audited"}, []any{f.AfterID}
	if f.CaseIDs != nil {
		w, a := inList("case_id", f.CaseIDs)
		where, args = append(where, w), append(args, a...)
	}
	if f.LookoutID > 0 {
		where, args = append(where, "lookout_id = ?"), append(args, f.LookoutID)
	}
	limit := f.Limit
	if limit <= 0 || limit > writ.DefaultLimit {
		limit = writ.DefaultLimit
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+alertCols+` FROM lookout_alerts WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id LIMIT %d`, limit)), args...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanAlert, db.wrap)
}

// AlertByID returns the alert with id, or ENotFound.
func (db *DB) AlertByID(ctx context.Context, id int64) (*writ.Alert, error) {
	a, err := scanAlert(db.r.QueryRowContext(ctx, db.q(`SELECT `+alertCols+` FROM lookout_alerts WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "alert %d not found", id))
	}
	return a, nil
}

const deadLetterCols = `id, alert_id, lookout_id, case_id, url, attempts, last_error, created_at`

func scanDeadLetter(s scanner) (*writ.DeadLetter, error) {
	var d writ.DeadLetter
	var created int64
	if err := s.Scan(&d.ID, &d.AlertID, &d.LookoutID, &d.CaseID, &d.URL, &d.Attempts, &d.LastError, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

// InsertDeadLetter stores a webhook delivery that failed every retry.
func (db *DB) InsertDeadLetter(ctx context.Context, d *writ.DeadLetter) error {
	d.CreatedAt = writ.Now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO lookout_dead_letters (alert_id, lookout_id, case_id, url,
			attempts, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			d.AlertID, d.LookoutID, d.CaseID, d.URL, d.Attempts, d.LastError, micros(d.CreatedAt)).Scan(&d.ID)
	})
}

// ListDeadLetters returns the dead letters of the cases (nil: every case).
func (db *DB) ListDeadLetters(ctx context.Context, caseIDs []int64) ([]*writ.DeadLetter, error) {
	where, args := "1=1", []any(nil)
	if caseIDs != nil {
		where, args = inList("case_id", caseIDs)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+deadLetterCols+` FROM lookout_dead_letters WHERE `+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanDeadLetter, db.wrap)
}

// DeadLetterByID returns the dead letter with id, or ENotFound.
func (db *DB) DeadLetterByID(ctx context.Context, id int64) (*writ.DeadLetter, error) {
	d, err := scanDeadLetter(db.r.QueryRowContext(ctx, db.q(`SELECT `+deadLetterCols+` FROM lookout_dead_letters WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "dead letter %d not found", id))
	}
	return d, nil
}

// DeleteDeadLetter removes a dead letter (after a successful retry).
func (db *DB) DeleteDeadLetter(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`DELETE FROM lookout_dead_letters WHERE id = ?`), id)
		return err
	})
}
