// Package scope is the gate: the only place a writ.Grant is made. It checks a
// request for case data against the legal authority it claims to run under,
// mints a grant clipped to that authority, and writes every decision, granted
// or denied, to the audit log.
package scope

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/writhq/writ"
)

// minter is claimed at init, so no other package can mint grants.
var minter = writ.ClaimMinter()

func init() {
	if minter == nil {
		panic("scope: the grant minter was claimed before package scope; only the gate may mint grants")
	}
}

// GrantTTL bounds how long one grant may be used, whatever the authority says.
const GrantTTL = 10 * time.Minute

// GateStore is what the gate reads to decide.
type GateStore interface {
	UserByID(ctx context.Context, id int64) (*writ.User, error)
	CaseByID(ctx context.Context, id int64) (*writ.Case, error)
	RosterRole(ctx context.Context, caseID, userID int64) (writ.RosterRole, error)
	AuthorityByID(ctx context.Context, id int64) (*writ.Authority, error)
}

// FactLoader is an optional fast path: a store that loads all the facts for a
// decision in one round trip implements it, and the gate uses it.
type FactLoader interface {
	GateFacts(ctx context.Context, userID, caseID, authorityID int64) (*Facts, error)
}

// Facts are what a decision depends on. A nil field means "not found".
type Facts struct {
	User      *writ.User
	Case      *writ.Case
	Roster    writ.RosterRole // "" when not on the roster
	Authority *writ.Authority
}

