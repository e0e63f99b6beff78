package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/audit"
	"github.com/writhq/writ/scope"
	"github.com/writhq/writ/sqlite"
	"github.com/writhq/writ/sqlstore"
)

// env is a real server on loopback over a real store, the real gate and the
// real audit log, with an admin signed in through the API.
type env struct {
	t     *testing.T
	db    *sqlstore.DB
	log   *audit.Log
	srv   *Server
	hs    *httptest.Server
	admin *Client
}

const testPassword = "a long enough test password"

func newSQLiteEnv(t *testing.T) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "writ.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnv(t, db)
}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := audit.Init(dir, "writ.test/audit"); err != nil {
		t.Fatalf("audit.Init: %v", err)
	}
	log, err := audit.Open(ctx, db, dir)
	if err != nil {
		t.Fatalf("audit.Open: %v", err)
	}
	srv := NewServer(Config{Store: db, Gate: scope.New(db, log), Audit: log,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv)
	// Closed in this order: server, then log (flushes), then the store.
	t.Cleanup(func() { log.Close() })
	t.Cleanup(hs.Close)

	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	admin := &writ.User{Username: "admin", Role: writ.RoleAdmin, Active: true, PasswordHash: hash}
	if err := db.CreateUser(ctx, admin); err != nil {
		t.Fatalf("CreateUser(admin): %v", err)
	}
	e := &env{t: t, db: db, log: log, srv: srv, hs: hs}
	e.admin = e.login("admin")
	return e
}

// client returns an API client without a token.
func (e *env) client() *Client { return &Client{BaseURL: e.hs.URL, HTTP: e.hs.Client()} }

// login signs username in through the API and returns a client with its token.
func (e *env) login(username string) *Client {
	e.t.Helper()
	c := e.client()
	resp, err := c.Login(context.Background(), username, testPassword, "test")
	if err != nil {
		e.t.Fatalf("Login(%s): %v", username, err)
	}
	c.Token = resp.Token
	return c
}

// user creates a user with role through the admin's API client and signs them in.
func (e *env) user(name string, role writ.Role) (*writ.User, *Client) {
	e.t.Helper()
	u, err := e.admin.CreateUser(context.Background(), NewUser{Username: name, Role: role, Password: testPassword})
	if err != nil {
		e.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u, e.login(name)
}

// entries returns the whole audit log.
func (e *env) entries() []writ.AuditEntry {
	e.t.Helper()
	var all []writ.AuditEntry
	for {
		from := int64(len(all))
		list, err := e.log.Entries(context.Background(), writ.AuditFilter{From: from, Limit: 1000})
		if err != nil {
			e.t.Fatalf("audit Entries: %v", err)
		}
		all = append(all, list...)
		if len(list) < 1000 {
			return all
		}
	}
}

// lastEntry returns the newest audit entry with action.
func (e *env) lastEntry(action string) writ.AuditEntry {
	e.t.Helper()
	list := e.entries()
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Action == action {
			return list[i]
		}
	}
	e.t.Fatalf("no audit entry with action %q in %d entries", action, len(list))
	return writ.AuditEntry{}
}

// wantErr checks that err is a *writ.Error of kind (and rule, if not empty).
func wantErr(t *testing.T, what string, err error, kind, rule string) {
	t.Helper()
	var we *writ.Error
	if !errors.As(err, &we) {
		t.Fatalf("%s error = %v, want a *writ.Error %s/%s", what, err, kind, rule)
	}
	if we.Kind != kind || (rule != "" && we.Rule != rule) {
		t.Fatalf("%s error = %s/%s (%s), want %s/%s", what, we.Kind, we.Rule, we.Message, kind, rule)
	}
}

// browser is a cookie-holding HTTP client, as a web page would be.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	hc := e.hs.Client()
	hc.Jar = jar
	return &browser{t: e.t, base: e.hs.URL, hc: hc}
}

// do sends method path with a JSON body (if not nil) and extra headers, and
// returns the response with its body read.
func (b *browser) do(method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, data
}

// login signs in with a session cookie and keeps the CSRF token.
func (b *browser) login(username string) *http.Response {
	b.t.Helper()
	resp, data := b.do("POST", "/api/login", LoginRequest{Username: username, Password: testPassword}, nil)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("browser login(%s) = %d %s, want 200", username, resp.StatusCode, data)
	}
	var lr LoginResponse
	if err := json.Unmarshal(data, &lr); err != nil {
		b.t.Fatal(err)
	}
	if lr.CSRFToken == "" || lr.Token != "" {
		b.t.Fatalf("browser login response = %s, want a CSRF token and no API token", data)
	}
	b.csrf = lr.CSRFToken
	return resp
}

// errorBody decodes an error response.
func errorBody(t *testing.T, data []byte) ErrorBody {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil {
		t.Fatalf("error body %q: %v", data, err)
	}
	return eb
}

// day is midnight UTC n days from a fixed date inside every test window.
func day(n int) time.Time { return time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
