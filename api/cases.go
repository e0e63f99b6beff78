package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// rosterRole returns the caller's role on the case, or "" when not on it.
func (s *Server) rosterRole(ctx context.Context, c *caller, caseID int64) (writ.RosterRole, error) {
	role, err := s.store.RosterRole(ctx, caseID, c.user.ID)
	if writ.ErrorKind(err) == writ.ENotFound {
		return "", nil
	}
	return role, err
}

// caseFor loads a case the caller may see: its roster, plus any of the given
// deployment roles. Others are refused without learning whether it exists.
func (s *Server) caseFor(ctx context.Context, c *caller, id int64, roles ...writ.Role) (*writ.Case, writ.RosterRole, error) {
	role, err := s.rosterRole(ctx, c, id)
	if err != nil {
		return nil, "", err
	}
	if role == "" && !c.is(roles...) {
		return nil, "", writ.Deny("roster_member", "%s is not on the roster of case %d", c.user.Username, id)
	}
	cs, err := s.store.CaseByID(ctx, id)
	return cs, role, err
}

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request, c *caller) error {
	f := writ.CaseFilter{Status: writ.CaseStatus(r.URL.Query().Get("status"))}
	if f.Status != "" && !f.Status.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown case status %q", f.Status)
	}
	if !c.is(writ.RoleAdmin, writ.RoleAuditor) {
		f.MemberID = c.user.ID
	}
	list, err := s.store.ListCases(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleCreateCase(w http.ResponseWriter, r *http.Request, c *caller) error {
	entry := writ.AuditEntry{Action: "case.create"}
	if err := c.require("opening a case", writ.RoleInvestigator, writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	var req NewCase
	if err := decode(w, r, &req); err != nil {
		return err
	}
	title := strings.TrimSpace(req.Title)
	if title == "" || utf8.RuneCountInString(title) > 200 {
		return writ.Errorf(writ.EInvalid, "case needs a title of 1-200 characters")
	}
	now := writ.Now()
	cs := &writ.Case{Title: title, Description: strings.TrimSpace(req.Description), Status: writ.CaseOpen,
		CreatedBy: c.user.ID, CreatedAt: now, UpdatedAt: now}
	err := s.store.CreateCase(r.Context(), cs, c.user.ID)
	entry.CaseID = cs.ID
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, cs)
	return nil
}

func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cs, _, err := s.caseFor(r.Context(), c, id, writ.RoleAdmin, writ.RoleAuditor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

// leadOrSupervisor refuses callers who are neither the case's lead nor a supervisor.
func (s *Server) leadOrSupervisor(ctx context.Context, c *caller, caseID int64, action string) error {
	if c.is(writ.RoleSupervisor) {
		return nil
	}
	role, err := s.rosterRole(ctx, c, caseID)
	if err != nil {
		return err
	}
	if role != writ.RosterLead {
		return writ.Deny("lead_or_supervisor", "%s needs the case lead or a supervisor", action)
	}
	return nil
}

func (s *Server) handleCaseStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req StatusChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !req.Status.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown case status %q (want open, closed or sealed)", req.Status)
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "case.status", CaseID: id, Reason: "status " + string(req.Status)}
	if err := s.leadOrSupervisor(ctx, c, id, "changing a case's status"); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	cs, err := s.store.SetCaseStatus(ctx, id, req.Status)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

func (s *Server) handleRoster(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, _, err := s.caseFor(ctx, c, id, writ.RoleSupervisor); err != nil {
		return err
	}
	list, err := s.store.Roster(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleAddToRoster(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req RosterAdd
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = writ.RosterMember
	}
	if !req.Role.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown roster role %q (want lead or member)", req.Role)
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "roster.add", CaseID: id, Reason: fmt.Sprintf("user %d as %s", req.UserID, req.Role)}
	if err := s.leadOrSupervisor(ctx, c, id, "changing the roster"); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if err := s.openCase(ctx, id, writ.CaseOpen, writ.CaseClosed); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, req.UserID)
	if err != nil {
		return err
	}
	// Only people who work cases join a team; roster membership is what
	// opens case data, so admins and auditors stay off it.
	if !u.Active || (u.Role != writ.RoleInvestigator && u.Role != writ.RoleSupervisor) {
		return writ.Errorf(writ.EInvalid, "only active investigators and supervisors can join a case team; %s is %s", u.Username, u.Role)
	}
	e := &writ.RosterEntry{CaseID: id, UserID: u.ID, Username: u.Username, Role: req.Role, AddedBy: c.user.ID, AddedAt: writ.Now()}
	err = s.store.AddToRoster(ctx, e)
	if writ.ErrorKind(err) == writ.EConflict {
		err = writ.Errorf(writ.EConflict, "%s is already on the roster", u.Username)
	}
	entry.Reason = fmt.Sprintf("%s as %s", u.Username, req.Role)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) handleRemoveFromRoster(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(r, "user")
	if err != nil {
		return err
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "roster.remove", CaseID: id, Reason: fmt.Sprintf("user %d", userID)}
	if err := s.leadOrSupervisor(ctx, c, id, "changing the roster"); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	roster, err := s.store.Roster(ctx, id)
	if err != nil {
		return err
	}
	var target *writ.RosterEntry
	for _, e := range roster {
		if e.UserID == userID {
			target = e
		}
	}
	switch {
	case target == nil:
		return writ.Errorf(writ.ENotFound, "user %d is not on the roster of case %d", userID, id)
	case target.Role == writ.RosterLead && countLeads(roster) == 1:
		return writ.Errorf(writ.EConflict, "cannot remove the case's only lead; add another lead first")
	}
	err = s.store.RemoveFromRoster(ctx, id, userID)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func countLeads(roster []*writ.RosterEntry) int {
	n := 0
	for _, e := range roster {
		if e.Role == writ.RosterLead {
			n++
		}
	}
	return n
}

// openCase refuses changes to a case whose status is not one of ok.
func (s *Server) openCase(ctx context.Context, id int64, ok ...writ.CaseStatus) error {
	cs, err := s.store.CaseByID(ctx, id)
	if err != nil {
		return err
	}
	for _, st := range ok {
		if cs.Status == st {
			return nil
		}
	}
	return writ.Errorf(writ.EConflict, "case %d is %s", id, cs.Status)
}

func (s *Server) handleSubjects(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	cs, _, err := s.caseFor(ctx, c, id)
	if err != nil {
		return err
	}
	if cs.Status == writ.CaseSealed {
		return writ.Deny("case_open", "case %d is sealed", id)
	}
	list, err := s.store.Subjects(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleCreateSubject(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req NewSubject
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "subject.create", CaseID: id}
	cs, _, err := s.caseFor(ctx, c, id)
	if err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if cs.Status != writ.CaseOpen {
		return writ.Errorf(writ.EConflict, "case %d is %s", id, cs.Status)
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return writ.Errorf(writ.EInvalid, "subject needs a name of 1-200 characters")
	}
	sub := &writ.Subject{CaseID: id, Name: name, Notes: strings.TrimSpace(req.Notes), CreatedBy: c.user.ID, CreatedAt: writ.Now()}
	err = s.store.CreateSubject(ctx, sub)
	// The subject's name is not put in the log: it is case data.
	entry.Reason = fmt.Sprintf("subject %d", sub.ID)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}
