package writ

import "time"

// CaseStatus is the lifecycle of a case. Sealed cases cannot be read at all.
type CaseStatus string

const (
	CaseOpen   CaseStatus = "open"
	CaseClosed CaseStatus = "closed"
	CaseSealed CaseStatus = "sealed"
)

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool { return s == CaseOpen || s == CaseClosed || s == CaseSealed }

// Case is an investigation: the unit of access. Case data is reachable only by
// its roster, under an authority that belongs to it.
type Case struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Status      CaseStatus `json:"status"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// RosterRole is a user's role on one case team.
type RosterRole string

const (
	RosterLead   RosterRole = "lead"
	RosterMember RosterRole = "member"
)

// Valid reports whether r is a known roster role.
func (r RosterRole) Valid() bool { return r == RosterLead || r == RosterMember }

// RosterEntry places a user on a case team.
type RosterEntry struct {
	CaseID   int64      `json:"case_id"`
	UserID   int64      `json:"user_id"`
	Username string     `json:"username,omitempty"`
	Role     RosterRole `json:"role"`
	AddedBy  int64      `json:"added_by"`
	AddedAt  time.Time  `json:"added_at"`
}

// Subject is a person of interest in a case. Records are linked to subjects;
// subject ids are selectors of the records category.
type Subject struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	Name      string    `json:"name"`
	Notes     string    `json:"notes,omitempty"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// CaseFilter narrows a case listing. MemberID limits to cases whose roster
// holds that user (zero: all cases, for admins and auditors).
type CaseFilter struct {
	MemberID int64
	Status   CaseStatus
}
