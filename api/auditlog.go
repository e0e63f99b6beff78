package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/writhq/writ"
)

// The audit log is for auditors: they list entries, fetch the latest signed
// checkpoint and inclusion proofs, and export the log to verify it offline.

// maxAuditPage bounds one listing of audit entries.
const maxAuditPage = 1000

func (s *Server) handleAuditEntries(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.require("reading the audit log", writ.RoleAuditor); err != nil {
		return err
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return writ.Errorf(writ.EInvalid, "bad query string: %v", err)
	}
	f, err := parseAuditFilter(v)
	if err != nil {
		return err
	}
	list, err := s.audit.Entries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func parseAuditFilter(v url.Values) (writ.AuditFilter, error) {
	f := writ.AuditFilter{Limit: 100}
	for k := range v {
		switch k {
		case "from", "limit", "case", "actor":
		default:
			return f, writ.Errorf(writ.EInvalid, "unknown query parameter %q", k)
		}
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &f.From}, {"case", &f.CaseID}, {"actor", &f.Actor}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return f, writ.Errorf(writ.EInvalid, "%s must be a non-negative integer", p.name)
			}
			*p.dst = n
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > maxAuditPage {
			return f, writ.Errorf(writ.EInvalid, "limit must be 1-%d", maxAuditPage)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) handleAuditCheckpoint(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.require("reading the audit log", writ.RoleAuditor); err != nil {
		return err
	}
	note, err := s.audit.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Checkpoint{Note: note})
	return nil
}

// handleAuditProof returns the inclusion proof of one entry in the latest
// checkpoint; audit.CheckProof checks it with nothing but the verifier key.
func (s *Server) handleAuditProof(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.require("reading the audit log", writ.RoleAuditor); err != nil {
		return err
	}
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return writ.Errorf(writ.EInvalid, "index must be a non-negative integer")
	}
	p, err := s.audit.Prove(r.Context(), index)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) handleAuditKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.require("reading the audit log", writ.RoleAuditor); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, VerifierKey{Key: s.audit.VerifierKey()})
	return nil
}

// handleAuditExport streams the whole log. The export is itself recorded
// first: who took a copy of the log is part of the log.
func (s *Server) handleAuditExport(w http.ResponseWriter, r *http.Request, c *caller) error {
	err := c.require("exporting the audit log", writ.RoleAuditor)
	if err := s.audited(r, c.user, writ.AuditEntry{Action: "audit.export"}, err, nil); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="writ-audit.ndjson"`)
	if err := s.audit.Export(r.Context(), w); err != nil {
		// Headers are sent; all that is left is to log and cut the stream.
		s.log.ErrorContext(r.Context(), "audit export failed", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
