package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode"

	"github.com/writhq/writ"
)

// DB implements writ.Store; the compiler checks it here.
var _ writ.Store = (*DB)(nil)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// notFound turns sql.ErrNoRows into a not-found error that names the thing.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return writ.Errorf(writ.ENotFound, format, args...)
	}
	return err
}

// conflict gives a unique violation a message that says what collided.
func conflict(err error, format string, args ...any) error {
	if writ.ErrorKind(err) == writ.EConflict {
		return writ.Errorf(writ.EConflict, format, args...)
	}
	return err
}

const userCols = `id, username, display_name, role, active, password_hash, created_at`

func scanUser(s scanner) (*writ.User, error) {
	var u writ.User
	var created int64
	if err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Active, &u.PasswordHash, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

func validUsername(name string) error {
	if name == "" || len(name) > 64 {
		return writ.Errorf(writ.EInvalid, "username must be 1-64 characters")
	}
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return writ.Errorf(writ.EInvalid, "username %q may not contain spaces or control characters", name)
	}
	return nil
}

// CreateUser stores u and sets its ID (and CreatedAt when zero).
func (db *DB) CreateUser(ctx context.Context, u *writ.User) error {
	if err := validUsername(u.Username); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown role %q (want investigator, supervisor, auditor or admin)", u.Role)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = writ.Now()
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO users (username, display_name, role, active, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Username, u.DisplayName, u.Role, u.Active, u.PasswordHash, micros(u.CreatedAt)).Scan(&u.ID)
	})
	return conflict(err, "username %s is taken", u.Username)
}

// UserByID returns the user with id, or ENotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (*writ.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
	if err != nil {
		return nil, db.wrap(notFound(err, "user %d not found", id))
	}
	return u, nil
}

// UserByUsername returns the user named username, or ENotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (*writ.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users WHERE username = ?`), username))
	if err != nil {
		return nil, db.wrap(notFound(err, "user %s not found", username))
	}
	return u, nil
}

// ListUsers returns every user in id order.
func (db *DB) ListUsers(ctx context.Context) ([]*writ.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanUser, db.wrap)
}

// UpdateUser changes the non-nil fields of upd and returns the updated user.
func (db *DB) UpdateUser(ctx context.Context, id int64, upd writ.UserUpdate) (*writ.User, error) {
	var sets []string
	var args []any
	if upd.DisplayName != nil {
		sets, args = append(sets, "display_name = ?"), append(args, *upd.DisplayName)
	}
	if upd.Role != nil {
		if !upd.Role.Valid() {
			return nil, writ.Errorf(writ.EInvalid, "unknown role %q (want investigator, supervisor, auditor or admin)", *upd.Role)
		}
		sets, args = append(sets, "role = ?"), append(args, *upd.Role)
	}
	if upd.Active != nil {
		sets, args = append(sets, "active = ?"), append(args, *upd.Active)
	}
	if upd.PasswordHash != nil {
		sets, args = append(sets, "password_hash = ?"), append(args, *upd.PasswordHash)
	}
	if len(sets) == 0 {
		return db.UserByID(ctx, id)
	}
	var u *writ.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, db.q(`UPDATE users SET `+strings.Join(sets, ", ")+
			` WHERE id = ? RETURNING `+userCols), append(args, id)...))
		return notFound(err, "user %d not found", id)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CountUsers returns how many users there are (zero means a fresh install).
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, db.wrap(err)
	}
	return n, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error), wrap func(error) error) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

const sessionCols = `token_hash, user_id, kind, name, csrf_token, created_at, expires_at, last_used_at`

func scanSession(s scanner) (*writ.Session, error) {
	var x writ.Session
	var created, expires, used int64
	if err := s.Scan(&x.TokenHash, &x.UserID, &x.Kind, &x.Name, &x.CSRFToken, &created, &expires, &used); err != nil {
		return nil, err
	}
	x.CreatedAt, x.ExpiresAt, x.LastUsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
	return &x, nil
}

// CreateSession stores a session or API token. Only the SHA-256 of the
// secret may be stored, so the hash must be 32 bytes.
func (db *DB) CreateSession(ctx context.Context, s *writ.Session) error {
	switch {
	case len(s.TokenHash) != 32:
		return writ.Errorf(writ.EInvalid, "session token hash must be a SHA-256 (32 bytes), got %d bytes", len(s.TokenHash))
	case s.Kind != writ.SessionBrowser && s.Kind != writ.SessionAPI:
		return writ.Errorf(writ.EInvalid, "unknown session kind %q", s.Kind)
	case s.UserID <= 0:
		return writ.Errorf(writ.EInvalid, "session needs a user")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = writ.Now()
	}
	if s.LastUsedAt.IsZero() {
		s.LastUsedAt = s.CreatedAt
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.userExists(ctx, tx, s.UserID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			s.TokenHash, s.UserID, s.Kind, s.Name, s.CSRFToken, micros(s.CreatedAt), micros(s.ExpiresAt), micros(s.LastUsedAt))
		return err
	})
	return conflict(err, "a session with this token already exists")
}

// SessionByTokenHash returns the unexpired session or API token with hash. An
// expired one is not found, so a caller that forgets to check expiry is
// still safe; a zero ExpiresAt never expires.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (*writ.Session, error) {
	s, err := scanSession(db.r.QueryRowContext(ctx, db.q(`SELECT `+sessionCols+` FROM sessions
		WHERE token_hash = ? AND (expires_at = 0 OR expires_at > ?)`), hash, micros(writ.Now())))
	if err != nil {
		return nil, db.wrap(notFound(err, "session not found or expired"))
	}
	return s, nil
}

// DeleteSession removes a session or API token.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), hash)
		return affected(res, err, "session not found")
	})
}

// DeleteUserSessions ends all of a user's sessions and tokens but keep: after
// a password change or reset, a stolen session must not outlive it.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if keep == nil {
			keep = []byte{}
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`), userID, keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// ListAPITokens returns the user's API tokens (not browser sessions), oldest first.
func (db *DB) ListAPITokens(ctx context.Context, userID int64) ([]*writ.Session, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND kind = ? ORDER BY created_at, name`), userID, writ.SessionAPI)
	if err != nil {
		return nil, db.wrap(err)
	}
	return collect(rows, scanSession, db.wrap)
}

// TouchSession records that a session was just used.
func (db *DB) TouchSession(ctx context.Context, hash []byte) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE sessions SET last_used_at = ? WHERE token_hash = ?`), micros(writ.Now()), hash)
		return affected(res, err, "session not found")
	})
}

// affected returns ENotFound with msg when an update or delete matched nothing.
func affected(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return writ.Errorf(writ.ENotFound, format, args...)
	}
	return nil
}

// userExists gives a foreign key a clear message before the database refuses it.
func (db *DB) userExists(ctx context.Context, q queryer, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM users WHERE id = ?`), id).Scan(&one)
	return notFound(err, "user %d not found", id)
}