// Request asks for one read of case data.
type Request struct {
	UserID      int64           `json:"user_id"`
	CaseID      int64           `json:"case_id"`
	AuthorityID int64           `json:"authority_id"`
	Category    writ.Category   `json:"category"`
	Selectors   []writ.Selector `json:"selectors,omitempty"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Area        writ.Polygon    `json:"area,omitempty"`
	Purpose     string          `json:"purpose"`
	Action      string          `json:"action"` // what is being read, e.g. "read.contacts"
}

// Gate decides requests and audits every decision.
type Gate struct {
	store   GateStore
	auditor writ.Auditor
	now     func() time.Time
	log     *slog.Logger
}

// New returns a gate over store that records decisions with auditor.
func New(store GateStore, auditor writ.Auditor) *Gate {
	return &Gate{store: store, auditor: auditor, now: writ.Now,
		log: slog.Default().With("component", "scope")}
}

// Authorize decides r. A granted request is audited at once (with Results -1,
// since the reads it will make are not known); use Read to audit a read with
// its row count.
func (g *Gate) Authorize(ctx context.Context, r Request) (*writ.Grant, error) {
	grant, entry, err := g.decide(ctx, r)
	entry.Results = -1
	if aerr := g.record(ctx, entry); aerr != nil {
		return nil, aerr
	}
	return grant, err
}

// Read decides r and, if granted, calls read with the grant. read returns how
// many rows it produced. The granted entry, with that count, is durable in
// the audit log before Read returns nil: callers release the rows only then.
func (g *Gate) Read(ctx context.Context, r Request, read func(*writ.Grant) (int, error)) error {
	grant, entry, err := g.decide(ctx, r)
	if err != nil {
		entry.Results = -1
		if aerr := g.record(ctx, entry); aerr != nil {
			return aerr
		}
		return err
	}
	n, rerr := read(grant)
	entry.Results = int64(n)
	if rerr != nil {
		entry.Reason = "read failed: " + writ.ErrorMessage(rerr)
	}
	if aerr := g.record(ctx, entry); aerr != nil {
		return aerr
	}
	return rerr
}

func (g *Gate) record(ctx context.Context, e *writ.AuditEntry) error {
	// The entry is recorded even if the caller has gone away: a decision that
	// was made must be in the log.
	if _, err := g.auditor.Record(context.WithoutCancel(ctx), e); err != nil {
		g.log.Error("audit append failed; refusing the request", "err", err, "action", e.Action)
		return writ.Errorf(writ.EInternal, "audit log unavailable")
	}
	return nil
}

// Deny records a refusal of r by a rule a caller applies on top of the
// gate's (e.g. the geofence steps), exactly as the gate records its own
// denials, and returns deny (or an internal error if the log cannot take it).
// actor is the user's name for the entry.
func (g *Gate) Deny(ctx context.Context, r Request, actor string, deny error) error {
	e := entryFor(r, g.now())
	e.Actor = actor
	denied(e, deny)
	if err := g.record(ctx, e); err != nil {
		return err
	}
	return deny
}

// entryFor starts the audit entry of a decision on r.
func entryFor(r Request, now time.Time) *writ.AuditEntry {
	e := &writ.AuditEntry{Time: now, ActorID: r.UserID, Action: r.Action, CaseID: r.CaseID,
		AuthorityID: r.AuthorityID, Category: r.Category, Purpose: r.Purpose,
		RawSelectors: r.Selectors, Results: -1}
	if e.Action == "" {
		e.Action = "read." + string(r.Category)
	}
	if !r.From.IsZero() {
		from, to := r.From, r.To
		e.From, e.To = &from, &to
	}
	return e
}

// denied marks e as a denial by err, naming its rule.
func denied(e *writ.AuditEntry, err error) {
	e.Decision = writ.DecisionDenied
	e.Rule = writ.ErrorRule(err)
	if e.Rule == "" {
		e.Rule = "gate_error"
	}
	e.Reason = writ.ErrorMessage(err)
}

// decide loads the facts, evaluates the rules, and mints a grant. It always
// returns the audit entry describing the decision.
func (g *Gate) decide(ctx context.Context, r Request) (*writ.Grant, *writ.AuditEntry, error) {
	now := g.now()
	entry := entryFor(r, now)
	facts, err := g.facts(ctx, r)
	if err == nil {
		if facts.User != nil {
			entry.Actor = facts.User.Username
		}
		err = Evaluate(facts, r, now)
	}
	if err != nil {
		denied(entry, err)
		return nil, entry, err
	}
	spec := grantSpec(facts.Authority, r, now)
	entry.Decision = writ.DecisionGranted
	entry.RawSelectors = spec.Selectors
	return minter.Mint(spec), entry, nil
}

func (g *Gate) facts(ctx context.Context, r Request) (*Facts, error) {
	if fl, ok := g.store.(FactLoader); ok {
		return fl.GateFacts(ctx, r.UserID, r.CaseID, r.AuthorityID)
	}
	f := &Facts{}
	var err error
	if f.User, err = g.store.UserByID(ctx, r.UserID); notFound(err) {
		f.User = nil
	} else if err != nil {
		return nil, err
	}
	if f.Case, err = g.store.CaseByID(ctx, r.CaseID); notFound(err) {
		f.Case = nil
	} else if err != nil {
		return nil, err
	}
	if f.Roster, err = g.store.RosterRole(ctx, r.CaseID, r.UserID); notFound(err) {
		f.Roster = ""
	} else if err != nil {
		return nil, err
	}
	if f.Authority, err = g.store.AuthorityByID(ctx, r.AuthorityID); notFound(err) {
		f.Authority = nil
	} else if err != nil {
		return nil, err
	}
	return f, nil
}

func notFound(err error) bool { return err != nil && writ.ErrorKind(err) == writ.ENotFound }

// grantSpec clips the grant to the authority: the request's selectors (or,
// when it names none, every selector of the category's kind the authority
// names), the request's window, and the request's area or the authority's.
func grantSpec(a *writ.Authority, r Request, now time.Time) writ.GrantSpec {
	sels := r.Selectors
	if len(sels) == 0 {
		kind := writ.SelectorKindFor(r.Category)
		for _, s := range a.Selectors {
			if s.Kind == kind {
				sels = append(sels, s)
			}
		}
	}
	area := r.Area
	if len(area) == 0 {
		area = a.Area
	}
	exp := now.Add(GrantTTL)
	if a.ExpiresAt.Before(exp) {
		exp = a.ExpiresAt
	}
	return writ.GrantSpec{UserID: r.UserID, CaseID: r.CaseID, AuthorityID: a.ID, Kind: a.Kind,
		Category: r.Category, Selectors: sels, From: r.From, To: r.To, Area: area,
		Purpose: r.Purpose, IssuedAt: now, ExpiresAt: exp}
}

// errNoFacts guards against a FactLoader returning nil without an error.
var errNoFacts = errors.New("scope: no facts")
