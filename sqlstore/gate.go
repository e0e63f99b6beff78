package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

var _ scope.FactLoader = (*DB)(nil)

// gateFactsSQL loads everything a gate decision depends on in one round trip.
// Missing rows come back as zero ids (user, case) or NULLs (authority).
const gateFactsSQL = `SELECT
	COALESCE(u.id, 0), COALESCE(u.username, ''), COALESCE(u.role, ''), COALESCE(u.active, FALSE),
	COALESCE(c.id, 0), COALESCE(c.status, ''),
	COALESCE((SELECT role FROM case_roster WHERE case_id = ? AND user_id = ?), ''),
	COALESCE(a.id, 0), COALESCE(a.case_id, 0), COALESCE(a.kind, ''), COALESCE(a.issuing_body, ''),
	COALESCE(a.reference, ''), COALESCE(a.issued_at, 0), COALESCE(a.expires_at, 0),
	COALESCE(a.categories, '[]'), COALESCE(a.selectors, '[]'), COALESCE(a.window_start, 0),
	COALESCE(a.window_end, 0), COALESCE(a.area, ''), COALESCE(a.status, ''), COALESCE(a.requested_by, 0),
	a.approved_by, a.approved_at, a.revoked_by, a.revoked_at, COALESCE(a.revoke_reason, ''),
	COALESCE(a.created_at, 0)
FROM (SELECT 1 AS one) x
LEFT JOIN users u ON u.id = ?
LEFT JOIN cases c ON c.id = ?
LEFT JOIN authorities a ON a.id = ?`

// gateStmt is prepared once per DB: the gate runs this query on every
// decision, and parsing SQL was most of its cost.
type gateStmt struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

// GateFacts implements scope.FactLoader: user, case, roster role and
// authority in one query, reading committed state (no cache, so a
// revocation or deactivation takes effect on the next decision).
func (db *DB) GateFacts(ctx context.Context, userID, caseID, authorityID int64) (*scope.Facts, error) {
	db.gate.once.Do(func() { db.gate.stmt, db.gate.err = db.r.PrepareContext(context.Background(), db.q(gateFactsSQL)) })
	if db.gate.err != nil {
		return nil, db.wrap(db.gate.err)
	}
	var u writ.User
	var c writ.Case
	var roster string
	a, adest, finish := authorityDest()
	dest := append([]any{&u.ID, &u.Username, &u.Role, &u.Active, &c.ID, &c.Status, &roster}, adest...)
	if err := db.gate.stmt.QueryRowContext(ctx, caseID, userID, userID, caseID, authorityID).Scan(dest...); err != nil {
		return nil, db.wrap(err)
	}
	if err := finish(); err != nil {
		return nil, db.wrap(err)
	}
	f := &scope.Facts{Roster: writ.RosterRole(roster)}
	if u.ID != 0 {
		f.User = &u
	}
	if c.ID != 0 {
		f.Case = &c
	}
	if a.ID != 0 {
		f.Authority = a
	}
	return f, nil
}
