package writ

import "context"

// UserStore keeps users and their sessions and API tokens.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, error)
	CountUsers(ctx context.Context) (int, error)

	CreateSession(ctx context.Context, s *Session) error
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions ends every session and API token of a user except
	// the one whose hash is keep (nil: none), and says how many it ended.
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int, error)
	ListAPITokens(ctx context.Context, userID int64) ([]*Session, error)
	TouchSession(ctx context.Context, hash []byte) error
}

// CaseStore keeps cases, rosters and subjects.
type CaseStore interface {
	CreateCase(ctx context.Context, c *Case, lead int64) error // lead joins the roster as lead
	CaseByID(ctx context.Context, id int64) (*Case, error)
	ListCases(ctx context.Context, f CaseFilter) ([]*Case, error)
	SetCaseStatus(ctx context.Context, id int64, s CaseStatus) (*Case, error)

	AddToRoster(ctx context.Context, e *RosterEntry) error
	RemoveFromRoster(ctx context.Context, caseID, userID int64) error
	Roster(ctx context.Context, caseID int64) ([]*RosterEntry, error)
	// RosterRole returns the user's role on the case, or ENotFound.
	RosterRole(ctx context.Context, caseID, userID int64) (RosterRole, error)

	CreateSubject(ctx context.Context, s *Subject) error
	Subjects(ctx context.Context, caseID int64) ([]*Subject, error)
}

// AuthorityStore keeps authorities and data-sharing agreements.
type AuthorityStore interface {
	CreateAuthority(ctx context.Context, a *Authority) error // status requested
	AuthorityByID(ctx context.Context, id int64) (*Authority, error)
	ListAuthorities(ctx context.Context, f AuthorityFilter) ([]*Authority, error)
	// ApproveAuthority moves requested → approved. The store refuses (EForbidden)
	// an approver who requested it, and (EConflict) any other status.
	ApproveAuthority(ctx context.Context, id, approver int64) (*Authority, error)
	// RevokeAuthority moves requested or approved → revoked.
	RevokeAuthority(ctx context.Context, id, by int64, reason string) (*Authority, error)

	CreateAgreement(ctx context.Context, a *Agreement) error
	AgreementByID(ctx context.Context, id int64) (*Agreement, error)
	ListAgreements(ctx context.Context) ([]*Agreement, error)
}

// EventStore keeps case data. Each Insert call is one batch keyed by its
// rows' content hashes: inserting the same rows again stores nothing, and a
// row repeated within one call is stored once. They return how many rows were
// new. (Ingestion uses IngestStore.CommitBatch.) Every read takes a Grant,
// checks it, and clips its SQL to it (selectors, window, area).
type EventStore interface {
	InsertContacts(ctx context.Context, rows []Contact) (int, error)
	InsertPings(ctx context.Context, rows []Ping) (int, error)
	InsertPlateReads(ctx context.Context, rows []PlateRead) (int, error)
	InsertRecords(ctx context.Context, rows []Record) (int, error)

	Contacts(ctx context.Context, g *Grant, q EventQuery) ([]Contact, error)
	Pings(ctx context.Context, g *Grant, q EventQuery) ([]Ping, error)
	// PingsNear passes, in no set order, every ping the grant lets Pings
	// return that is near one of q's probes (NearQuery), as tested by
	// package near, and returns how many it passed. It may read on several
	// goroutines, and gives each its own receiver: it calls newReceiver
	// (from one goroutine at a time) once for every goroutine it reads on,
	// and passes that goroutine's pings to the function returned. So the
	// receivers run at once, each on one goroutine at a time: a receiver
	// that counts into its own share needs no lock (geo.CoLocator's
	// Receiver), and one receiver shared by all must lock. It stops at the
	// first error a receiver returns.
	PingsNear(ctx context.Context, g *Grant, q NearQuery, newReceiver func() func(*NearPing) error) (int, error)
	// PingFixes passes to each, in no set order, every ping Pings would
	// return under g for q (whatever q.Limit and q.AfterID) as a NearPing
	// without provenance (Probe is -1), and returns how many it passed:
	// what location analytics read. It calls each from one goroutine and
	// stops at the first error each returns.
	PingFixes(ctx context.Context, g *Grant, q EventQuery, each func(*NearPing) error) (int, error)
	PlateReads(ctx context.Context, g *Grant, q EventQuery) ([]PlateRead, error)
	Records(ctx context.Context, g *Grant, q EventQuery) ([]Record, error)
}

// IngestStore commits ingested batches at most once each, with their
// quarantined rows, and keeps the high-water marks of streams.
type IngestStore interface {
	// CommitBatch writes the batch's rows, its quarantined rows and its
	// marker in one transaction. If the marker exists it writes nothing and
	// reports Committed false.
	CommitBatch(ctx context.Context, b *Batch) (BatchResult, error)
	// Batches lists the committed batches of a source key, by number.
	Batches(ctx context.Context, sourceKey string) ([]BatchInfo, error)
	// StreamMark returns the last committed sequence of a stream (0: none).
	StreamMark(ctx context.Context, stream string) (int64, error)
	// Quarantined lists quarantined rows in id order.
	Quarantined(ctx context.Context, f QuarantineFilter) ([]QuarantinedRow, error)
	// DatasetFields lists a records dataset's fields and which are protected.
	DatasetFields(ctx context.Context, dataset string) ([]FieldSchema, error)
}

// Store is everything a writ deployment keeps, in one database.
type Store interface {
	UserStore
	CaseStore
	AuthorityStore
	EventStore
	IngestStore
	ResolutionStore
	Close() error
}

// LookoutStore keeps lookouts, their alerts and the webhook dead letters.
type LookoutStore interface {
	CreateLookout(ctx context.Context, l *Lookout) error
	LookoutByID(ctx context.Context, id int64) (*Lookout, error)
	ListLookouts(ctx context.Context, f LookoutFilter) ([]*Lookout, error)
	SetLookoutStatus(ctx context.Context, id int64, s LookoutStatus) (*Lookout, error)
	// AddKnown records watched values a subject_change lookout has seen.
	AddKnown(ctx context.Context, id int64, known []Condition) error
	// InsertAlerts stores alerts in one transaction, each once per
	// (LookoutID, EventKey), and sets the IDs of those it stored; an alert
	// whose pair was stored before keeps ID zero.
	InsertAlerts(ctx context.Context, as []*Alert) error
	// MarkAlertsAudited marks alerts whose audit entries are durable;
	// ListAlerts lists only those.
	MarkAlertsAudited(ctx context.Context, ids []int64) error
	ListAlerts(ctx context.Context, f AlertFilter) ([]*Alert, error)
	AlertByID(ctx context.Context, id int64) (*Alert, error)
	// ProtectedField reports whether any dataset marks field protected.
	ProtectedField(ctx context.Context, field string) (bool, error)

	InsertDeadLetter(ctx context.Context, d *DeadLetter) error
	ListDeadLetters(ctx context.Context, caseIDs []int64) ([]*DeadLetter, error)
	DeadLetterByID(ctx context.Context, id int64) (*DeadLetter, error)
	DeleteDeadLetter(ctx context.Context, id int64) error
}
