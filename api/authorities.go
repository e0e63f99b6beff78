package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/writhq/writ"
)

func (s *Server) handleListAuthorities(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := writ.AuthorityFilter{CaseID: id, Status: writ.AuthorityStatus(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", writ.AuthRequested, writ.AuthApproved, writ.AuthRevoked:
	default:
		return writ.Errorf(writ.EInvalid, "unknown authority status %q (want requested, approved or revoked)", f.Status)
	}
	ctx := r.Context()
	if _, _, err := s.caseFor(ctx, c, id, writ.RoleSupervisor); err != nil {
		return err
	}
	list, err := s.store.ListAuthorities(ctx, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleRequestAuthority(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req AuthorityRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "authority.request", CaseID: id}
	cs, _, err := s.caseFor(ctx, c, id) // roster members only
	if err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	if cs.Status != writ.CaseOpen {
		return writ.Errorf(writ.EConflict, "case %d is %s; authorities are requested on open cases", id, cs.Status)
	}
	a := &writ.Authority{CaseID: id, Kind: req.Kind, IssuingBody: strings.TrimSpace(req.IssuingBody),
		Reference: strings.TrimSpace(req.Reference), IssuedAt: req.IssuedAt.UTC(), ExpiresAt: req.ExpiresAt.UTC(),
		Categories: req.Categories, Selectors: req.Selectors, WindowStart: req.WindowStart.UTC(),
		WindowEnd: req.WindowEnd.UTC(), Area: req.Area, Status: writ.AuthRequested,
		RequestedBy: c.user.ID, CreatedAt: writ.Now()}
	if err := a.Validate(); err != nil {
		return err
	}
	err = s.store.CreateAuthority(ctx, a)
	entry.AuthorityID = a.ID
	entry.Reason = string(a.Kind) + " " + a.Reference
	entry.RawSelectors = a.Selectors
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// authorityFor loads an authority the caller may see: the roster of its case,
// or a supervisor.
func (s *Server) authorityFor(ctx context.Context, c *caller, id int64) (*writ.Authority, error) {
	a, err := s.store.AuthorityByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.caseFor(ctx, c, a.CaseID, writ.RoleSupervisor); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Server) handleGetAuthority(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.authorityFor(r.Context(), c, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// handleApproveAuthority approves a requested authority. The approver must be
// a supervisor and not the requester (the second-person rule); the store and
// the database refuse self-approval as well.
func (s *Server) handleApproveAuthority(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	entry := writ.AuditEntry{Action: "authority.approve", AuthorityID: id}
	if err := c.require("approving an authority", writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	a, err := s.store.AuthorityByID(ctx, id)
	if err != nil {
		return err
	}
	entry.CaseID = a.CaseID
	entry.Reason = string(a.Kind) + " " + a.Reference
	if a.RequestedBy == c.user.ID {
		return s.audited(r, c.user, entry, writ.Deny("second_person",
			"authority %d was requested by %s; a second person must approve it", id, c.user.Username), nil)
	}
	a, err = s.store.ApproveAuthority(ctx, id, c.user.ID)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// handleRevokeAuthority revokes an authority: a supervisor or the case lead,
// with a reason.
func (s *Server) handleRevokeAuthority(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req Revocation
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		return writ.Errorf(writ.EInvalid, "revoking an authority needs a reason")
	}
	ctx := r.Context()
	a, err := s.store.AuthorityByID(ctx, id)
	if err != nil {
		return err
	}
	entry := writ.AuditEntry{Action: "authority.revoke", CaseID: a.CaseID, AuthorityID: id, Reason: reason}
	if err := s.leadOrSupervisor(ctx, c, a.CaseID, "revoking an authority"); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	a, err = s.store.RevokeAuthority(ctx, id, c.user.ID, reason)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
