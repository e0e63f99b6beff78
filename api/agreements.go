package api

import (
	"net/http"
	"strings"

	"github.com/writhq/writ"
)

func (s *Server) handleCreateAgreement(w http.ResponseWriter, r *http.Request, c *caller) error {
	entry := writ.AuditEntry{Action: "agreement.create"}
	if err := c.require("recording an agreement", writ.RoleAdmin, writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	var req NewAgreement
	if err := decode(w, r, &req); err != nil {
		return err
	}
	a := &writ.Agreement{Name: strings.TrimSpace(req.Name), Dataset: strings.TrimSpace(req.Dataset),
		Parties: req.Parties, Purposes: req.Purposes, RetentionDays: req.RetentionDays,
		ExpiresAt: req.ExpiresAt.UTC(), CreatedBy: c.user.ID, CreatedAt: writ.Now()}
	if err := a.Validate(); err != nil {
		return err
	}
	err := s.store.CreateAgreement(r.Context(), a)
	entry.Reason = "agreement " + a.Name + " for " + a.Dataset
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) handleListAgreements(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := s.store.ListAgreements(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleGetAgreement(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.AgreementByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
