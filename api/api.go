// Package api is writ's HTTP JSON API: the server, with its authentication
// (browser sessions with CSRF tokens, API tokens for scripts), and a Go
// client that the CLI uses, so the CLI is just another user of the API.
//
// Every read of case data goes through the scope gate, and every state change
// that matters is written to the audit log. docs/api.md describes the API;
// openapi.json is its machine-readable form.
package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/lookout"
	"github.com/writhq/writ/scope"
)

// AuditLog is what the server needs of the audit log (package audit's *Log).
type AuditLog interface {
	writ.Auditor
	Entries(ctx context.Context, f writ.AuditFilter) ([]writ.AuditEntry, error)
	Checkpoint(ctx context.Context) (string, error)
	Prove(ctx context.Context, index int64) (*audit.Proof, error)
	Export(ctx context.Context, w io.Writer) error
	VerifierKey() string
}

var _ AuditLog = (*audit.Log)(nil)

// Config is what a Server is built from.
type Config struct {
	Store  writ.Store
	Gate   *scope.Gate
	Audit  AuditLog
	Logger *slog.Logger
	// Secure marks session cookies Secure even when this process does not
	// terminate TLS itself (behind a TLS proxy).
	Secure bool
	// SessionTTL is how long a browser session lasts; zero means 12 hours.
	SessionTTL time.Duration
	// LoginFailures failures per LoginWindow, per username and per client
	// address, lock further logins out; zero means 5 per minute.
	LoginFailures int
	LoginWindow   time.Duration
	// Mappings finds a mapping by name for streamed ingest
	// (POST /api/ingest/streams/{stream}); nil disables it.
	Mappings func(name string) (*ingest.Mapping, error)
	// GeoSecret keys the pseudonymous device tokens of geofence step 1
	// (per authority, geo.AuthorityKey); empty: random per process.
	GeoSecret []byte
	// Lookouts runs lookouts and delivers their alerts; nil disables them.
	Lookouts *lookout.Service
}

// Server serves the API. It is an http.Handler.
type Server struct {
	cfg     Config
	store   writ.Store
	gate    *scope.Gate
	audit   AuditLog
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	limiter *limiter
	cop     *http.CrossOriginProtection
	routes  []string // registered patterns, for the OpenAPI test
}

// NewServer returns a server for cfg.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = time.Minute
	}
	s := &Server{cfg: cfg, store: cfg.Store, gate: cfg.Gate, audit: cfg.Audit,
		log: cfg.Logger.With("component", "api"), mux: http.NewServeMux(),
		limiter: newLimiter(cfg.LoginFailures, cfg.LoginWindow),
		cop:     http.NewCrossOriginProtection()}
	s.routeAll()
	s.handler = s.headers(s.crossOrigin(s.mux))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the registered route patterns ("GET /api/cases/{id}").
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// headers sets the security headers every response carries. The API serves
// no HTML, so its content policy allows nothing.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil || s.cfg.Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses unsafe requests that a browser marks as cross-origin
// (Sec-Fetch-Site, or Origin not matching Host), before any handler runs.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.cop.Check(r); err != nil {
			s.writeError(w, r, writ.Deny("csrf_origin", "cross-origin request refused"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handle registers a public endpoint.
func (s *Server) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed registers an endpoint that needs a signed-in, active user.
func (s *Server) authed(pattern string, h func(http.ResponseWriter, *http.Request, *caller) error) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.authenticate(w, r)
		if err != nil {
			return err
		}
		return h(w, r, c)
	})
}

func (s *Server) routeAll() {
	s.handle("GET /{$}", s.handleIndex)
	s.handle("GET /healthz", s.handleHealth)
	s.handle("GET /api/openapi.json", s.handleOpenAPI)

	s.handle("POST /api/login", s.handleLogin)
	s.authed("POST /api/logout", s.handleLogout)
	s.authed("GET /api/me", s.handleMe)
	s.authed("PUT /api/me/password", s.handleChangePassword)

	s.authed("GET /api/tokens", s.handleListTokens)
	s.authed("POST /api/tokens", s.handleCreateToken)
	s.authed("DELETE /api/tokens/{id}", s.handleRevokeToken)

	s.authed("GET /api/users", s.handleListUsers)
	s.authed("POST /api/users", s.handleCreateUser)
	s.authed("PATCH /api/users/{id}", s.handleUpdateUser)

	s.authed("GET /api/cases", s.handleListCases)
	s.authed("POST /api/cases", s.handleCreateCase)
	s.authed("GET /api/cases/{id}", s.handleGetCase)
	s.authed("PUT /api/cases/{id}/status", s.handleCaseStatus)
	s.authed("GET /api/cases/{id}/roster", s.handleRoster)
	s.authed("POST /api/cases/{id}/roster", s.handleAddToRoster)
	s.authed("DELETE /api/cases/{id}/roster/{user}", s.handleRemoveFromRoster)
	s.authed("GET /api/cases/{id}/subjects", s.handleSubjects)
	s.authed("POST /api/cases/{id}/subjects", s.handleCreateSubject)

	s.authed("GET /api/cases/{id}/authorities", s.handleListAuthorities)
	s.authed("POST /api/cases/{id}/authorities", s.handleRequestAuthority)
	s.authed("GET /api/authorities/{id}", s.handleGetAuthority)
	s.authed("POST /api/authorities/{id}/approve", s.handleApproveAuthority)
	s.authed("POST /api/authorities/{id}/revoke", s.handleRevokeAuthority)

	s.authed("GET /api/agreements", s.handleListAgreements)
	s.authed("POST /api/agreements", s.handleCreateAgreement)
	s.authed("GET /api/agreements/{id}", s.handleGetAgreement)

	s.authed("GET /api/cases/{id}/contacts", s.handleContacts)
	s.authed("GET /api/cases/{id}/pings", s.handlePings)
	s.authed("GET /api/cases/{id}/plate-reads", s.handlePlateReads)
	s.authed("GET /api/cases/{id}/records", s.handleRecords)

	s.routeLocation()

	s.authed("POST /api/ingest/streams/{stream}", s.handleIngestStream)
	s.routeResolution()
	s.routeComms()
	s.routeLookouts()

	s.authed("GET /api/audit/entries", s.handleAuditEntries)
	s.authed("GET /api/audit/checkpoint", s.handleAuditCheckpoint)
	s.authed("GET /api/audit/proof/{index}", s.handleAuditProof)
	s.authed("GET /api/audit/key", s.handleAuditKey)
	s.authed("GET /api/audit/export", s.handleAuditExport)

	// Anything else is a JSON 404, not the mux's plain text.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, writ.Errorf(writ.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// handleIndex answers whoever opens the server's address (the demo prints
// it) with where to go, rather than a 404: the API serves no pages.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{
		"service": "writ",
		"about":   "writ's JSON API: every read of case data needs a login, a case roster place and a grant under an approved authority",
		"openapi": "/api/openapi.json",
		"login":   "POST /api/login",
		"health":  "/healthz",
	})
	return nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
