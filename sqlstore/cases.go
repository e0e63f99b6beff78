package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/writhq/writ"
)

const caseCols = `id, title, description, status, created_by, created_at, updated_at`

func scanCase(s scanner) (*writ.Case, error) {
	var c writ.Case
	var created, updated int64
	if err := s.Scan(&c.ID, &c.Title, &c.Description, &c.Status, &c.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CreateCase stores c and puts lead on its roster as lead, in one
// transaction: a case never exists without someone responsible for it.
func (db *DB) CreateCase(ctx context.Context, c *writ.Case, lead int64) error {
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" || len(c.Title) > 200 {
		return writ.Errorf(writ.EInvalid, "case title must be 1-200 characters")
	}
	if c.Status == "" {
		c.Status = writ.CaseOpen
	}
	if !c.Status.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown case status %q (want open, closed or sealed)", c.Status)
	}
	if c.CreatedBy == 0 {
		c.CreatedBy = lead
	}
	now := writ.Now()
	c.CreatedAt, c.UpdatedAt = now, now
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range []int64{lead, c.CreatedBy} {
			if err := db.userExists(ctx, tx, id); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO cases (title, description, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			c.Title, c.Description, c.Status, c.CreatedBy, micros(now), micros(now)).Scan(&c.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO case_roster (case_id, user_id, role, added_by, added_at)
			VALUES (?, ?, ?, ?, ?)`), c.ID, lead, writ.RosterLead, c.CreatedBy, micros(now))
		return err
	})
}

// CaseByID returns the case with id, or ENotFound.
func (db *DB) CaseByID(ctx context.Context, id int64) (*writ.Case, error) {
	c, err := scanCase(db.r.QueryRowContext(ctx, db.q(`SELECT `+caseCols+` FROM cases WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "case %d not found", id))
	}
	return c, nil
}

// ListCases returns the cases f selects, in id order.
func (db *DB) ListCases(ctx context.Context, f writ.CaseFilter) ([]*writ.Case, error) {
	var w clause
	if f.MemberID != 0 {
		w.add("id IN (SELECT case_id FROM case_roster WHERE user_id = ?)", f.MemberID)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return nil, writ.Errorf(writ.EInvalid, "unknown case status %q (want open, closed or sealed)", f.Status)
		}
		w.add("status = ?", f.Status)
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+caseCols+` FROM cases`+w.where()+` ORDER BY id`), w.args...)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanCase, db.wrap)
}

// SetCaseStatus changes a case's status and returns the case.
func (db *DB) SetCaseStatus(ctx context.Context, id int64, s writ.CaseStatus) (*writ.Case, error) {
	if !s.Valid() {
		return nil, writ.Errorf(writ.EInvalid, "unknown case status %q (want open, closed or sealed)", s)
	}
	var c *writ.Case
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCase(tx.QueryRowContext(ctx, db.q(`UPDATE cases SET status = ?, updated_at = ? WHERE id = ? RETURNING `+caseCols),
			s, micros(writ.Now()), id))
		return notFound(err, "case %d not found", id)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (db *DB) caseExists(ctx context.Context, q queryer, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM cases WHERE id = ?`), id).Scan(&one)
	return notFound(err, "case %d not found", id)
}

// AddToRoster puts a user on a case team.
func (db *DB) AddToRoster(ctx context.Context, e *writ.RosterEntry) error {
	if !e.Role.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown roster role %q (want lead or member)", e.Role)
	}
	if e.AddedAt.IsZero() {
		e.AddedAt = writ.Now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.caseExists(ctx, tx, e.CaseID); err != nil {
			return err
		}
		for _, id := range []int64{e.UserID, e.AddedBy} {
			if err := db.userExists(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, db.q(`SELECT username FROM users WHERE id = ?`), e.UserID).Scan(&e.Username); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO case_roster (case_id, user_id, role, added_by, added_at)
			VALUES (?, ?, ?, ?, ?)`), e.CaseID, e.UserID, e.Role, e.AddedBy, micros(e.AddedAt))
		return err
	})
	return conflict(err, "user %d is already on the roster of case %d", e.UserID, e.CaseID)
}

// RemoveFromRoster takes a user off a case team.
func (db *DB) RemoveFromRoster(ctx context.Context, caseID, userID int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM case_roster WHERE case_id = ? AND user_id = ?`), caseID, userID)
		return affected(res, err, "user %d is not on the roster of case %d", userID, caseID)
	})
}

// Roster returns a case's team, in the order they joined.
func (db *DB) Roster(ctx context.Context, caseID int64) ([]*writ.RosterEntry, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT r.case_id, r.user_id, u.username, r.role, r.added_by, r.added_at
		FROM case_roster r JOIN users u ON u.id = r.user_id WHERE r.case_id = ? ORDER BY r.added_at, r.user_id`), caseID)
	if err != nil {
		return nil, db.wrap(err)
	}
	out, err := collect(rows, func(s scanner) (*writ.RosterEntry, error) {
		var e writ.RosterEntry
		var added int64
		err := s.Scan(&e.CaseID, &e.UserID, &e.Username, &e.Role, &e.AddedBy, &added)
		e.AddedAt = fromMicros(added)
		return &e, err
	}, db.wrap)
	if err == nil && len(out) == 0 {
		if err := db.caseExists(ctx, db.r, caseID); err != nil {
			return nil, db.wrap(err)
		}
	}
	return out, err
}

// RosterRole returns the user's role on the case, or ENotFound.
func (db *DB) RosterRole(ctx context.Context, caseID, userID int64) (writ.RosterRole, error) {
	var role writ.RosterRole
	err := db.r.QueryRowContext(ctx, db.q(`SELECT role FROM case_roster WHERE case_id = ? AND user_id = ?`), caseID, userID).Scan(&role)
	if err != nil {
		return "", db.wrap(notFound(err, "user %d is not on the roster of case %d", userID, caseID))
	}
	return role, nil
}

// CreateSubject stores a person of interest in a case and sets its ID.
func (db *DB) CreateSubject(ctx context.Context, s *writ.Subject) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 200 {
		return writ.Errorf(writ.EInvalid, "subject name must be 1-200 characters")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = writ.Now()
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.caseExists(ctx, tx, s.CaseID); err != nil {
			return err
		}
		if err := db.userExists(ctx, tx, s.CreatedBy); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO subjects (case_id, name, notes, created_by, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), s.CaseID, s.Name, s.Notes, s.CreatedBy, micros(s.CreatedAt)).Scan(&s.ID)
	})
}

// Subjects returns a case's subjects in id order.
func (db *DB) Subjects(ctx context.Context, caseID int64) ([]*writ.Subject, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, case_id, name, notes, created_by, created_at
		FROM subjects WHERE case_id = ? ORDER BY id`), caseID)
	if err != nil {
		return nil, db.wrap(err)
	}
	out, err := collect(rows, func(s scanner) (*writ.Subject, error) {
		var x writ.Subject
		var created int64
		err := s.Scan(&x.ID, &x.CaseID, &x.Name, &x.Notes, &x.CreatedBy, &created)
		x.CreatedAt = fromMicros(created)
		return &x, err
	}, db.wrap)
	if err == nil && len(out) == 0 {
		if err := db.caseExists(ctx, db.r, caseID); err != nil {
			return nil, db.wrap(err)
		}
	}
	return out, err
}
