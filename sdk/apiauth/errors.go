package apiauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes of RFC 6750 §3.1, as they appear in Error.Code.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
	// CodeUnavailable is not an RFC 6750 code: the issuer's metadata or keys
	// could not be fetched, so no token can be judged (answered with 503).
	CodeUnavailable = "temporarily_unavailable"
)

// Realm is the realm named in every Bearer challenge, as the Node SDK does.
const Realm = "api"

// Sentinel causes, for errors.Is on an *Error.
var (
	// ErrMissingToken: the request carried no bearer token (RFC 6750 §3.1
	// says the challenge then carries no error code).
	ErrMissingToken = errors.New("apiauth: no bearer token")
	// ErrIssuerUnavailable: discovery or the JWKS could not be fetched.
	ErrIssuerUnavailable = errors.New("apiauth: issuer metadata or keys unavailable")
)

// Error is a rejected request: the HTTP status, the RFC 6750 error code (empty
// when the request had no credentials at all), a description safe to show the
// client, and for insufficient_scope the scopes that were required.
// Unwrap gives the underlying cause (for example jwt.ErrTokenExpired), which is
// never written to the client.
type Error struct {
	Status      int
	Code        string
	Description string
	Scopes      []string
	cause       error
	// dpop makes the challenge a DPoP one (RFC 9449 §7.1).
	dpop bool
}

// Error returns "code: description: cause", for logs. The cause may hold
// network details; show clients Description only, as WriteError does.
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	s := "apiauth: " + code + ": " + e.Description
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// InvalidToken returns a 401 invalid_token error with the given description,
// for Checks that want to choose the text the client sees.
func InvalidToken(description string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: description}
}

// InsufficientScope returns a 403 insufficient_scope error naming the scopes
// the resource requires (RFC 6750 §3.1).
func InsufficientScope(description string, scopes ...string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Description: description, Scopes: scopes}
}

func missingToken() *Error {
	return &Error{Status: http.StatusUnauthorized, Description: "Unauthorized", cause: ErrMissingToken}
}

func invalidRequest(description string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: description}
}

func invalidToken(description string, cause error) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: description, cause: cause}
}

func unavailable(cause error) *Error {
	if cause == nil {
		cause = errors.New("no attempt succeeded yet")
	}
	return &Error{
		Status:      http.StatusServiceUnavailable,
		Code:        CodeUnavailable,
		Description: "the authorization server's keys are unavailable",
		cause:       fmt.Errorf("%w: %w", ErrIssuerUnavailable, cause),
	}
}

// asError turns anything a Check returns into an *Error: an *Error (possibly
// wrapped) is kept, any other error becomes 401 invalid_token carrying the
// error's text as its description.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return invalidToken(err.Error(), err)
}

// WWWAuthenticate renders the challenge of RFC 6750 §3, or "" for statuses
// that carry none.
func (e *Error) WWWAuthenticate() string {
	switch e.Status {
	case http.StatusUnauthorized, http.StatusBadRequest, http.StatusForbidden:
	default:
		return ""
	}
	var b strings.Builder
	if e.dpop {
		b.WriteString(`DPoP algs="` + strings.Join(supportedAlgorithms, " ") + `"`)
	} else {
		b.WriteString(`Bearer realm="` + Realm + `"`)
	}
	if e.Code == "" {
		return b.String()
	}
	b.WriteString(`, error="` + headerSafe(e.Code) + `"`)
	if e.Description != "" {
		b.WriteString(`, error_description="` + headerSafe(e.Description) + `"`)
	}
	if len(e.Scopes) > 0 {
		b.WriteString(`, scope="` + headerSafe(strings.Join(e.Scopes, " ")) + `"`)
	}
	return b.String()
}

// headerSafe keeps the characters RFC 6750 §3 allows in error_description and
// scope (%x20-21 / %x23-5B / %x5D-7E): a double quote becomes a single quote,
// anything else outside the set a space.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\' || r < 0x20 || r > 0x7e:
			return ' '
		}
		return r
	}, s)
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteError writes err as the default handler does: the status, the
// WWW-Authenticate challenge, and a JSON body
// {"error": code, "error_description": description}. The body's error is
// "unauthorized" when the challenge has no code (a request without a token).
func WriteError(w http.ResponseWriter, err *Error) {
	h := w.Header()
	if c := err.WWWAuthenticate(); c != "" {
		h.Set("WWW-Authenticate", c)
	}
	if err.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	code := err.Code
	if code == "" {
		code = "unauthorized"
	}
	w.WriteHeader(err.Status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: code, Description: err.Description})
}
