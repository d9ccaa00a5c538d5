package trigger

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// PostLoginRunner runs the post-login trigger (spec §5.2, §5.3). A nil runner means no Actions are
// configured; a runner with no bound action returns a zero Outcome.
type PostLoginRunner interface {
	PostLogin(ctx context.Context, ev PostLogin) (Outcome, error)
}

// CredentialsExchangeRunner runs the credentials-exchange trigger before a client-credentials token
// is issued (spec §5.4).
type CredentialsExchangeRunner interface {
	CredentialsExchange(ctx context.Context, ev CredentialsExchange) (Outcome, error)
}

// Source is the flow that fired post-login.
type Source int

const (
	// SignIn is the browser sign-in at /authorize, once the user has authenticated.
	SignIn Source = iota
	// Refresh is a refresh-token exchange at /oauth/token (transaction protocol
	// oauth2-refresh-token): no redirects, no MFA, and the grant cannot widen (RFC 6749 §6).
	Refresh
	// Password is a resource owner password exchange at /oauth/token (transaction protocol
	// oauth2-password): the user authenticated with a password just now, and there is no browser to
	// redirect and no session.
	Password
)

// PostLogin is what the post-login event is built from, for both sources. Fields a source does not
// have stay zero.
type PostLogin struct {
	Source Source
	User   *domain.User
	// Roles are the names of the user's roles (event.authorization.roles). Nil lets the runner load
	// them, and only when an action is bound, keeping them off the path of a sign-in without Actions.
	Roles      []string
	Client     *domain.Client
	Connection string // the connection the user signed in with (its strategy is the identity provider's)
	Audience   string // event.resource_server.identifier; "" for a userinfo-only login
	// RequestedScopes are the scopes asked for; GrantedScopes what will be granted before the Actions
	// change it (RBAC applied).
	RequestedScopes []string
	GrantedScopes   []string
	Methods         []AuthMethod
	Request         Request

	// Organization is event.organization: the organization of an organization sign-in, else nil.
	Organization *domain.Organization

	// Sign-in only.
	Transaction *domain.LoginTransaction
	Session     *domain.Session
	// Interactive is false for prompt=none: Actions must not redirect (api.redirect.canRedirect()).
	Interactive bool

	// Refresh only: the token presented (event.refresh_token; the runner loads its session).
	RefreshToken *domain.RefreshToken
}

// AuthMethod is one entry of event.authentication.methods.
type AuthMethod struct {
	Name      string    // "pwd" for the database connection
	Timestamp time.Time // when it was used
}

// Request is event.request.
type Request struct {
	IP        string
	Hostname  string
	Method    string
	UserAgent string
	Language  string            // Accept-Language
	Query     map[string]string // the /authorize parameters as they were accepted
}

// CredentialsExchange is what the credentials-exchange event is built from.
type CredentialsExchange struct {
	Client          *domain.Client
	API             *domain.ResourceServer
	RequestedScopes []string
	Scopes          []string // the scopes the token will carry
	IP              string
	UserAgent       string
}
