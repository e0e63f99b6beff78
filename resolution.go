package writ

import (
	"context"
	"encoding/json"
	"time"
)

// ResolutionSpec says what a resolution run reads and how it compares it.
// Runs read records of the named datasets; they never change them.
type ResolutionSpec struct {
	Datasets []string `json:"datasets"`
	Entity   Entity   `json:"entity,omitempty"` // only records about this kind; empty: all
	// Fields builds each compared field from the record's own fields: the
	// first alternative that is not empty wins, and an alternative may join
	// several fields with "+" (street_address+postcode), separated by a
	// space. A compared field with no entry reads the field of its name.
	Fields map[string][]string `json:"fields,omitempty"`
	// Resolver is the comparison and blocking spec (a resolve.Spec).
	Resolver json.RawMessage `json:"resolver"`
}

// ResolutionRun is one run of entity resolution: an operator's action,
// audited, that stores links between records and never touches them.
type ResolutionRun struct {
	ID         int64           `json:"id"`
	Spec       ResolutionSpec  `json:"spec"`
	Model      json.RawMessage `json:"model"` // the fitted weights (a resolve.Model)
	Stats      json.RawMessage `json:"stats"` // a resolve.Stats
	Records    int             `json:"records"`
	Links      int             `json:"links"`    // scored pairs kept
	Entities   int             `json:"entities"` // entities of two or more records
	Decisions  int             `json:"decisions"`
	Skipped    int             `json:"skipped"` // decisions that contradicted earlier ones
	By         int64           `json:"by,omitempty"`
	ByName     string          `json:"by_name"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
}

// ResolutionLink is a scored pair of records from a run. Entity is the
// entity both records ended in, or zero when the run kept them apart.
type ResolutionLink struct {
	RunID       int64   `json:"run_id"`
	A           int64   `json:"a"` // record ids, A < B
	B           int64   `json:"b"`
	Probability float64 `json:"probability"`
	Log2Odds    float64 `json:"log2_odds"`
	Entity      int64   `json:"entity,omitempty"`
}

// DecisionKind is an investigator's ruling on records.
type DecisionKind string

const (
	DecideConfirm DecisionKind = "confirm" // A and B are the same
	DecideReject  DecisionKind = "reject"  // A and B are never the same
	DecideSplit   DecisionKind = "split"   // no record of one group joins another group's
)

// ResolutionDecision is one entry of the decisions ledger. The ledger is
// append-only; every later run obeys it.
type ResolutionDecision struct {
	ID        int64        `json:"id"`
	Kind      DecisionKind `json:"kind"`
	A         int64        `json:"a,omitempty"`
	B         int64        `json:"b,omitempty"`
	Groups    [][]int64    `json:"groups,omitempty"`
	Reason    string       `json:"reason"`
	CaseID    int64        `json:"case_id"`
	DecidedBy int64        `json:"decided_by"`
	DecidedAt time.Time    `json:"decided_at"`
}

// Records lists every record the decision names.
func (d *ResolutionDecision) Records() []int64 {
	if d.Kind != DecideSplit {
		return []int64{d.A, d.B}
	}
	var out []int64
	for _, g := range d.Groups {
		out = append(out, g...)
	}
	return out
}

// Validate checks the decision's shape.
func (d *ResolutionDecision) Validate() error {
	switch d.Kind {
	case DecideConfirm, DecideReject:
		if d.A <= 0 || d.B <= 0 || d.A == d.B || len(d.Groups) > 0 {
			return Errorf(EInvalid, "%s names two different records (a and b) and no groups", d.Kind)
		}
	case DecideSplit:
		seen := map[int64]bool{}
		if len(d.Groups) < 2 || d.A != 0 || d.B != 0 {
			return Errorf(EInvalid, "split names two or more groups of records and no pair")
		}
		for _, g := range d.Groups {
			if len(g) == 0 {
				return Errorf(EInvalid, "split has an empty group")
			}
			for _, id := range g {
				if id <= 0 || seen[id] {
					return Errorf(EInvalid, "split names record %d twice or not at all", id)
				}
				seen[id] = true
			}
		}
	default:
		return Errorf(EInvalid, "unknown decision %q (want confirm, reject or split)", d.Kind)
	}
	if d.Reason == "" {
		return Errorf(EInvalid, "a decision needs a reason")
	}
	return nil
}

// LinkStatus is where a subject link stands under the second-person rule.
type LinkStatus string

const (
	LinkRequested LinkStatus = "requested" // reaches nothing yet
	LinkApproved  LinkStatus = "approved"  // its records are reachable under grants naming the subject
	LinkRejected  LinkStatus = "rejected"  // refused before approval; reaches nothing
	LinkRevoked   LinkStatus = "revoked"   // approved, then withdrawn; reaches nothing
)

// SubjectLink records that an investigator asserted an entity is a case
// subject. The entity's records at that moment are copied into the link;
// they become readable under grants naming the subject only once a
// supervisor who did not request the link approves it (the second-person
// rule), and stop being readable when it is revoked. Records that join the
// entity later need a new link. Records themselves are never changed.
type SubjectLink struct {
	ID           int64      `json:"id"`
	CaseID       int64      `json:"case_id"`
	SubjectID    int64      `json:"subject_id"`
	RunID        int64      `json:"run_id"`
	Entity       int64      `json:"entity"` // the entity's smallest record id in that run
	Records      []int64    `json:"records"`
	Reason       string     `json:"reason"`
	LinkedBy     int64      `json:"linked_by"` // the requester
	LinkedAt     time.Time  `json:"linked_at"`
	Status       LinkStatus `json:"status"`
	ApprovedBy   int64      `json:"approved_by,omitempty"`
	ApprovedAt   *time.Time `json:"approved_at,omitempty"`
	RejectedBy   int64      `json:"rejected_by,omitempty"` // who rejected or revoked it
	RejectedAt   *time.Time `json:"rejected_at,omitempty"`
	RejectReason string     `json:"reject_reason,omitempty"`
}

// ResolvedEntity is an entity as a grant may see it: only records
// reachable through the grant's subjects, and the links among them.
type ResolvedEntity struct {
	RunID     int64                `json:"run_id"`
	ID        int64                `json:"id"`
	Records   []Record             `json:"records"`
	Links     []ResolutionLink     `json:"links"`
	Decisions []ResolutionDecision `json:"decisions"` // on the shown records, including ones made after the run
}

// PairExplanation says why a run scored a pair as it did.
type PairExplanation struct {
	ResolutionLink
	SameEntity bool            `json:"same_entity"`
	Waterfall  json.RawMessage `json:"waterfall"` // a resolve.Waterfall
}

// ResolutionStore keeps resolution runs, their links, the decisions ledger
// and subject links. Reads that return record data take a records grant
// and are clipped to the records reachable through its subjects.
type ResolutionStore interface {
	// RunResolution resolves the spec's records under the whole ledger and
	// stores the run; by is the operator (zero for a local one, named byName).
	RunResolution(ctx context.Context, spec ResolutionSpec, by int64, byName string) (*ResolutionRun, error)
	LatestResolutionRun(ctx context.Context) (*ResolutionRun, error)
	// AppendDecision adds to the ledger. Every record it names must be
	// reachable under g; a contradiction of an earlier decision is a conflict.
	AppendDecision(ctx context.Context, g *Grant, d *ResolutionDecision) error
	// LinkEntity links the latest run's entity holding l.Entity to l.SubjectID,
	// which g must name; it fills in the run, the entity and its records.
	// The link is created as requested and reaches nothing until approved.
	LinkEntity(ctx context.Context, g *Grant, l *SubjectLink) error
	SubjectLinkByID(ctx context.Context, id int64) (*SubjectLink, error)
	// ApproveSubjectLink makes a requested link's records reachable. The
	// approver must not be the requester (rule second_person).
	ApproveSubjectLink(ctx context.Context, id, approver int64) (*SubjectLink, error)
	// RejectSubjectLink rejects a requested link or revokes an approved one,
	// with a reason; either way it reaches nothing afterwards.
	RejectSubjectLink(ctx context.Context, id, by int64, reason string) (*SubjectLink, error)
	// ResolvedEntity returns the latest run's entity holding record, clipped to g.
	ResolvedEntity(ctx context.Context, g *Grant, record int64) (*ResolvedEntity, error)
	// ExplainPair explains the latest run's score of a and b, both reachable under g.
	ExplainPair(ctx context.Context, g *Grant, a, b int64) (*PairExplanation, error)
}
