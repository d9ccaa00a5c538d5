package authflow

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// PostLogin runs the tenant's post-login Actions (spec §5.2, §5.3) once a user has authenticated and
// before the authorization code is issued. A nil PostLogin means no Actions are bound.
type PostLogin interface {
	Run(ctx context.Context, in PostLoginInput) (PostLoginOutput, error)
}

// AuthMethod is one entry of event.authentication.methods.
type AuthMethod struct {
	Name      string    // "pwd" for the database connection
	Timestamp time.Time // when it was used
}

// PostLoginRequest is event.request.
type PostLoginRequest struct {
	IP        string
	Hostname  string
	Method    string
	UserAgent string
	Language  string            // Accept-Language
	Query     map[string]string // the /authorize parameters as they were accepted
}

// PostLoginInput is what the post-login event is built from.
type PostLoginInput struct {
	User *domain.User
	// Roles are the names of the user's roles (event.authorization.roles). The flow leaves them nil:
	// the runner loads them only when an action is bound, keeping them off the path of a sign-in
	// without Actions.
	Roles       []string
	Client      *domain.Client
	Connection  string // database connection name; strategy "auth0"
	Audience    string // event.resource_server.identifier; "" for a userinfo-only login
	Transaction *domain.LoginTransaction
	// RequestedScopes are the scopes asked for; GrantedScopes what will be granted before the Actions
	// change it (RBAC applied).
	RequestedScopes []string
	GrantedScopes   []string
	Session         *domain.Session
	Methods         []AuthMethod
	Request         PostLoginRequest
	// Interactive is false for prompt=none: Actions must not redirect (api.redirect.canRedirect()).
	Interactive bool
}

// PostLoginOutput is what the Actions decided.
type PostLoginOutput struct {
	// Deny, when non-empty, fails the login: access_denied with this text as error_description.
	Deny              string
	IDTokenClaims     map[string]any
	AccessTokenClaims map[string]any
	AddScopes         []string
	RemoveScopes      []string
	// AppMetadata and UserMetadata are merged into the user's metadata (a nil value deletes the key),
	// written once at the end of the flow even when the login is denied (spec §5.3).
	AppMetadata  map[string]any
	UserMetadata map[string]any
}
