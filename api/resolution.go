package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

// Entity resolution. Running it is an administrator's action that returns
// counts, never case data. Inspecting an entity, explaining a pair,
// deciding and requesting a link of an entity to a subject are
// investigators' actions, each under a records grant from the gate and each
// in the audit log. A link reaches nothing until a supervisor other than
// its requester approves it; approvals and rejections are audited too.

// ResolveQuery names the authority and purpose of a resolution read.
type ResolveQuery struct {
	AuthorityID int64  `json:"authority"`
	Purpose     string `json:"purpose"`
}

// EntityPage is an entity as the grant it was read under may see it.
type EntityPage struct {
	Grant  GrantInfo            `json:"grant"`
	Entity *writ.ResolvedEntity `json:"entity"`
}

// ExplainPage is the waterfall of a pair, with the grant it was read under.
type ExplainPage struct {
	Grant       GrantInfo             `json:"grant"`
	Explanation *writ.PairExplanation `json:"explanation"`
}

// DecisionRequest asks to add a decision to the ledger.
type DecisionRequest struct {
	ResolveQuery
	Kind   writ.DecisionKind `json:"kind"`
	A      int64             `json:"a,omitempty"`
	B      int64             `json:"b,omitempty"`
	Groups [][]int64         `json:"groups,omitempty"`
	Reason string            `json:"reason"`
}

// LinkRequest asks to link the entity holding Record to a case subject.
type LinkRequest struct {
	ResolveQuery
	Record int64  `json:"record"`
	Reason string `json:"reason"`
}

func (s *Server) handleRunResolution(w http.ResponseWriter, r *http.Request, c *caller) error {
	entry := writ.AuditEntry{Action: "resolve.run"}
	if err := c.require("running entity resolution", writ.RoleAdmin); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	var spec writ.ResolutionSpec
	if err := decode(w, r, &spec); err != nil {
		return err
	}
	run, err := s.store.RunResolution(r.Context(), spec, c.user.ID, c.user.Username)
	if err != nil {
		return err
	}
	entry.Reason = RunSummary(run)
	if err := s.audited(r, c.user, entry, nil, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, run)
	return nil
}

// RunSummary is the audit line of a run: what it read and what it found.
func RunSummary(run *writ.ResolutionRun) string {
	return fmt.Sprintf("run %d over %s: %d records, %d links, %d entities, %d decisions (%d skipped)", run.ID,
		strings.Join(run.Spec.Datasets, ","), run.Records, run.Links, run.Entities, run.Decisions, run.Skipped)
}

// resolveGrant runs fn under a records grant for the caller's request, in
// the gate's audited Read; fn returns how many records it released.
func (s *Server) resolveGrant(ctx context.Context, c *caller, caseID int64, q ResolveQuery, action string,
	sels []writ.Selector, fn func(*writ.Grant) (int, error)) (*writ.Grant, error) {
	rq := ReadQuery{AuthorityID: q.AuthorityID, Purpose: strings.TrimSpace(q.Purpose)}
	if rq.AuthorityID <= 0 {
		return nil, writ.Errorf(writ.EInvalid, "authority must be the id of the authority this runs under")
	}
	if err := s.defaultWindow(ctx, &rq); err != nil {
		return nil, err
	}
	req := scope.Request{UserID: c.user.ID, CaseID: caseID, AuthorityID: rq.AuthorityID, Category: writ.CatRecords,
		Selectors: sels, From: rq.From, To: rq.To, Purpose: rq.Purpose, Action: action}
	var grant *writ.Grant
	err := s.gate.Read(ctx, req, func(g *writ.Grant) (int, error) { grant = g; return fn(g) })
	return grant, err
}

