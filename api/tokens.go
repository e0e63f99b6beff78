package api

import (
	"encoding/hex"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/writhq/writ"
)

// API token lifetimes.
const (
	defaultTokenDays = 90
	maxTokenDays     = 365
)

func tokenOf(s *writ.Session) Token {
	return Token{ID: hex.EncodeToString(s.TokenHash), Name: s.Name, CreatedAt: s.CreatedAt,
		ExpiresAt: s.ExpiresAt, LastUsedAt: s.LastUsedAt}
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req TokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case req.Name == "" || utf8.RuneCountInString(req.Name) > 100:
		return writ.Errorf(writ.EInvalid, "token needs a name of 1-100 characters")
	case req.ExpiresInDays < 0 || req.ExpiresInDays > maxTokenDays:
		return writ.Errorf(writ.EInvalid, "expires_in_days must be between 1 and %d", maxTokenDays)
	case req.ExpiresInDays == 0:
		req.ExpiresInDays = defaultTokenDays
	}
	secret, hash, err := newSecret(APITokenPrefix)
	if err != nil {
		return err
	}
	now := writ.Now()
	sess := &writ.Session{TokenHash: hash, UserID: c.user.ID, Kind: writ.SessionAPI, Name: req.Name,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)}
	err = s.store.CreateSession(r.Context(), sess)
	if err := s.audited(r, c.user, writ.AuditEntry{Action: "token.create", Reason: "token " + req.Name}, err, nil); err != nil {
		return err
	}
	t := tokenOf(sess)
	t.Secret = secret
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := s.store.ListAPITokens(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	out := make([]Token, 0, len(list))
	for _, t := range list {
		out = append(out, tokenOf(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleRevokeToken deletes one of the caller's own API tokens.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	hash, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(hash) != 32 {
		return writ.Errorf(writ.EInvalid, "token id must be 64 hex digits")
	}
	ctx := r.Context()
	sess, err := s.store.SessionByTokenHash(ctx, hash)
	if err == nil && (sess.UserID != c.user.ID || sess.Kind != writ.SessionAPI) {
		err = writ.Errorf(writ.ENotFound, "no such token") // someone else's is not yours to know of
	}
	if err != nil {
		return err
	}
	err = s.store.DeleteSession(ctx, hash)
	if err := s.audited(r, c.user, writ.AuditEntry{Action: "token.revoke", Reason: "token " + sess.Name}, err, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
