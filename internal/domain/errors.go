package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for the edges: the Management API maps it to a status and an Auth0 errorCode,
// the OAuth endpoints to an OAuth error.
type Code string

const (
	CodeInvalid  Code = "invalid"   // input breaks a rule; 400
	CodeConflict Code = "conflict"  // a unique value is taken; 409
	CodeNotFound Code = "not_found" // the thing does not exist; 404
	CodeInternal Code = "internal"  // anything else; 500, text never shown
)

// Error is a rule violation with a message that is safe to show to the caller: it names the field and
// the value's problem, never internal state.
type Error struct {
	Code    Code
	Field   string // JSON field name, with a path for nested fields ("refresh_token.leeway"); may be empty
	Message string
	// Err is an optional sentinel the error also matches with errors.Is (a store backend sets
	// store.ErrConflict on a unique violation); it is never shown to the caller.
	Err error
}

// Unwrap exposes Err to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Invalidf reports a value of field that breaks a rule.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflictf reports a unique value that is already taken.
func Conflictf(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing entity.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var de *Error
	if errors.As(err, &de) {
		return de.Code
	}
	return CodeInternal
}

// Errors collects several rule violations so that a caller hears of all of them at once.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	s := fmt.Sprintf("%d problems: ", len(es))
	for i, e := range es {
		if i > 0 {
			s += "; "
		}
		s += e.Error()
	}
	return s
}

// Unwrap lets errors.As find the first violation.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Err returns nil when es is empty, so validators can end with `return errs.Err()`.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

func (es *Errors) add(e *Error) {
	if e != nil {
		*es = append(*es, e)
	}
}

// ErrUnavailable marks a failure because something the node depends on — the database — cannot be
// reached right now (a lost or refused connection), not because the request or the data is wrong.
// Store backends wrap such failures with it; the HTTP edge answers 503 with Retry-After.
var ErrUnavailable = errors.New("temporarily unavailable")