// resolveQuery reads authority, purpose and the named ids from a query string.
func resolveQuery(raw string, ids ...string) (ResolveQuery, []int64, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return ResolveQuery{}, nil, writ.Errorf(writ.EInvalid, "bad query string: %v", err)
	}
	allowed := map[string]bool{"authority": true, "purpose": true}
	for _, id := range ids {
		allowed[id] = true
	}
	for k := range v {
		if !allowed[k] {
			return ResolveQuery{}, nil, writ.Errorf(writ.EInvalid, "unknown query parameter %q", k)
		}
	}
	q := ResolveQuery{Purpose: v.Get("purpose")}
	q.AuthorityID, _ = strconv.ParseInt(v.Get("authority"), 10, 64)
	var out []int64
	for _, name := range ids {
		id, err := strconv.ParseInt(v.Get(name), 10, 64)
		if err != nil || id <= 0 {
			return q, nil, writ.Errorf(writ.EInvalid, "%s must be a record id", name)
		}
		out = append(out, id)
	}
	return q, out, nil
}

func (s *Server) handleEntity(w http.ResponseWriter, r *http.Request, c *caller) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	record, err := pathID(r, "record")
	if err != nil {
		return err
	}
	q, _, err := resolveQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	var e *writ.ResolvedEntity
	g, err := s.resolveGrant(r.Context(), c, caseID, q, "read.entity", nil, func(g *writ.Grant) (int, error) {
		var err error
		if e, err = s.store.ResolvedEntity(r.Context(), g, record); err != nil {
			return 0, err
		}
		return len(e.Records), nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, EntityPage{Grant: grantInfo(g), Entity: e})
	return nil
}

func (s *Server) handleExplainPair(w http.ResponseWriter, r *http.Request, c *caller) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, ids, err := resolveQuery(r.URL.RawQuery, "a", "b")
	if err != nil {
		return err
	}
	var x *writ.PairExplanation
	g, err := s.resolveGrant(r.Context(), c, caseID, q, "read.explain", nil, func(g *writ.Grant) (int, error) {
		var err error
		if x, err = s.store.ExplainPair(r.Context(), g, ids[0], ids[1]); err != nil {
			return 0, err
		}
		return 2, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ExplainPage{Grant: grantInfo(g), Explanation: x})
	return nil
}

func (s *Server) handleDecide(w http.ResponseWriter, r *http.Request, c *caller) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req DecisionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d := &writ.ResolutionDecision{Kind: req.Kind, A: req.A, B: req.B, Groups: req.Groups, Reason: strings.TrimSpace(req.Reason)}
	if err := d.Validate(); err != nil {
		return err
	}
	grant, err := s.resolveGrant(r.Context(), c, caseID, req.ResolveQuery, "resolve.decide", nil, func(g *writ.Grant) (int, error) {
		return 0, s.store.AppendDecision(r.Context(), g, d)
	})
	// The gate logged the grant; this entry logs what was decided.
	entry := writ.AuditEntry{Action: "resolve.decision", CaseID: caseID, AuthorityID: req.AuthorityID, Category: writ.CatRecords,
		Purpose: req.Purpose, Reason: fmt.Sprintf("decision %d: %s records %v", d.ID, d.Kind, d.Records())}
	if err != nil && grant == nil {
		return err // the gate refused, and its entry says why
	}
	if err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if err := s.audited(r, c.user, entry, nil, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) handleLinkEntity(w http.ResponseWriter, r *http.Request, c *caller) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	subject, err := pathID(r, "subject")
	if err != nil {
		return err
	}
	var req LinkRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Record <= 0 || strings.TrimSpace(req.Reason) == "" {
		return writ.Errorf(writ.EInvalid, "a link names a record of the entity and a reason")
	}
	l := &writ.SubjectLink{SubjectID: subject, Entity: req.Record, Reason: strings.TrimSpace(req.Reason)}
	sel := []writ.Selector{{Kind: writ.SelSubject, Value: strconv.FormatInt(subject, 10)}}
	grant, err := s.resolveGrant(r.Context(), c, caseID, req.ResolveQuery, "resolve.link", sel, func(g *writ.Grant) (int, error) {
		return 0, s.store.LinkEntity(r.Context(), g, l)
	})
	entry := writ.AuditEntry{Action: "resolve.link", CaseID: caseID, AuthorityID: req.AuthorityID, Category: writ.CatRecords,
		Purpose: req.Purpose, Reason: fmt.Sprintf("link %d requested: entity %d of run %d (%d records) to subject %d", l.ID, l.Entity, l.RunID, len(l.Records), subject)}
	if err != nil && grant == nil {
		return err // the gate refused, and its entry says why
	}
	if err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if err := s.audited(r, c.user, entry, nil, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

// caseLink loads link {link} of case {id}; a link of another case is not found.
func (s *Server) caseLink(r *http.Request) (*writ.SubjectLink, int64, error) {
	caseID, err := pathID(r, "id")
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "link")
	if err != nil {
		return nil, 0, err
	}
	l, err := s.store.SubjectLinkByID(r.Context(), id)
	if err == nil && l.CaseID != caseID {
		err = writ.Errorf(writ.ENotFound, "subject link %d not found in case %d", id, caseID)
	}
	return l, id, err
}

