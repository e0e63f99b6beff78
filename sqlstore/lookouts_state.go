package sqlstore

import (
	"context"
	"database/sql"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// lookoutStateSQL is GateFacts without the authority's selectors, area and
// categories, which never change once an authority is stored: the lookout
// service keeps those and asks only for what can change (status, approval,
// revocation, expiry, user, case, roster) before each alert.
const lookoutStateSQL = `SELECT
	COALESCE(u.id, 0), COALESCE(u.username, ''), COALESCE(u.role, ''), COALESCE(u.active, FALSE),
	COALESCE(c.id, 0), COALESCE(c.status, ''),
	COALESCE((SELECT role FROM case_roster WHERE case_id = ? AND user_id = ?), ''),
	COALESCE(a.id, 0), COALESCE(a.case_id, 0), COALESCE(a.issued_at, 0), COALESCE(a.expires_at, 0),
	COALESCE(a.status, ''), COALESCE(a.requested_by, 0), COALESCE(a.approved_by, 0)
FROM (SELECT 1 AS one) x
LEFT JOIN users u ON u.id = ?
LEFT JOIN cases c ON c.id = ?
LEFT JOIN authorities a ON a.id = ?`

// LookoutState returns the facts of a gate decision whose authority holds
// only its mutable fields (ID, CaseID, IssuedAt, ExpiresAt, Status,
// RequestedBy, ApprovedBy): a nil field means not found.
func (db *DB) LookoutState(ctx context.Context, userID, caseID, authorityID int64) (*scope.Facts, error) {
	var u writ.User
	var c writ.Case
	var a writ.Authority
	var roster string
	var issued, expires int64
	err := db.r.QueryRowContext(ctx, db.q(lookoutStateSQL), caseID, userID, userID, caseID, authorityID).Scan(
		&u.ID, &u.Username, &u.Role, &u.Active, &c.ID, &c.Status, &roster,
		&a.ID, &a.CaseID, &issued, &expires, &a.Status, &a.RequestedBy, &a.ApprovedBy)
	if err != nil && err != sql.ErrNoRows {
		return nil, db.wrap(err)
	}
	a.IssuedAt, a.ExpiresAt = fromMicros(issued), fromMicros(expires)
	f := &scope.Facts{Roster: writ.RosterRole(roster)}
	if u.ID != 0 {
		f.User = &u
	}
	if c.ID != 0 {
		f.Case = &c
	}
	if a.ID != 0 {
		f.Authority = &a
	}
	return f, nil
}
