// Package writ holds the domain of an accountable investigative case platform:
// users, cases, legal authorities, grants, case data and the audit trail, and
// the service interfaces that storage and transport adapters implement.
//
// The invariants in DESIGN.md hold everywhere: no case data is read without a
// Grant, every decision is audited, provenance is kept, protected attributes
// are never selectors.
package writ

import "time"

// Role is a user's role in the deployment, which bounds what they may do.
type Role string

const (
	RoleInvestigator Role = "investigator"
	RoleSupervisor   Role = "supervisor"
	RoleAuditor      Role = "auditor"
	RoleAdmin        Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleInvestigator, RoleSupervisor, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// User is a person who signs in to writ.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         Role      `json:"role"`
	Active       bool      `json:"active"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// UserUpdate changes fields of a user; nil fields are left alone.
type UserUpdate struct {
	DisplayName  *string `json:"display_name,omitempty"`
	Role         *Role   `json:"role,omitempty"`
	Active       *bool   `json:"active,omitempty"`
	PasswordHash *string `json:"-"`
}

// SessionKind distinguishes browser sessions from API tokens for scripts.
type SessionKind string

const (
	SessionBrowser SessionKind = "session"
	SessionAPI     SessionKind = "api"
)

// Session is a browser session or an API token. Only the SHA-256 of the
// secret is stored, so a stolen database does not yield usable tokens.
type Session struct {
	TokenHash  []byte      `json:"-"`
	UserID     int64       `json:"user_id"`
	Kind       SessionKind `json:"kind"`
	Name       string      `json:"name,omitempty"`
	CSRFToken  string      `json:"-"`
	CreatedAt  time.Time   `json:"created_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	LastUsedAt time.Time   `json:"last_used_at"`
}

// now is the clock; tests do not replace it, they pass explicit times.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