func linkSummary(l *writ.SubjectLink) string {
	return fmt.Sprintf("link %d: entity %d of run %d (%d records) to subject %d, requested by user %d",
		l.ID, l.Entity, l.RunID, len(l.Records), l.SubjectID, l.LinkedBy)
}

// handleApproveSubjectLink approves a requested subject link, which makes
// its records reachable under grants naming the subject. The approver must
// be a supervisor and not the requester (the second-person rule); the store
// and the database refuse self-approval as well.
func (s *Server) handleApproveSubjectLink(w http.ResponseWriter, r *http.Request, c *caller) error {
	entry := writ.AuditEntry{Action: "resolve.link.approve", Category: writ.CatRecords}
	entry.CaseID, _ = pathID(r, "id")
	if err := c.require("approving a subject link", writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	l, id, err := s.caseLink(r)
	if err != nil {
		entry.Reason = fmt.Sprintf("link %d", id)
		return s.audited(r, c.user, entry, err, nil)
	}
	entry.Reason = linkSummary(l)
	if l.LinkedBy == c.user.ID {
		return s.audited(r, c.user, entry, writ.Deny("second_person",
			"subject link %d was requested by %s; a second person must approve it", l.ID, c.user.Username), nil)
	}
	l, err = s.store.ApproveSubjectLink(r.Context(), l.ID, c.user.ID)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// handleRejectSubjectLink rejects a requested subject link or revokes an
// approved one (supervisors, with a reason); either way it reaches nothing.
func (s *Server) handleRejectSubjectLink(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req Revocation
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		return writ.Errorf(writ.EInvalid, "rejecting a subject link needs a reason")
	}
	entry := writ.AuditEntry{Action: "resolve.link.reject", Category: writ.CatRecords}
	entry.CaseID, _ = pathID(r, "id")
	if err := c.require("rejecting a subject link", writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	l, id, err := s.caseLink(r)
	if err != nil {
		entry.Reason = fmt.Sprintf("link %d: %s", id, reason)
		return s.audited(r, c.user, entry, err, nil)
	}
	entry.Reason = linkSummary(l) + ": " + reason
	l, err = s.store.RejectSubjectLink(r.Context(), l.ID, c.user.ID, reason)
	if err == nil {
		entry.Reason = string(l.Status) + " " + entry.Reason
	}
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) routeResolution() {
	s.authed("POST /api/resolution/runs", s.handleRunResolution)
	s.authed("GET /api/cases/{id}/entities/{record}", s.handleEntity)
	s.authed("GET /api/cases/{id}/resolution/explain", s.handleExplainPair)
	s.authed("POST /api/cases/{id}/resolution/decisions", s.handleDecide)
	s.authed("POST /api/cases/{id}/subjects/{subject}/entities", s.handleLinkEntity)
	s.authed("POST /api/cases/{id}/subject-links/{link}/approve", s.handleApproveSubjectLink)
	s.authed("POST /api/cases/{id}/subject-links/{link}/reject", s.handleRejectSubjectLink)
}
