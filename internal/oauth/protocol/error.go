package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Error is an OAuth 2.0 error (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1) with the HTTP status
// Gatehouse answers it with and Auth0's error_description. Only Code and Description are ever sent;
// everything else is for the log or the hosted page.
type Error struct {
	Status      int
	Code        string // the `error` value; empty for a refusal shown only on the hosted page
	Description string // the `error_description` value
	// Cause is logged, never sent.
	Cause error

	// LogType replaces the token endpoint's failure event type (e.g. ferrt for refresh token reuse),
	// and UserID is the user the failure concerns: both go to the tenant log only.
	LogType string
	UserID  string
	// Quiet keeps an expected, frequent answer (a device's pending poll) out of the tenant log.
	Quiet bool
	// RetryAfter, when positive, is sent as Retry-After (seconds) with the answer: a throttled or
	// blocked attempt says when to try again.
	RetryAfter int
	// MFAToken is the mfa_token of a 403 mfa_required (Auth0's MFA API): sent with the error.
	MFAToken string

	// Heading and Details are shown by the hosted error page (Page) alone.
	Heading string
	Details []string
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Description
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// As returns err's *Error, or a ServerError hiding err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ServerError(err)
}

// NewError returns an error with a fixed description (no formatting).
func NewError(status int, code, description string) *Error {
	return &Error{Status: status, Code: code, Description: description}
}

// InvalidRequest is a malformed request: 400.
func InvalidRequest(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...))
}

// MissingParameter is Auth0's `Missing required parameter: <name>`.
func MissingParameter(name string) *Error {
	return InvalidRequest("Missing required parameter: %s", name)
}

// InvalidGrant is a bad code or refresh token: 400 (RFC 6749 §5.2).
func InvalidGrant(description string) *Error {
	return NewError(http.StatusBadRequest, "invalid_grant", description)
}

// AccessDenied is Auth0's 403 for audience, client grant and Action denials.
func AccessDenied(format string, args ...any) *Error {
	return NewError(http.StatusForbidden, "access_denied", fmt.Sprintf(format, args...))
}

// UnauthorizedClient: the client may not use this grant. 403 as Auth0.
func UnauthorizedClient(grantType string) *Error {
	return NewError(http.StatusForbidden, "unauthorized_client", fmt.Sprintf("Grant type '%s' not allowed for the client.", grantType))
}

// InvalidToken is a refused Bearer token (RFC 6750 §3.1): 401.
func InvalidToken(description string) *Error {
	return NewError(http.StatusUnauthorized, "invalid_token", description)
}

// ServerError hides an internal failure behind a generic 500; cause is logged.
func ServerError(cause error) *Error {
	if Unavailable(cause) {
		return unavailable(cause)
	}
	return &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error", Cause: cause}
}

// Descriptions Auth0 uses (spec §1.3).
const (
	DescInvalidCode         = "Invalid authorization code"
	DescCodeVerifier        = "Failed to verify code verifier"
	DescInvalidRefreshToken = "Unknown or invalid refresh token."
)

// Params returns e as authorization response parameters (RFC 6749 §4.1.2.1): error,
// error_description and, when the request carried one, state.
func (e *Error) Params(state string) url.Values {
	v := url.Values{"error": {e.Code}, "error_description": {e.Description}}
	if state != "" {
		v.Set("state", state)
	}
	return v
}

// ErrorPage is what the hosted error page shows: the refusal of a request whose client or
// redirect_uri cannot be trusted (RFC 6749 §4.1.2.1: nothing may go to the redirect_uri), or an
// internal failure.
type ErrorPage struct {
	Heading     string
	Code        string
	Description string
	Details     []string
}

// Page returns e as the hosted error page; heading is used when e names none. The cause is not
// part of it.
func (e *Error) Page(heading string) ErrorPage {
	if e.Heading != "" {
		heading = e.Heading
	}
	return ErrorPage{Heading: heading, Code: e.Code, Description: e.Description, Details: e.Details}
}
