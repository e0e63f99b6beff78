package storetest

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/writhq/writ"
)

func testUsers(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	t.Run("create and lookup", func(t *testing.T) {
		u := &writ.User{Username: "alice", DisplayName: "Alice A.", Role: writ.RoleAuditor, Active: true, PasswordHash: "$argon2id$..."}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(alice) = %v", err)
		}
		if u.ID == 0 || u.CreatedAt.IsZero() {
			t.Fatalf("CreateUser(alice) left ID %d, CreatedAt %v; want both set", u.ID, u.CreatedAt)
		}
		byID, err := db.UserByID(ctx, u.ID)
		if err != nil || *byID != *u {
			t.Errorf("UserByID(%d) = %+v, %v, want %+v", u.ID, byID, err, u)
		}
		byName, err := db.UserByUsername(ctx, "alice")
		if err != nil || *byName != *u {
			t.Errorf("UserByUsername(alice) = %+v, %v, want %+v", byName, err, u)
		}
	})
	t.Run("duplicate username", func(t *testing.T) {
		err := db.CreateUser(ctx, &writ.User{Username: "alice", Role: writ.RoleInvestigator, PasswordHash: "y"})
		wantErr(t, "CreateUser(alice again)", err, writ.EConflict, "username alice is taken")
	})
	t.Run("invalid", func(t *testing.T) {
		for _, u := range []writ.User{
			{Username: "", Role: writ.RoleInvestigator},
			{Username: "two words", Role: writ.RoleInvestigator},
			{Username: "bob", Role: "king"},
		} {
			wantKind(t, "CreateUser("+u.Username+"/"+string(u.Role)+")", db.CreateUser(ctx, &u), writ.EInvalid)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := db.UserByID(ctx, 999)
		wantErr(t, "UserByID(999)", err, writ.ENotFound, "user 999 not found")
		_, err = db.UserByUsername(ctx, "nobody")
		wantErr(t, "UserByUsername(nobody)", err, writ.ENotFound, "user nobody not found")
		_, err = db.UpdateUser(ctx, 999, writ.UserUpdate{DisplayName: ptr("x")})
		wantErr(t, "UpdateUser(999)", err, writ.ENotFound, "user 999 not found")
	})
	t.Run("update", func(t *testing.T) {
		u, err := db.UserByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.UpdateUser(ctx, u.ID, writ.UserUpdate{Role: ptr(writ.RoleSupervisor), Active: ptr(false)})
		if err != nil {
			t.Fatalf("UpdateUser(role, active) = %v", err)
		}
		want := *u
		want.Role, want.Active = writ.RoleSupervisor, false
		if *got != want {
			t.Errorf("UpdateUser(role, active) = %+v, want %+v", got, want)
		}
		got, err = db.UpdateUser(ctx, u.ID, writ.UserUpdate{DisplayName: ptr("Alice B."), PasswordHash: ptr("new")})
		want.DisplayName, want.PasswordHash = "Alice B.", "new"
		if err != nil || *got != want {
			t.Errorf("UpdateUser(name, password) = %+v, %v, want %+v", got, err, want)
		}
		if stored, _ := db.UserByID(ctx, u.ID); stored == nil || *stored != want {
			t.Errorf("UserByID after update = %+v, want %+v", stored, want)
		}
		got, err = db.UpdateUser(ctx, u.ID, writ.UserUpdate{})
		if err != nil || *got != want {
			t.Errorf("UpdateUser(nothing) = %+v, %v, want %+v", got, err, want)
		}
		_, err = db.UpdateUser(ctx, u.ID, writ.UserUpdate{Role: ptr(writ.Role("king"))})
		wantKind(t, "UpdateUser(role king)", err, writ.EInvalid)
	})
	t.Run("list and count", func(t *testing.T) {
		users, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		if want := []string{"lena", "sam", "alice"}; !slices.Equal(names, want) {
			t.Errorf("ListUsers() = %v, want %v", names, want)
		}
		if n, err := db.CountUsers(ctx); n != 3 || err != nil {
			t.Errorf("CountUsers() = %d, %v, want 3", n, err)
		}
	})
}

