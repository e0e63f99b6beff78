package writ

import (
	"context"
	"time"
)

// Audit decisions.
const (
	DecisionGranted = "granted"
	DecisionDenied  = "denied"
	DecisionDone    = "done" // an administrative action that was carried out
)

// AuditEntry is one line of the audit log. Selectors are never stored raw:
// the log replaces RawSelectors with salted commitments (Selectors) when it
// assigns the entry its index.
type AuditEntry struct {
	Index       int64      `json:"index"`
	Time        time.Time  `json:"time"`
	ActorID     int64      `json:"actor_id"`
	Actor       string     `json:"actor,omitempty"`
	Action      string     `json:"action"` // e.g. "read.contacts", "authority.approve", "login"
	CaseID      int64      `json:"case_id,omitempty"`
	AuthorityID int64      `json:"authority_id,omitempty"`
	Category    Category   `json:"category,omitempty"`
	Purpose     string     `json:"purpose,omitempty"`
	Decision    string     `json:"decision"`
	Rule        string     `json:"rule,omitempty"`   // the gate rule that denied
	Reason      string     `json:"reason,omitempty"` // human text of a denial
	Selectors   []string   `json:"selectors,omitempty"`
	From        *time.Time `json:"from,omitempty"`
	To          *time.Time `json:"to,omitempty"`
	Results     int64      `json:"results"` // rows returned; -1 when not a read

	RawSelectors []Selector `json:"-"`
}

// Auditor appends entries to the audit log. Record returns only once the entry
// is durable, with the index it got.
type Auditor interface {
	Record(ctx context.Context, e *AuditEntry) (int64, error)
}

// AuditFilter narrows an audit listing.
type AuditFilter struct {
	From   int64 // first index
	Limit  int
	CaseID int64
	Actor  int64
}
