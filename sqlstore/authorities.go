package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/writhq/writ"
)

const authorityCols = `id, case_id, kind, issuing_body, reference, issued_at, expires_at, categories, selectors,
	window_start, window_end, area, status, requested_by, approved_by, approved_at, revoked_by, revoked_at,
	revoke_reason, created_at`

func scanAuthority(s scanner) (*writ.Authority, error) {
	a, dest, finish := authorityDest()
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return a, finish()
}

// authorityDest returns scan destinations for authorityCols and a function
// that decodes them into the authority once scanned, so queries that select
// more than an authority (GateFacts) can share the decoding.
func authorityDest() (*writ.Authority, []any, func() error) {
	var a writ.Authority
	var issued, expires, wstart, wend, created int64
	var cats, sels, area string
	var approvedBy, approvedAt, revokedBy, revokedAt sql.NullInt64
	dest := []any{&a.ID, &a.CaseID, &a.Kind, &a.IssuingBody, &a.Reference, &issued, &expires, &cats, &sels,
		&wstart, &wend, &area, &a.Status, &a.RequestedBy, &approvedBy, &approvedAt, &revokedBy, &revokedAt,
		&a.RevokeReason, &created}
	finish := func() error {
		a.IssuedAt, a.ExpiresAt = fromMicros(issued), fromMicros(expires)
		a.WindowStart, a.WindowEnd, a.CreatedAt = fromMicros(wstart), fromMicros(wend), fromMicros(created)
		a.ApprovedBy, a.RevokedBy = approvedBy.Int64, revokedBy.Int64
		a.ApprovedAt, a.RevokedAt = optTime(approvedAt), optTime(revokedAt)
		if err := json.Unmarshal([]byte(cats), &a.Categories); err != nil {
			return fmt.Errorf("authority %d categories: %w", a.ID, err)
		}
		if err := json.Unmarshal([]byte(sels), &a.Selectors); err != nil {
			return fmt.Errorf("authority %d selectors: %w", a.ID, err)
		}
		if area != "" {
			if err := json.Unmarshal([]byte(area), &a.Area); err != nil {
				return fmt.Errorf("authority %d area: %w", a.ID, err)
			}
		}
		return nil
	}
	return &a, dest, finish
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// CreateAuthority validates a and stores it as requested, whatever status
// and approval fields it came with: approval happens only in ApproveAuthority.
func (db *DB) CreateAuthority(ctx context.Context, a *writ.Authority) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.RequestedBy <= 0 {
		return writ.Errorf(writ.EInvalid, "authority needs the user who requested it")
	}
	a.Status = writ.AuthRequested
	a.ApprovedBy, a.ApprovedAt, a.RevokedBy, a.RevokedAt, a.RevokeReason = 0, nil, 0, nil, ""
	a.CreatedAt = writ.Now()
	if a.Selectors == nil {
		a.Selectors = []writ.Selector{}
	}
	cats, err := json.Marshal(a.Categories)
	if err != nil {
		return err
	}
	sels, err := json.Marshal(a.Selectors)
	if err != nil {
		return err
	}
	area := ""
	if len(a.Area) > 0 {
		b, err := json.Marshal(a.Area)
		if err != nil {
			return err
		}
		area = string(b)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.caseExists(ctx, tx, a.CaseID); err != nil {
			return err
		}
		if err := db.userExists(ctx, tx, a.RequestedBy); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO authorities (case_id, kind, issuing_body, reference,
			issued_at, expires_at, categories, selectors, window_start, window_end, area, status, requested_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			a.CaseID, a.Kind, a.IssuingBody, a.Reference, micros(a.IssuedAt), micros(a.ExpiresAt),
			string(cats), string(sels), micros(a.WindowStart), micros(a.WindowEnd), area, a.Status,
			a.RequestedBy, micros(a.CreatedAt)).Scan(&a.ID)
	})
}

