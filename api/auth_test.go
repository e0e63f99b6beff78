package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/writhq/writ"
	"github.com/writhq/writ/scope"
)

func TestSessionCookie(t *testing.T) {
	e := newSQLiteEnv(t)
	// Behind a TLS proxy: Secure set by configuration, over plain HTTP.
	behindProxy := httptest.NewServer(NewServer(Config{Store: e.db, Gate: scope.New(e.db, e.log), Audit: e.log,
		Logger: e.srv.log, Secure: true}))
	defer behindProxy.Close()
	for _, tt := range []struct {
		name   string
		base   string
		secure bool
	}{{"plain", e.hs.URL, false}, {"secure", behindProxy.URL, true}} {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			b.base = tt.base
			resp := b.login("admin")
			var ck *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == CookieName {
					ck = c
				}
			}
			if ck == nil {
				t.Fatalf("login set cookies %v, want %s", resp.Header["Set-Cookie"], CookieName)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != tt.secure || len(ck.Value) < 43 {
				t.Errorf("cookie = %q, want HttpOnly, SameSite=Strict, Path=/, Secure=%v, a 32-byte secret", resp.Header.Get("Set-Cookie"), tt.secure)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	e := newSQLiteEnv(t)
	e.user("ivy", writ.RoleInvestigator)
	b := e.browser()
	b.login("ivy")
	body := NewCase{Title: "CSRF test"}
	tests := []struct {
		name    string
		headers map[string]string
		code    int
		rule    string
	}{
		{"no token", nil, http.StatusForbidden, "csrf_token"},
		{"wrong token", map[string]string{CSRFHeader: "not-the-token"}, http.StatusForbidden, "csrf_token"},
		{"cross-site fetch", map[string]string{CSRFHeader: b.csrf, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "csrf_origin"},
		{"foreign origin", map[string]string{CSRFHeader: b.csrf, "Origin": "https://evil.example"}, http.StatusForbidden, "csrf_origin"},
		{"right token", map[string]string{CSRFHeader: b.csrf}, http.StatusCreated, ""},
		{"right token, same origin", map[string]string{CSRFHeader: b.csrf, "Origin": e.hs.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := b.do("POST", "/api/cases", body, tt.headers)
			if resp.StatusCode != tt.code {
				t.Fatalf("POST /api/cases = %d %s, want %d", resp.StatusCode, data, tt.code)
			}
			if tt.rule != "" {
				if eb := errorBody(t, data); eb.Error != writ.EForbidden || eb.Rule != tt.rule {
					t.Errorf("error = %+v, want forbidden by %s", eb, tt.rule)
				}
			}
		})
	}
	t.Run("safe methods need no token", func(t *testing.T) {
		if resp, data := b.do("GET", "/api/cases", nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /api/cases = %d %s, want 200", resp.StatusCode, data)
		}
	})
	t.Run("bearer token needs no CSRF token", func(t *testing.T) {
		c := e.login("ivy")
		if _, err := c.CreateCase(context.Background(), "by token", ""); err != nil {
			t.Errorf("CreateCase with a bearer token: %v", err)
		}
	})
	t.Run("session cookie is not a bearer token", func(t *testing.T) {
		var secret string
		for _, ck := range b.hc.Jar.Cookies(mustURL(t, e.hs.URL)) {
			if ck.Name == CookieName {
				secret = ck.Value
			}
		}
		c := e.client()
		c.Token = secret
		_, err := c.Me(context.Background())
		wantErr(t, "Me with a session secret as bearer", err, writ.EUnauthorized, "")
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Run("per client address", func(t *testing.T) {
		e := newSQLiteEnv(t)
		c := e.client()
		ctx := context.Background()
		for i := range 5 {
			_, err := c.Login(ctx, fmt.Sprintf("nobody%d", i), "wrong password!!", "")
			wantErr(t, "failed login", err, writ.EUnauthorized, "")
		}
		// Even the right password is refused now, from this address.
		b := e.browser()
		resp, data := b.do("POST", "/api/login", LoginRequest{Username: "admin", Password: testPassword}, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("login after 5 failures = %d (Retry-After %q) %s, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), data)
		}
		if eb := errorBody(t, data); eb.Rule != "rate_limit" {
			t.Errorf("error = %+v, want rule rate_limit", eb)
		}
		_, err := c.Login(ctx, "admin", testPassword, "")
		wantErr(t, "client login while limited", err, writ.EUnauthorized, "rate_limit")
	})
	t.Run("per username", func(t *testing.T) {
		e := newSQLiteEnv(t)
		login := func(addr, password string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", "/api/login",
				strings.NewReader(fmt.Sprintf(`{"username":"admin","password":%q}`, password)))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = addr
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			return w
		}
		for i := range 5 {
			if w := login(fmt.Sprintf("192.0.2.%d:1234", i+1), "wrong password!!"); w.Code != http.StatusUnauthorized {
				t.Fatalf("failed login %d = %d, want 401", i, w.Code)
			}
		}
		if w := login("198.51.100.7:1234", testPassword); w.Code != http.StatusTooManyRequests {
			t.Fatalf("login as admin from a fresh address after 5 failures = %d %s, want 429", w.Code, w.Body)
		}
		entries := e.entries()
		denied := 0
		for _, en := range entries {
			if en.Action == "login" && en.Decision == writ.DecisionDenied && en.Rule == "password" {
				denied++
			}
		}
		if denied != 5 {
			t.Errorf("audit log has %d denied logins, want 5", denied)
		}
	})
}

func TestLogout(t *testing.T) {
	e := newSQLiteEnv(t)
	t.Run("browser session", func(t *testing.T) {
		b := e.browser()
		b.login("admin")
		if resp, data := b.do("POST", "/api/logout", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logout without CSRF token = %d %s, want 403", resp.StatusCode, data)
		}
		// Keep the cookie to replay it after logout.
		old := b.hc.Jar.Cookies(mustURL(t, e.hs.URL))
		resp, data := b.do("POST", "/api/logout", nil, map[string]string{CSRFHeader: b.csrf})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout = %d %s, want 204", resp.StatusCode, data)
		}
		if resp, _ := b.do("GET", "/api/me", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/me after logout = %d, want 401", resp.StatusCode)
		}
		b.hc.Jar.SetCookies(mustURL(t, e.hs.URL), old)
		if resp, _ := b.do("GET", "/api/me", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/me replaying the old cookie = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("api token", func(t *testing.T) {
		c := e.login("admin")
		if err := c.Logout(context.Background()); err != nil {
			t.Fatalf("Logout: %v", err)
		}
		_, err := c.Me(context.Background())
		wantErr(t, "Me after logout", err, writ.EUnauthorized, "")
	})
}

func TestDeactivatedUser(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	u, c := e.user("ivy", writ.RoleInvestigator)
	b := e.browser()
	b.login("ivy")
	off := false
	if _, err := e.admin.UpdateUser(ctx, u.ID, UserPatch{Active: &off}); err != nil {
		t.Fatalf("UpdateUser(active=false): %v", err)
	}
	_, err := c.Me(ctx)
	wantErr(t, "token of a deactivated user", err, writ.EUnauthorized, "")
	if resp, _ := b.do("GET", "/api/me", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session of a deactivated user = %d, want 401", resp.StatusCode)
	}
	_, err = e.client().Login(ctx, "ivy", testPassword, "")
	wantErr(t, "login of a deactivated user", err, writ.EForbidden, "user_active")
	if got := e.lastEntry("user.update"); got.Decision != writ.DecisionDone || got.ActorID == u.ID || !strings.Contains(got.Reason, "active false") {
		t.Errorf("audit entry = %+v, want the deactivation recorded", got)
	}
}

func TestTokens(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	_, ivy := e.user("ivy", writ.RoleInvestigator)
	tok, err := ivy.CreateToken(ctx, "nightly export", 7)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !strings.HasPrefix(tok.Secret, APITokenPrefix) || len(tok.ID) != 64 {
		t.Fatalf("CreateToken = %+v, want a writ_ secret and a 64-hex id", tok)
	}
	script := e.client()
	script.Token = tok.Secret
	if u, err := script.Me(ctx); err != nil || u.Username != "ivy" {
		t.Fatalf("Me with the new token = %v, %v, want ivy", u, err)
	}
	list, err := ivy.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range list {
		found = found || x.ID == tok.ID
		if x.Secret != "" {
			t.Errorf("token listing shows a secret: %+v", x)
		}
	}
	if !found || len(list) != 2 { // the login token and this one
		t.Errorf("Tokens = %+v, want the login token and %s", list, tok.ID)
	}
	err = e.admin.RevokeToken(ctx, tok.ID)
	wantErr(t, "revoking someone else's token", err, writ.ENotFound, "")
	if err := ivy.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	_, err = script.Me(ctx)
	wantErr(t, "Me with a revoked token", err, writ.EUnauthorized, "")
}

func TestChangePassword(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	u, ivy := e.user("ivy", writ.RoleInvestigator)
	laptop := e.login("ivy") // another session, perhaps the stolen one
	wantErr(t, "wrong current password", ivy.ChangePassword(ctx, "not my password", "a brand new password"), writ.EForbidden, "password")
	wantErr(t, "short new password", ivy.ChangePassword(ctx, testPassword, "short"), writ.EInvalid, "")
	if err := ivy.ChangePassword(ctx, testPassword, "a brand new password"); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	_, err := e.client().Login(ctx, "ivy", testPassword, "")
	wantErr(t, "login with the old password", err, writ.EUnauthorized, "")
	if _, err := e.client().Login(ctx, "ivy", "a brand new password", ""); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if _, err := ivy.Me(ctx); err != nil {
		t.Errorf("the session that changed the password was ended: %v", err)
	}
	_, err = laptop.Me(ctx)
	wantErr(t, "another session after a password change", err, writ.EUnauthorized, "")

	// An admin's reset ends every session the user had.
	newPW := "reset by the admin 1"
	if _, err := e.admin.UpdateUser(ctx, u.ID, UserPatch{Password: &newPW}); err != nil {
		t.Fatalf("UpdateUser(reset): %v", err)
	}
	_, err = ivy.Me(ctx)
	wantErr(t, "a session after an admin reset", err, writ.EUnauthorized, "")
}

func TestHeadersAndBodies(t *testing.T) {
	e := newSQLiteEnv(t)
	b := e.browser()
	b.login("admin")
	csrf := map[string]string{CSRFHeader: b.csrf}
	t.Run("security headers", func(t *testing.T) {
		for _, path := range []string{"/", "/api/me", "/api/nowhere", "/healthz"} {
			resp, _ := b.do("GET", path, nil, nil)
			want := map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
				"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			}
			for k, v := range want {
				if got := resp.Header.Get(k); !strings.Contains(got, v) {
					t.Errorf("GET %s header %s = %q, want %q", path, k, got, v)
				}
			}
		}
	})
	tests := []struct {
		name, ctype, body string
		code              int
	}{
		{"unknown field", "application/json", `{"title":"x","owner":"mallory"}`, http.StatusBadRequest},
		{"two values", "application/json", `{"title":"x"}{"title":"y"}`, http.StatusBadRequest},
		{"form post", "application/x-www-form-urlencoded", `title=x`, http.StatusBadRequest},
		{"too large", "application/json", `{"title":"` + strings.Repeat("x", maxBody) + `"}`, http.StatusBadRequest},
		{"bad json", "application/json", `{"title":`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.hs.URL+"/api/users", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			req.Header.Set(CSRFHeader, b.csrf)
			resp, err := b.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Errorf("POST /api/users with %s = %d, want %d", tt.name, resp.StatusCode, tt.code)
			}
		})
	}
	t.Run("json 404", func(t *testing.T) {
		resp, data := b.do("DELETE", "/api/cases", nil, csrf)
		if resp.StatusCode != http.StatusNotFound || errorBody(t, data).Error != writ.ENotFound {
			t.Errorf("DELETE /api/cases = %d %s, want a JSON 404", resp.StatusCode, data)
		}
	})
}

func TestRoles(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	_, ivy := e.user("ivy", writ.RoleInvestigator)
	_, aud := e.user("audrey", writ.RoleAuditor)

	_, err := ivy.Users(ctx)
	wantErr(t, "investigator lists users", err, writ.EForbidden, "role")
	_, err = ivy.CreateUser(ctx, NewUser{Username: "mallory", Role: writ.RoleAdmin, Password: testPassword})
	wantErr(t, "investigator creates a user", err, writ.EForbidden, "role")
	if got := e.lastEntry("user.create"); got.Decision != writ.DecisionDenied || got.Actor != "ivy" {
		t.Errorf("audit entry = %+v, want ivy's user.create denied", got)
	}
	_, err = aud.CreateCase(ctx, "auditors do not investigate", "")
	wantErr(t, "auditor opens a case", err, writ.EForbidden, "role")
	_, err = e.admin.CreateCase(ctx, "admins do not investigate", "")
	wantErr(t, "admin opens a case", err, writ.EForbidden, "role")
	_, err = ivy.AuditEntries(ctx, writ.AuditFilter{})
	wantErr(t, "investigator reads the audit log", err, writ.EForbidden, "role")
	_, err = e.admin.AuditEntries(ctx, writ.AuditFilter{})
	wantErr(t, "admin reads the audit log", err, writ.EForbidden, "role")
	_, err = ivy.CreateAgreement(ctx, NewAgreement{Name: "x"})
	wantErr(t, "investigator records an agreement", err, writ.EForbidden, "role")

	self := e.mustMe(e.admin)
	off := false
	_, err = e.admin.UpdateUser(ctx, self.ID, UserPatch{Active: &off})
	wantErr(t, "admin deactivates themselves", err, writ.EInvalid, "")
	_, err = e.admin.CreateUser(ctx, NewUser{Username: "ivy", Role: writ.RoleInvestigator, Password: testPassword})
	wantErr(t, "duplicate username", err, writ.EConflict, "")
	_, err = e.admin.CreateUser(ctx, NewUser{Username: "bad name", Role: writ.RoleInvestigator, Password: testPassword})
	wantErr(t, "username with a space", err, writ.EInvalid, "")
}

func TestCaseAccess(t *testing.T) {
	e := newSQLiteEnv(t)
	ctx := context.Background()
	tm := e.team()
	_, aud := e.user("audrey", writ.RoleAuditor)

	for _, c := range []struct {
		name   string
		client *Client
		want   int
	}{{"lead", tm.invC, 1}, {"member", tm.supC, 1}, {"outsider", tm.outC, 0}, {"admin", e.admin, 1}, {"auditor", aud, 1}} {
		list, err := c.client.Cases(ctx, "")
		if err != nil || len(list) != c.want {
			t.Errorf("Cases as %s = %d cases, %v, want %d", c.name, len(list), err, c.want)
		}
	}
	_, err := tm.outC.Case(ctx, tm.caseID)
	wantErr(t, "outsider gets the case", err, writ.EForbidden, "roster_member")
	_, err = tm.outC.Case(ctx, 999)
	wantErr(t, "outsider gets a missing case", err, writ.EForbidden, "roster_member")
	_, err = aud.Case(ctx, 999)
	wantErr(t, "auditor gets a missing case", err, writ.ENotFound, "")
	_, err = tm.outC.Authorities(ctx, tm.caseID, "")
	wantErr(t, "outsider lists authorities", err, writ.EForbidden, "roster_member")
	_, err = tm.outC.RequestAuthority(ctx, tm.caseID, penRegister("PR-OUT"))
	wantErr(t, "outsider requests an authority", err, writ.EForbidden, "roster_member")
	_, err = tm.outC.Subjects(ctx, tm.caseID)
	wantErr(t, "outsider lists subjects", err, writ.EForbidden, "roster_member")

	// Roster changes: lead or supervisor only, audited either way.
	_, err = tm.outC.AddToRoster(ctx, tm.caseID, tm.outsider.ID, writ.RosterMember)
	wantErr(t, "outsider adds themselves", err, writ.EForbidden, "lead_or_supervisor")
	if got := e.lastEntry("roster.add"); got.Decision != writ.DecisionDenied || got.ActorID != tm.outsider.ID {
		t.Errorf("audit entry = %+v, want the outsider's roster.add denied", got)
	}
	if _, err := tm.invC.AddToRoster(ctx, tm.caseID, tm.outsider.ID, writ.RosterMember); err != nil {
		t.Fatalf("lead adds a member: %v", err)
	}
	if _, err := tm.outC.Case(ctx, tm.caseID); err != nil {
		t.Errorf("new member gets the case: %v", err)
	}
	_, err = tm.invC.AddToRoster(ctx, tm.caseID, e.mustMe(e.admin).ID, writ.RosterMember)
	wantErr(t, "adding an admin to a roster", err, writ.EInvalid, "")
	err = tm.invC.RemoveFromRoster(ctx, tm.caseID, tm.inv.ID)
	wantErr(t, "removing the only lead", err, writ.EConflict, "")
	if err := tm.invC.RemoveFromRoster(ctx, tm.caseID, tm.outsider.ID); err != nil {
		t.Fatalf("RemoveFromRoster: %v", err)
	}
	_, err = tm.outC.Case(ctx, tm.caseID)
	wantErr(t, "removed member gets the case", err, writ.EForbidden, "roster_member")

	// Subjects and status.
	sub, err := tm.supC.CreateSubject(ctx, tm.caseID, "J. Doe", "")
	if err != nil {
		t.Fatalf("CreateSubject: %v", err)
	}
	if list, err := tm.invC.Subjects(ctx, tm.caseID); err != nil || len(list) != 1 || list[0].ID != sub.ID {
		t.Errorf("Subjects = %v, %v, want [%d]", list, err, sub.ID)
	}
	_, err = tm.supC.SetCaseStatus(ctx, tm.caseID, writ.CaseClosed) // a supervisor, though not the lead
	if err != nil {
		t.Fatalf("SetCaseStatus by a supervisor: %v", err)
	}
	_, err = tm.outC.SetCaseStatus(ctx, tm.caseID, writ.CaseOpen)
	wantErr(t, "investigator who is not lead changes status", err, writ.EForbidden, "lead_or_supervisor")
	if cs, err := tm.invC.SetCaseStatus(ctx, tm.caseID, writ.CaseSealed); err != nil || cs.Status != writ.CaseSealed {
		t.Fatalf("lead seals the case = %v, %v", cs, err)
	}
	_, err = tm.invC.Subjects(ctx, tm.caseID)
	wantErr(t, "subjects of a sealed case", err, writ.EForbidden, "case_open")
}

func (e *env) mustMe(c *Client) *writ.User {
	e.t.Helper()
	u, err := c.Me(context.Background())
	if err != nil {
		e.t.Fatalf("Me: %v", err)
	}
	return u
}