func testSessions(t *testing.T, f *fixture) {
	db, ctx := f.db, f.ctx
	now := writ.Now()
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	browser := &writ.Session{TokenHash: hash("browser"), UserID: f.lead.ID, Kind: writ.SessionBrowser,
		CSRFToken: "csrf", ExpiresAt: now.Add(time.Hour)}
	api1 := &writ.Session{TokenHash: hash("api1"), UserID: f.lead.ID, Kind: writ.SessionAPI, Name: "nightly export",
		CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(24 * time.Hour)}
	api2 := &writ.Session{TokenHash: hash("api2"), UserID: f.lead.ID, Kind: writ.SessionAPI, Name: "ingest",
		CreatedAt: now.Add(-time.Hour)} // never expires
	other := &writ.Session{TokenHash: hash("other"), UserID: f.boss.ID, Kind: writ.SessionAPI, Name: "boss"}
	expired := &writ.Session{TokenHash: hash("expired"), UserID: f.lead.ID, Kind: writ.SessionBrowser,
		CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	for _, s := range []*writ.Session{browser, api1, api2, other, expired} {
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession(%s) = %v", s.Name, err)
		}
	}
	t.Run("lookup by hash", func(t *testing.T) {
		got, err := db.SessionByTokenHash(ctx, browser.TokenHash)
		if err != nil || !sameSession(got, browser) {
			t.Errorf("SessionByTokenHash(browser) = %+v, %v, want %+v", got, err, browser)
		}
		_, err = db.SessionByTokenHash(ctx, hash("unknown"))
		wantKind(t, "SessionByTokenHash(unknown)", err, writ.ENotFound)
		_, err = db.SessionByTokenHash(ctx, expired.TokenHash)
		wantKind(t, "SessionByTokenHash(expired)", err, writ.ENotFound)
		if got, err := db.SessionByTokenHash(ctx, api2.TokenHash); err != nil || !sameSession(got, api2) {
			t.Errorf("SessionByTokenHash(api2, no expiry) = %+v, %v, want %+v", got, err, api2)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for name, s := range map[string]*writ.Session{
			"short hash":   {TokenHash: []byte("raw-token"), UserID: f.lead.ID, Kind: writ.SessionAPI},
			"bad kind":     {TokenHash: hash("k"), UserID: f.lead.ID, Kind: "cookie"},
			"no user":      {TokenHash: hash("u"), Kind: writ.SessionAPI},
			"unknown user": {TokenHash: hash("u"), UserID: 999, Kind: writ.SessionAPI},
		} {
			want := writ.EInvalid
			if name == "unknown user" {
				want = writ.ENotFound
			}
			wantKind(t, "CreateSession("+name+")", db.CreateSession(ctx, s), want)
		}
		dup := *api1
		wantKind(t, "CreateSession(duplicate)", db.CreateSession(ctx, &dup), writ.EConflict)
	})
	t.Run("touch", func(t *testing.T) {
		before := writ.Now()
		if err := db.TouchSession(ctx, api1.TokenHash); err != nil {
			t.Fatalf("TouchSession(api1) = %v", err)
		}
		got, err := db.SessionByTokenHash(ctx, api1.TokenHash)
		if err != nil || got.LastUsedAt.Before(before) || !got.CreatedAt.Equal(api1.CreatedAt) {
			t.Errorf("after TouchSession: LastUsedAt %v, CreatedAt %v, %v; want LastUsedAt >= %v, CreatedAt %v",
				got.LastUsedAt, got.CreatedAt, err, before, api1.CreatedAt)
		}
		wantKind(t, "TouchSession(unknown)", db.TouchSession(ctx, hash("unknown")), writ.ENotFound)
	})
	t.Run("list tokens", func(t *testing.T) {
		got, err := db.ListAPITokens(ctx, f.lead.ID)
		if err != nil || len(got) != 2 || got[0].Name != "nightly export" || got[1].Name != "ingest" {
			t.Fatalf("ListAPITokens(lead) = %v, %v, want [nightly export, ingest]", names(got), err)
		}
		if got, err := db.ListAPITokens(ctx, 999); err != nil || len(got) != 0 {
			t.Errorf("ListAPITokens(999) = %v, %v, want none", names(got), err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := db.DeleteSession(ctx, api1.TokenHash); err != nil {
			t.Fatalf("DeleteSession(api1) = %v", err)
		}
		_, err := db.SessionByTokenHash(ctx, api1.TokenHash)
		wantKind(t, "SessionByTokenHash(deleted)", err, writ.ENotFound)
		wantKind(t, "DeleteSession(deleted)", db.DeleteSession(ctx, api1.TokenHash), writ.ENotFound)
		if got, _ := db.ListAPITokens(ctx, f.lead.ID); len(got) != 1 || got[0].Name != "ingest" {
			t.Errorf("ListAPITokens(lead) after delete = %v, want [ingest]", names(got))
		}
	})
	t.Run("delete all of a user's but one", func(t *testing.T) {
		// lead still has browser, api2 and the expired session.
		n, err := db.DeleteUserSessions(ctx, f.lead.ID, browser.TokenHash)
		if err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions(lead, keep browser) = %d, %v; want 2 (api2 and the expired one)", n, err)
		}
		if _, err := db.SessionByTokenHash(ctx, browser.TokenHash); err != nil {
			t.Errorf("kept session is gone: %v", err)
		}
		if _, err := db.SessionByTokenHash(ctx, other.TokenHash); err != nil {
			t.Errorf("another user's session is gone: %v", err)
		}
		if n, err := db.DeleteUserSessions(ctx, f.lead.ID, nil); err != nil || n != 1 {
			t.Errorf("DeleteUserSessions(lead, keep none) = %d, %v; want 1", n, err)
		}
	})
}

func sameSession(a, b *writ.Session) bool {
	return bytes.Equal(a.TokenHash, b.TokenHash) && a.UserID == b.UserID && a.Kind == b.Kind && a.Name == b.Name &&
		a.CSRFToken == b.CSRFToken && a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		a.LastUsedAt.Equal(b.LastUsedAt)
}

func names(ss []*writ.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
