package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/writhq/writ"
)

// The second-person rule for subject links. A link is requested by one
// investigator and reaches nothing until a supervisor who did not request
// it approves it: approval copies the link's records into subject_records,
// which is all the records read and the entity view follow. Rejecting a
// requested link or revoking an approved one leaves the link and its
// records in subject_link_records for the record, and takes its rows out of
// subject_records.

const subjectLinkCols = `id, case_id, subject_id, run_id, entity, reason, linked_by, linked_at, status,
	approved_by, approved_at, rejected_by, rejected_at, reject_reason`

func (db *DB) subjectLink(ctx context.Context, q interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, id int64) (*writ.SubjectLink, error) {
	var l writ.SubjectLink
	var linkedAt int64
	var approvedBy, approvedAt, rejectedBy, rejectedAt sql.NullInt64
	err := q.QueryRowContext(ctx, db.q(`SELECT `+subjectLinkCols+` FROM subject_links WHERE id = ?`), id).Scan(
		&l.ID, &l.CaseID, &l.SubjectID, &l.RunID, &l.Entity, &l.Reason, &l.LinkedBy, &linkedAt, &l.Status,
		&approvedBy, &approvedAt, &rejectedBy, &rejectedAt, &l.RejectReason)
	if err != nil {
		return nil, notFound(err, "subject link %d not found", id)
	}
	l.LinkedAt = fromMicros(linkedAt)
	l.ApprovedBy, l.RejectedBy = approvedBy.Int64, rejectedBy.Int64
	l.ApprovedAt, l.RejectedAt = optTime(approvedAt), optTime(rejectedAt)
	rows, err := q.QueryContext(ctx, db.q(`SELECT record_id FROM subject_link_records WHERE link_id = ? ORDER BY record_id`), id)
	if err != nil {
		return nil, err
	}
	l.Records, err = collect(rows, func(s scanner) (int64, error) { var id int64; return id, s.Scan(&id) }, db.wrap)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// SubjectLinkByID returns a subject link with its records (ids only).
func (db *DB) SubjectLinkByID(ctx context.Context, id int64) (*writ.SubjectLink, error) {
	return db.subjectLink(ctx, db.r, id)
}

// ApproveSubjectLink moves a requested link to approved and makes its
// records reachable under grants naming its subject. The approver must not
// be the requester; the UPDATE repeats the conditions so a concurrent
// approval or rejection cannot slip between the check and the write, and
// the database's CHECK refuses self-approval as well.
func (db *DB) ApproveSubjectLink(ctx context.Context, id, approver int64) (*writ.SubjectLink, error) {
	var l *writ.SubjectLink
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.subjectLink(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case cur.LinkedBy == approver:
			return writ.Deny("second_person", "subject link %d was requested by user %d; a second person must approve it", id, approver)
		case cur.Status != writ.LinkRequested:
			return writ.Errorf(writ.EConflict, "subject link %d is %s; only a requested link can be approved", id, cur.Status)
		}
		if err := db.userExists(ctx, tx, approver); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE subject_links SET status = ?, approved_by = ?, approved_at = ?
			WHERE id = ? AND status = ? AND linked_by <> ?`), writ.LinkApproved, approver, micros(writ.Now()), id, writ.LinkRequested, approver)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return writ.Errorf(writ.EConflict, "subject link %d changed while being approved; reload it", id)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO subject_records (link_id, case_id, subject_id, record_id)
			SELECT link_id, ?, ?, record_id FROM subject_link_records WHERE link_id = ?`), cur.CaseID, cur.SubjectID, id); err != nil {
			return err
		}
		l, err = db.subjectLink(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// RejectSubjectLink rejects a requested link or revokes an approved one,
// with a reason, and takes its records out of subject_records.
func (db *DB) RejectSubjectLink(ctx context.Context, id, by int64, reason string) (*writ.SubjectLink, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, writ.Errorf(writ.EInvalid, "give a reason for rejecting subject link %d", id)
	}
	var l *writ.SubjectLink
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.subjectLink(ctx, tx, id)
		if err != nil {
			return err
		}
		next := writ.LinkRejected
		switch cur.Status {
		case writ.LinkRequested:
		case writ.LinkApproved:
			next = writ.LinkRevoked
		default:
			return writ.Errorf(writ.EConflict, "subject link %d is already %s", id, cur.Status)
		}
		if err := db.userExists(ctx, tx, by); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE subject_links SET status = ?, rejected_by = ?, rejected_at = ?, reject_reason = ?
			WHERE id = ? AND status = ?`), next, by, micros(writ.Now()), reason, id, cur.Status)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return writ.Errorf(writ.EConflict, "subject link %d changed while being rejected; reload it", id)
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM subject_records WHERE link_id = ?`), id); err != nil {
			return err
		}
		l, err = db.subjectLink(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}
