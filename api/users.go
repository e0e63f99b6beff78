package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/writhq/writ"
)

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.require("listing users", writ.RoleAdmin); err != nil {
		return err
	}
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(users))
	return nil
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	entry := writ.AuditEntry{Action: "user.create"}
	if err := c.require("creating users", writ.RoleAdmin); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	var req NewUser
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := &writ.User{Username: strings.TrimSpace(req.Username), DisplayName: strings.TrimSpace(req.DisplayName),
		Role: req.Role, Active: true, CreatedAt: writ.Now()}
	if err := validUsername(u.Username); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return writ.Errorf(writ.EInvalid, "unknown role %q (want investigator, supervisor, auditor or admin)", req.Role)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	err = s.store.CreateUser(r.Context(), u)
	if writ.ErrorKind(err) == writ.EConflict {
		err = writ.Errorf(writ.EConflict, "username %q is taken", u.Username)
	}
	entry.Reason = fmt.Sprintf("user %s (%s) created", u.Username, u.Role)
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// validUsername keeps usernames to what is safe in logs, URLs and shells.
func validUsername(name string) error {
	ok := len(name) >= 1 && len(name) <= 64
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			ok = false
		}
	}
	if !ok {
		return writ.Errorf(writ.EInvalid, "username must be 1-64 letters, digits or . _ - @")
	}
	return nil
}

func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	entry := writ.AuditEntry{Action: "user.update"}
	if err := c.require("changing users", writ.RoleAdmin); err != nil {
		return s.audited(r, c.user, entry, err, nil)
	}
	var req UserPatch
	if err := decode(w, r, &req); err != nil {
		return err
	}
	upd := writ.UserUpdate{DisplayName: req.DisplayName, Role: req.Role, Active: req.Active}
	var changes []string
	if req.DisplayName != nil {
		changes = append(changes, "display name")
	}
	if req.Role != nil {
		if !req.Role.Valid() {
			return writ.Errorf(writ.EInvalid, "unknown role %q", *req.Role)
		}
		changes = append(changes, "role "+string(*req.Role))
	}
	if req.Active != nil {
		changes = append(changes, "active "+strconv.FormatBool(*req.Active))
	}
	// An admin cannot lock themselves out; another admin must do it.
	if id == c.user.ID && ((req.Active != nil && !*req.Active) || (req.Role != nil && *req.Role != writ.RoleAdmin)) {
		return writ.Errorf(writ.EInvalid, "you cannot deactivate yourself or give up your own admin role")
	}
	if req.Password != nil {
		hash, err := HashPassword(*req.Password)
		if err != nil {
			return err
		}
		upd.PasswordHash = &hash
		changes = append(changes, "password reset")
	}
	if len(changes) == 0 {
		return writ.Errorf(writ.EInvalid, "nothing to change")
	}
	u, err := s.store.UpdateUser(r.Context(), id, upd)
	if err == nil && (upd.PasswordHash != nil || (upd.Active != nil && !*upd.Active)) {
		// A reset or deactivation ends every session and token the user had.
		_, err = s.store.DeleteUserSessions(r.Context(), id, nil)
		changes = append(changes, "sessions ended")
	}
	entry.Reason = fmt.Sprintf("user %d: %s", id, strings.Join(changes, ", "))
	if err := s.audited(r, c.user, entry, err, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// pathID parses a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, writ.Errorf(writ.EInvalid, "%s must be a positive integer", name)
	}
	return v, nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
