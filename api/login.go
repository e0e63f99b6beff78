package api

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/writhq/writ"
)

// loginTokenTTL is the life of an API token made by a login with "token": true.
const loginTokenTTL = 30 * 24 * time.Hour

var errBadLogin = writ.Errorf(writ.EUnauthorized, "wrong username or password")

// dummyHash is checked against when the username is unknown, so a failed
// login takes as long whether or not the user exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no such user, no such password")
	return h
})

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	ipKey := "ip:" + clientIP(r)
	userKey := "user:" + strings.ToLower(strings.TrimSpace(req.Username))
	if d := max(s.limiter.wait(ipKey), s.limiter.wait(userKey)); d > 0 {
		return errTooMany{wait: d}
	}
	fail := func() {
		s.limiter.fail(ipKey)
		s.limiter.fail(userKey)
	}
	u, err := s.store.UserByUsername(ctx, strings.TrimSpace(req.Username))
	if writ.ErrorKind(err) == writ.ENotFound {
		CheckPassword(dummyHash(), req.Password)
		fail()
		return errBadLogin
	} else if err != nil {
		return err
	}
	if ok, err := CheckPassword(u.PasswordHash, req.Password); err != nil {
		return err
	} else if !ok {
		fail()
		return s.audited(r, u, writ.AuditEntry{Action: "login"}, writ.Deny("password", "wrong password"), errBadLogin)
	}
	if !u.Active {
		// Said only to someone who knows the password.
		return s.audited(r, u, writ.AuditEntry{Action: "login"}, writ.Deny("user_active", "account is deactivated"), nil)
	}
	s.limiter.reset(userKey)

	now := writ.Now()
	sess := &writ.Session{UserID: u.ID, Kind: writ.SessionBrowser, CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL)}
	var prefix string
	if req.Token {
		name := strings.TrimSpace(req.TokenName)
		if name == "" {
			name = "login " + now.Format(time.DateOnly)
		}
		sess.Kind, sess.Name, sess.ExpiresAt, prefix = writ.SessionAPI, name, now.Add(loginTokenTTL), APITokenPrefix
	} else {
		csrf, _, err := newSecret("")
		if err != nil {
			return err
		}
		sess.CSRFToken = csrf
	}
	secret, hash, err := newSecret(prefix)
	if err != nil {
		return err
	}
	sess.TokenHash = hash
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return err
	}
	if err := s.audited(r, u, writ.AuditEntry{Action: "login", Reason: "session: " + string(sess.Kind)}, nil, nil); err != nil {
		return err
	}
	resp := LoginResponse{User: u, ExpiresAt: sess.ExpiresAt}
	if req.Token {
		resp.Token, resp.TokenID = secret, hex.EncodeToString(hash)
	} else {
		resp.CSRFToken = sess.CSRFToken
		s.setSessionCookie(w, r, secret, sess.ExpiresAt)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleLogout ends the session or revokes the API token the request used.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.store.DeleteSession(r.Context(), c.hash); err != nil {
		return err
	}
	if c.cookie {
		s.setSessionCookie(w, r, "", time.Time{})
	}
	if err := s.audited(r, c.user, writ.AuditEntry{Action: "logout"}, nil, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	resp := MeResponse{User: c.user, Session: c.session.Kind, ExpiresAt: c.session.ExpiresAt}
	if c.cookie {
		resp.CSRFToken = c.session.CSRFToken
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req PasswordChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	// The current password is a second factor against a stolen session, so
	// guessing it is rate limited like a login.
	userKey := "user:" + strings.ToLower(c.user.Username)
	if d := s.limiter.wait(userKey); d > 0 {
		return errTooMany{wait: d}
	}
	if ok, err := CheckPassword(c.user.PasswordHash, req.Current); err != nil {
		return err
	} else if !ok {
		s.limiter.fail(userKey)
		return s.audited(r, c.user, writ.AuditEntry{Action: "user.password"}, writ.Deny("password", "current password is wrong"), nil)
	}
	hash, err := HashPassword(req.New)
	if err != nil {
		return err
	}
	_, err = s.store.UpdateUser(r.Context(), c.user.ID, writ.UserUpdate{PasswordHash: &hash})
	if err == nil {
		// Other sessions and tokens may be the reason for the change: end them.
		_, err = s.store.DeleteUserSessions(r.Context(), c.user.ID, c.hash)
	}
	if err := s.audited(r, c.user, writ.AuditEntry{Action: "user.password", Reason: "own password changed; other sessions ended"}, err, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// audited writes an administrative action to the audit log: done when err is
// nil, denied when err is a forbidden error; other errors (bad input, not
// found) change nothing and are not recorded. It returns shown if set, else
// err, or an internal error if the log could not record the entry.
func (s *Server) audited(r *http.Request, actor *writ.User, e writ.AuditEntry, err, shown error) error {
	return s.auditedRows(r, actor, e, -1, err, shown)
}

// auditedRows is audited for an action that returns rows: results is their
// count (-1 when the action returns none).
func (s *Server) auditedRows(r *http.Request, actor *writ.User, e writ.AuditEntry, results int64, err, shown error) error {
	switch {
	case err == nil:
		e.Decision = writ.DecisionDone
	case writ.ErrorKind(err) == writ.EForbidden:
		e.Decision = writ.DecisionDenied
		e.Rule = writ.ErrorRule(err)
		e.Reason = writ.ErrorMessage(err)
	default:
		return err
	}
	e.Time = writ.Now()
	e.ActorID, e.Actor = actor.ID, actor.Username
	e.Results = results
	if e.Decision == writ.DecisionDenied {
		e.Results = -1
	}
	// Recorded even if the client went away: what was done must be in the log.
	if _, aerr := s.audit.Record(context.WithoutCancel(r.Context()), &e); aerr != nil {
		s.log.ErrorContext(r.Context(), "audit append failed", "action", e.Action, "err", aerr)
		return writ.Errorf(writ.EInternal, "audit log unavailable")
	}
	if shown != nil {
		return shown
	}
	return err
}
