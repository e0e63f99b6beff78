package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/writhq/writ"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		body   ErrorBody
		logged bool
	}{
		{writ.Errorf(writ.EInvalid, "bad title"), 400, ErrorBody{"invalid", "", "bad title"}, false},
		{writ.Errorf(writ.EUnauthorized, "sign in"), 401, ErrorBody{"unauthorized", "", "sign in"}, false},
		{writ.Deny("selector_named", "not named"), 403, ErrorBody{"forbidden", "selector_named", "not named"}, false},
		{fmt.Errorf("loading: %w", writ.Errorf(writ.ENotFound, "case 9 not found")), 404, ErrorBody{"not_found", "", "case 9 not found"}, false},
		{writ.Errorf(writ.EConflict, "taken"), 409, ErrorBody{"conflict", "", "taken"}, false},
		{errors.New("pq: password authentication failed for secret-host"), 500, ErrorBody{"internal", "", "internal error"}, true},
		{&http.MaxBytesError{Limit: 10}, 400, ErrorBody{"invalid", "", "request body is larger than 10 bytes"}, false},
		{errTooMany{wait: 1500 * time.Millisecond}, 429, ErrorBody{"unauthorized", "rate_limit", "too many failed logins; try again in 2 seconds"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			w := httptest.NewRecorder()
			s.writeError(w, httptest.NewRequest("GET", "/api/x", nil), tt.err)
			var got ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if w.Code != tt.code || got != tt.body {
				t.Errorf("writeError(%v) = %d %+v, want %d %+v", tt.err, w.Code, got, tt.code, tt.body)
			}
			if logged := logs.Len() > 0; logged != tt.logged {
				t.Errorf("writeError(%v) logged = %v (%q), want %v", tt.err, logged, logs.String(), tt.logged)
			}
			if strings.Contains(w.Body.String(), "secret-host") {
				t.Errorf("writeError(%v) shows the internal error: %s", tt.err, w.Body)
			}
			if tt.code == 429 && w.Header().Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want 2", w.Header().Get("Retry-After"))
			}
		})
	}
}

// TestClientErrors checks that the client turns every error body, and a
// body that is not JSON, back into a *writ.Error.
func TestClientErrors(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/cases/1":
			writeJSON(w, 403, ErrorBody{Error: "forbidden", Rule: "roster_member", Message: "ivy is not on the roster of case 1"})
		case "/api/cases/2":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer hs.Close()
	c := &Client{BaseURL: hs.URL, HTTP: hs.Client()}
	tests := []struct {
		id   int64
		want writ.Error
	}{
		{1, writ.Error{Kind: "forbidden", Rule: "roster_member", Message: "ivy is not on the roster of case 1"}},
		{2, writ.Error{Kind: "internal", Message: "bad gateway"}},
		{3, writ.Error{Kind: "not_found", Message: "404 Not Found"}},
	}
	for _, tt := range tests {
		_, err := c.Case(t.Context(), tt.id)
		var we *writ.Error
		if !errors.As(err, &we) || *we != tt.want {
			t.Errorf("Case(%d) error = %#v, want %#v", tt.id, err, tt.want)
		}
	}
}
