package api

import (
	"time"

	"github.com/writhq/writ"
)

// Request and response bodies, shared by the server and the client.

// LoginRequest signs a user in. With Token set, the server returns an API
// token (for the CLI) instead of setting a session cookie.
type LoginRequest struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	Token     bool   `json:"token,omitempty"`
	TokenName string `json:"token_name,omitempty"`
}

// LoginResponse answers a login. CSRFToken is set for browser sessions; Token
// (shown only this once) for API-token logins.
type LoginResponse struct {
	User      *writ.User `json:"user"`
	CSRFToken string     `json:"csrf_token,omitempty"`
	Token     string     `json:"token,omitempty"`
	TokenID   string     `json:"token_id,omitempty"`
	ExpiresAt time.Time  `json:"expires_at"`
}

// MeResponse is the signed-in user; CSRFToken is repeated for browser
// sessions so a reloaded page can pick it up.
type MeResponse struct {
	User      *writ.User       `json:"user"`
	Session   writ.SessionKind `json:"session"`
	CSRFToken string           `json:"csrf_token,omitempty"`
	ExpiresAt time.Time        `json:"expires_at"`
}

// PasswordChange changes the caller's own password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// TokenRequest creates an API token.
type TokenRequest struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days,omitempty"` // zero: 90; at most 365
}

// Token describes an API token. ID is the hex SHA-256 of the secret, which
// identifies it without revealing it; Secret is set only when it is created.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Secret     string    `json:"token,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// NewUser creates a user (admins only).
type NewUser struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name,omitempty"`
	Role        writ.Role `json:"role"`
	Password    string    `json:"password"`
}

// UserPatch changes a user (admins only); nil fields are left alone.
// Password resets the user's password.
type UserPatch struct {
	DisplayName *string    `json:"display_name,omitempty"`
	Role        *writ.Role `json:"role,omitempty"`
	Active      *bool      `json:"active,omitempty"`
	Password    *string    `json:"password,omitempty"`
}

// NewCase opens a case.
type NewCase struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// StatusChange sets a case's status.
type StatusChange struct {
	Status writ.CaseStatus `json:"status"`
}

// RosterAdd puts a user on a case team.
type RosterAdd struct {
	UserID int64           `json:"user_id"`
	Role   writ.RosterRole `json:"role"`
}

// NewSubject adds a subject to a case.
type NewSubject struct {
	Name  string `json:"name"`
	Notes string `json:"notes,omitempty"`
}

// AuthorityRequest asks for an authority on a case. It is recorded as
// requested; a supervisor other than the requester must approve it.
type AuthorityRequest struct {
	Kind        writ.AuthorityKind `json:"kind"`
	IssuingBody string             `json:"issuing_body"`
	Reference   string             `json:"reference"`
	IssuedAt    time.Time          `json:"issued_at"`
	ExpiresAt   time.Time          `json:"expires_at"`
	Categories  []writ.Category    `json:"categories"`
	Selectors   []writ.Selector    `json:"selectors"`
	WindowStart time.Time          `json:"window_start"`
	WindowEnd   time.Time          `json:"window_end"`
	Area        writ.Polygon       `json:"area,omitempty"`
}

// Revocation revokes an authority; a reason is required.
type Revocation struct {
	Reason string `json:"reason"`
}

// NewAgreement records a data-sharing agreement.
type NewAgreement struct {
	Name          string    `json:"name"`
	Dataset       string    `json:"dataset"`
	Parties       []string  `json:"parties"`
	Purposes      []string  `json:"purposes"`
	RetentionDays int       `json:"retention_days"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// ReadQuery is a read of case data: the authority it runs under, its stated
// purpose, and what to read. Empty selectors mean all the authority names for
// the category; a zero window means the authority's window.
type ReadQuery struct {
	AuthorityID int64
	Purpose     string
	Selectors   []writ.Selector
	From, To    time.Time
	Area        writ.Polygon
	Limit       int
	After       int64
}

// GrantInfo describes the grant a read ran under, returned with its rows.
type GrantInfo struct {
	AuthorityID   int64              `json:"authority_id"`
	AuthorityKind writ.AuthorityKind `json:"authority_kind"`
	Category      writ.Category      `json:"category"`
	Selectors     []writ.Selector    `json:"selectors"`
	From          time.Time          `json:"from"`
	To            time.Time          `json:"to"`
	Area          writ.Polygon       `json:"area,omitempty"`
	Purpose       string             `json:"purpose"`
	ExpiresAt     time.Time          `json:"expires_at"`
}

// Page is one page of a read: the grant, the rows, and the id to pass as
// after for the next page (zero when this page is the last).
type Page[T any] struct {
	Grant     GrantInfo `json:"grant"`
	Rows      []T       `json:"rows"`
	NextAfter int64     `json:"next_after,omitempty"`
}

// Checkpoint is the audit log's latest signed tree head.
type Checkpoint struct {
	Note string `json:"note"`
}

// VerifierKey is the key that verifies the log's checkpoints.
type VerifierKey struct {
	Key string `json:"key"`
}
