package grant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Request is a token request (RFC 6749 §4.1.3, §4.4.2, §6) whose client is authenticated.
type Request struct {
	GrantType    string
	Client       *domain.Client
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Audience     string
	// Scope as sent; ScopeSent tells an absent parameter from an empty one.
	Scope        string
	ScopeSent    bool
	Organization string
	IP           string
	UserAgent    string
}

// Response is a successful token response (RFC 6749 §5.1) plus what the tenant log records.
type Response struct {
	AccessToken  string
	IDToken      string
	RefreshToken string
	ExpiresIn    int
	Scope        string

	UserID   string
	Audience string
}

// Grant is one grant type.
type Grant interface {
	// Type is the grant_type value.
	Type() string
	// LogTypes are the tenant log event types of a success and of a failure.
	LogTypes() (success, failure string)
	Exchange(ctx context.Context, req *Request) (*Response, error)
}

// Error is an OAuth error response (RFC 6749 §5.2) with its HTTP status (spec "Gatehouse decisions")
// and Auth0's error_description. Cause is logged, never shown.
type Error struct {
	Status      int
	Code        string
	Description string
	// LogType replaces the grant's failure event type (e.g. ferrt for refresh token reuse).
	LogType string
	UserID  string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Description + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

// InvalidRequest is a malformed request: 400.
func InvalidRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: fmt.Sprintf(format, args...)}
}

// MissingParameter is Auth0's `Missing required parameter: <name>`.
func MissingParameter(name string) *Error {
	return InvalidRequest("Missing required parameter: %s", name)
}

// InvalidGrant is a bad code or refresh token: 400 (RFC 6749 §5.2).
func InvalidGrant(description string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_grant", Description: description}
}

// AccessDenied is Auth0's 403 for audience, client grant and Action denials.
func AccessDenied(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: fmt.Sprintf(format, args...)}
}

// UnauthorizedClient: the client may not use this grant. 403 as Auth0.
func UnauthorizedClient(grantType string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "unauthorized_client", Description: fmt.Sprintf("Grant type '%s' not allowed for the client.", grantType)}
}

// ServerError hides an internal failure behind a generic 500.
func ServerError(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error", Cause: cause}
}

// Descriptions Auth0 uses (spec §1.3).
const (
	DescInvalidCode         = "Invalid authorization code"
	DescCodeVerifier        = "Failed to verify code verifier"
	DescInvalidRefreshToken = "Unknown or invalid refresh token."
)

// Config reads the tenant configuration a grant needs. The oauth package serves it from a short-lived
// cache; ErrNotFound (store.ErrNotFound) means the thing does not exist.
type Config interface {
	Client(ctx context.Context, clientID string) (*domain.Client, error)
	ResourceServer(ctx context.Context, identifier string) (*domain.ResourceServer, error)
	ClientGrant(ctx context.Context, clientID, audience string) (*domain.ClientGrant, error)
	TenantSettings(ctx context.Context) (domain.TenantSettings, error)
}

// Deps are what every grant uses.
type Deps struct {
	Store   store.Store
	Config  Config
	Tokens  *token.Issuer
	Actions ActionRunner // nil: no Actions
	Now     func() time.Time
	Logger  *slog.Logger // faults that do not fail the exchange; nil discards
}

func (d *Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// audienceAPI resolves the requested audience, or the tenant default: nil API means no audience (a
// userinfo-only token). An unknown audience is Auth0's `Service not enabled within domain`.
func (d *Deps) audienceAPI(ctx context.Context, audience string) (*domain.ResourceServer, error) {
	if audience == "" {
		ts, err := d.Config.TenantSettings(ctx)
		if err != nil {
			return nil, ServerError(err)
		}
		audience = ts.DefaultAudience
		if audience == "" {
			return nil, nil
		}
	}
	api, err := d.Config.ResourceServer(ctx, audience)
	if errors.Is(err, store.ErrNotFound) {
		return nil, AccessDenied("Service not enabled within domain: %s", audience)
	}
	if err != nil {
		return nil, ServerError(err)
	}
	return api, nil
}
