package grant

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// ActionRunner runs the Actions bound to the triggers that fire at the token endpoint (spec §5).
// Post-login Actions of a browser login run in the /authorize flow, which stores their claims on the
// authorization code; the two hooks here cover the exchanges that have no browser step. A nil
// ActionRunner means no Actions are configured.
type ActionRunner interface {
	// CredentialsExchange runs the credentials-exchange trigger before a client-credentials token is
	// issued (spec §5.4).
	CredentialsExchange(ctx context.Context, ev CredentialsExchangeEvent) (ActionResult, error)
	// PostLoginRefresh runs the post-login trigger for a refresh-token exchange (transaction protocol
	// oauth2-refresh-token, spec §5.2): no redirects, no MFA.
	PostLoginRefresh(ctx context.Context, ev RefreshEvent) (ActionResult, error)
}

// CredentialsExchangeEvent is the input of the credentials-exchange trigger.
type CredentialsExchangeEvent struct {
	Client          *domain.Client
	API             *domain.ResourceServer
	RequestedScopes []string
	Scopes          []string // the scopes the token will carry
	IP              string
	UserAgent       string
}

// RefreshEvent is the input of post-login on a refresh-token exchange.
type RefreshEvent struct {
	Client       *domain.Client
	User         *domain.User
	API          *domain.ResourceServer // nil without audience
	Scopes       []string
	RefreshToken *domain.RefreshToken
	IP           string
	UserAgent    string
}

// ActionResult is what the Actions decided.
type ActionResult struct {
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	// Deny stops the exchange. DenyCode is the OAuth error (access_denied when empty; credentials
	// exchange may use invalid_request, invalid_scope or server_error) and DenyReason its description.
	Deny       bool
	DenyCode   string
	DenyReason string
}

// denial turns an Action's deny into the token endpoint's error (spec §5.3, §5.4).
func (r ActionResult) denial() *protocol.Error {
	code := r.DenyCode
	status := http.StatusForbidden
	switch code {
	case "invalid_request", "invalid_scope":
		status = http.StatusBadRequest
	case "server_error":
		status = http.StatusInternalServerError
	default:
		code = "access_denied"
	}
	return &protocol.Error{Status: status, Code: code, Description: r.DenyReason}
}
