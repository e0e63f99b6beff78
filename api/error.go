package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/writhq/writ"
)

// statusCodes maps writ error kinds to HTTP status codes: the one place
// transport decides this.
var statusCodes = map[string]int{
	writ.EInvalid:      http.StatusBadRequest,
	writ.EUnauthorized: http.StatusUnauthorized,
	writ.EForbidden:    http.StatusForbidden,
	writ.ENotFound:     http.StatusNotFound,
	writ.EConflict:     http.StatusConflict,
	writ.EInternal:     http.StatusInternalServerError,
}

// kindOfStatus is the reverse, for the client when a body carries no kind.
func kindOfStatus(code int) string {
	for k, c := range statusCodes {
		if c == code {
			return k
		}
	}
	if code >= 400 && code < 500 {
		return writ.EInvalid
	}
	return writ.EInternal
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error   string `json:"error"`          // the writ error kind
	Rule    string `json:"rule,omitempty"` // the rule that denied, for forbidden errors
	Message string `json:"message"`
}

// errTooMany is a rate-limit refusal: 429 with Retry-After, reported to the
// client as an unauthorized error (the login did not happen).
type errTooMany struct{ wait time.Duration }

func (e errTooMany) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d seconds", retrySeconds(e.wait))
}

func retrySeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}

// writeError writes err as a JSON error. Internal errors are logged and their
// text is not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tm errTooMany
	if errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(tm.wait), 10))
		writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: writ.EUnauthorized, Rule: "rate_limit", Message: tm.Error()})
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = writ.Errorf(writ.EInvalid, "request body is larger than %d bytes", mbe.Limit)
	}
	kind := writ.ErrorKind(err)
	if kind == writ.EInternal {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if kind == writ.EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="writ"`)
	}
	code, ok := statusCodes[kind]
	if !ok {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, ErrorBody{Error: kind, Rule: writ.ErrorRule(err), Message: writ.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) // a failed write means the client went away
}

// maxBody bounds every JSON request body.
const maxBody = 1 << 20

// decode reads a JSON request body into v: JSON content type only (a form
// post from another site cannot send it), bounded size, no unknown fields,
// exactly one value.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return writ.Errorf(writ.EInvalid, "request body must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return writ.Errorf(writ.EInvalid, "bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return writ.Errorf(writ.EInvalid, "bad JSON body: more than one value")
	}
	return nil
}