// AuthorityByID returns the authority with id, or ENotFound.
func (db *DB) AuthorityByID(ctx context.Context, id int64) (*writ.Authority, error) {
	a, err := db.authority(ctx, db.r, id)
	if err != nil {
		return nil, db.wrap(err)
	}
	return a, nil
}

func (db *DB) authority(ctx context.Context, q queryer, id int64) (*writ.Authority, error) {
	a, err := scanAuthority(q.QueryRowContext(ctx, db.q(`SELECT `+authorityCols+` FROM authorities WHERE id = ?`), id))
	return a, notFound(err, "authority %d not found", id)
}

// ListAuthorities returns the authorities f selects, in id order. Status
// "expired", which is never stored, selects approved authorities past expiry.
func (db *DB) ListAuthorities(ctx context.Context, f writ.AuthorityFilter) ([]*writ.Authority, error) {
	var w clause
	if f.CaseID != 0 {
		w.add("case_id = ?", f.CaseID)
	}
	switch f.Status {
	case "":
	case writ.AuthRequested, writ.AuthApproved, writ.AuthRevoked:
		w.add("status = ?", f.Status)
	case writ.AuthExpired:
		w.add("status = ? AND expires_at <= ?", writ.AuthApproved, micros(writ.Now()))
	default:
		return nil, writ.Errorf(writ.EInvalid, "unknown authority status %q (want requested, approved, revoked or expired)", f.Status)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+authorityCols+` FROM authorities`+w.where()+` ORDER BY id`), w.args...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanAuthority, db.wrap)
}

// ApproveAuthority moves an authority from requested to approved. The
// approver must be a second person; the UPDATE repeats both conditions so a
// concurrent approval or revocation cannot slip between the check and the write.
func (db *DB) ApproveAuthority(ctx context.Context, id, approver int64) (*writ.Authority, error) {
	var a *writ.Authority
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.authority(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case cur.RequestedBy == approver:
			return writ.Deny("second_person", "authority %d was requested by user %d; a second person must approve it", id, approver)
		case cur.Status != writ.AuthRequested:
			return writ.Errorf(writ.EConflict, "authority %d is %s; only a requested authority can be approved", id, cur.Status)
		}
		if err := db.userExists(ctx, tx, approver); err != nil {
			return err
		}
		a, err = scanAuthority(tx.QueryRowContext(ctx, db.q(`UPDATE authorities SET status = ?, approved_by = ?, approved_at = ?
			WHERE id = ? AND status = ? AND requested_by <> ? RETURNING `+authorityCols),
			writ.AuthApproved, approver, micros(writ.Now()), id, writ.AuthRequested, approver))
		if errors.Is(err, sql.ErrNoRows) {
			return writ.Errorf(writ.EConflict, "authority %d changed while being approved; reload it", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// RevokeAuthority moves a requested or approved authority to revoked. A
// reason is required: a revocation is an accountable act.
func (db *DB) RevokeAuthority(ctx context.Context, id, by int64, reason string) (*writ.Authority, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, writ.Errorf(writ.EInvalid, "give a reason for revoking authority %d", id)
	}
	var a *writ.Authority
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.authority(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status != writ.AuthRequested && cur.Status != writ.AuthApproved {
			return writ.Errorf(writ.EConflict, "authority %d is already %s", id, cur.Status)
		}
		if err := db.userExists(ctx, tx, by); err != nil {
			return err
		}
		a, err = scanAuthority(tx.QueryRowContext(ctx, db.q(`UPDATE authorities SET status = ?, revoked_by = ?, revoked_at = ?, revoke_reason = ?
			WHERE id = ? AND status IN (?, ?) RETURNING `+authorityCols),
			writ.AuthRevoked, by, micros(writ.Now()), reason, id, writ.AuthRequested, writ.AuthApproved))
		if errors.Is(err, sql.ErrNoRows) {
			return writ.Errorf(writ.EConflict, "authority %d changed while being revoked; reload it", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
