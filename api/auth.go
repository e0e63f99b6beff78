package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// CookieName is the browser session cookie.
const CookieName = "writ_session"

// CSRFHeader carries a browser session's CSRF token on unsafe requests.
const CSRFHeader = "X-CSRF-Token"

// APITokenPrefix starts every API token, so leaked tokens are easy to spot.
const APITokenPrefix = "writ_"

// touchEvery throttles last-used updates to one write per session per minute.
const touchEvery = time.Minute

// caller is the signed-in user of a request and how they signed in.
type caller struct {
	user    *writ.User
	session *writ.Session
	hash    []byte // SHA-256 of the secret the request presented
	cookie  bool   // browser session (CSRF applies) rather than an API token
}

func (c *caller) is(roles ...writ.Role) bool { return slices.Contains(roles, c.user.Role) }

// require refuses a caller whose deployment role is not one of roles.
func (c *caller) require(action string, roles ...writ.Role) error {
	if c.is(roles...) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return writ.Deny("role", "%s needs the %s role; %s is %s", action, strings.Join(names, " or "), c.user.Username, c.user.Role)
}

// newSecret returns a random 32-byte secret, base64url-encoded, and its
// SHA-256, which is all the store keeps.
func newSecret(prefix string) (secret string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("session secret: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashSecret(secret), nil
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var errNoAuth = writ.Errorf(writ.EUnauthorized, "sign in first: log in or send an API token")

// authenticate finds the caller from an API token (Authorization: Bearer) or
// a session cookie, checks expiry and that the user is active, and for cookie
// sessions enforces the CSRF token on unsafe methods.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*caller, error) {
	ctx := r.Context()
	var secret string
	kind := writ.SessionAPI
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return nil, writ.Errorf(writ.EUnauthorized, "Authorization header must be: Bearer <token>")
		}
		secret = strings.TrimSpace(tok)
	} else if ck, err := r.Cookie(CookieName); err == nil && ck.Value != "" {
		secret, kind = ck.Value, writ.SessionBrowser
	} else {
		return nil, errNoAuth
	}
	hash := hashSecret(secret)
	sess, err := s.store.SessionByTokenHash(ctx, hash)
	switch {
	case writ.ErrorKind(err) == writ.ENotFound:
		return nil, writ.Errorf(writ.EUnauthorized, "session or token is not valid; log in again")
	case err != nil:
		return nil, err
	case sess.Kind != kind:
		// A session cookie is not an API token and vice versa: each has its own protections.
		return nil, writ.Errorf(writ.EUnauthorized, "session or token is not valid; log in again")
	}
	now := writ.Now()
	if !now.Before(sess.ExpiresAt) {
		s.store.DeleteSession(ctx, hash)
		return nil, writ.Errorf(writ.EUnauthorized, "session or token has expired; log in again")
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if writ.ErrorKind(err) == writ.ENotFound || (err == nil && !u.Active) {
		return nil, writ.Errorf(writ.EUnauthorized, "account is deactivated")
	} else if err != nil {
		return nil, err
	}
	c := &caller{user: u, session: sess, hash: hash, cookie: kind == writ.SessionBrowser}
	if c.cookie && !safeMethod(r.Method) {
		got := r.Header.Get(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return nil, writ.Deny("csrf_token", "missing or wrong %s header", CSRFHeader)
		}
	}
	if now.Sub(sess.LastUsedAt) > touchEvery {
		if err := s.store.TouchSession(ctx, hash); err != nil {
			s.log.WarnContext(ctx, "touch session", "err", err)
		}
	}
	return c, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// setSessionCookie writes the browser session cookie: HttpOnly so scripts
// cannot read it, SameSite=Strict so other sites cannot send it, Secure over TLS.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	ck := &http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || s.cfg.Secure}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	http.SetCookie(w, ck)
}

// clientIP is the address the rate limiter keys on. It is the connection's
// peer; X-Forwarded-For is not trusted, since any client can set it.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
