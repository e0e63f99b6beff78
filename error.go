package writ

import (
	"errors"
	"fmt"
)

// Error kinds: a closed set that transport maps to status codes in one place.
const (
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EForbidden    = "forbidden"
	EUnauthorized = "unauthorized"
	EInternal     = "internal"
)

// Error is writ's one error type. Message is safe to show to users; Rule names
// the gate rule that denied a request (forbidden errors from the scope gate).
type Error struct {
	Kind    string
	Rule    string
	Message string
}

func (e *Error) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("writ %s: %s: %s", e.Kind, e.Rule, e.Message)
	}
	return fmt.Sprintf("writ %s: %s", e.Kind, e.Message)
}

// Errorf returns an *Error of the given kind.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Deny returns a forbidden error naming the rule that failed.
func Deny(rule, format string, args ...any) *Error {
	return &Error{Kind: EForbidden, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// ErrorKind returns the kind of err, or EInternal if err is not (wrapping) an *Error.
func ErrorKind(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Kind
	}
	return EInternal
}

// ErrorMessage returns the user-facing message; internal errors are not shown.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorRule returns the denial rule carried by err, if any.
func ErrorRule(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}
