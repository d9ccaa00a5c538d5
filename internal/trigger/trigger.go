package trigger

import (
	"context"
	"net/url"
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
	// RedirectState is the state a redirect from this run carries (the id the transaction will
	// be stored under while the browser is away); "" when the flow cannot redirect.
	RedirectState string
	// Resume continues a run that redirected (the Outcome.Redirect.Resume it returned), at
	// /continue?state=ContinueState; Request is then the /continue request.
	Resume        []byte
	ContinueState string

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
	Query     map[string]string // the /authorize parameters as they were accepted (/continue: its query)
	Body      map[string]string // /continue: the posted form
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

// PreUserRegistrationRunner runs the pre-user-registration trigger before a database user is
// created (spec §5.5): the hosted signup page and /dbconnections/signup ask it.
type PreUserRegistrationRunner interface {
	PreUserRegistration(ctx context.Context, ev PreUserRegistration) (Registration, error)
}

// PreUserRegistration is what the pre-user-registration event is built from: the user about to
// be created (no user id yet) and where the signup came from.
type PreUserRegistration struct {
	User       *domain.User
	Client     *domain.Client
	Connection string
	IP         string
	UserAgent  string
	Hostname   string
}

// Registration is the pre-user-registration outcome. A Denial refuses the signup: its Reason goes
// to the tenant log; UserMessage, when set, is what the person signing up is shown. Metadata is
// merged into the user before it is created (nil deletes a key).
type Registration struct {
	Denial       *Denial
	UserMessage  string
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// ExecutionID names the run's execution record.
	ExecutionID string
}

// ApplyMetadata merges the outcome's metadata into u.
func (r Registration) ApplyMetadata(u *domain.User) {
	merge := func(dst *map[string]any, src map[string]any) {
		if len(src) == 0 {
			return
		}
		if *dst == nil {
			*dst = map[string]any{}
		}
		for k, v := range src {
			if v == nil {
				delete(*dst, k)
			} else {
				(*dst)[k] = v
			}
		}
	}
	merge(&u.AppMetadata, r.AppMetadata)
	merge(&u.UserMetadata, r.UserMetadata)
}

// PostUserRegistrationRunner runs the post-user-registration trigger after a signup created a user
// (spec §5.5). It cannot change the signup: it returns at once and runs the Actions in the
// background, retrying a failed run.
type PostUserRegistrationRunner interface {
	PostUserRegistration(ctx context.Context, ev PostUserRegistration)
}

// PostUserRegistration is what the post-user-registration event is built from.
type PostUserRegistration struct {
	User       *domain.User
	Client     *domain.Client
	Connection string
	IP         string
	UserAgent  string
	Hostname   string
}

// PostChangePasswordRunner runs the post-change-password trigger after a database user's password
// changed (the reset link or change ticket, the Management API). Like post-user-registration it
// cannot change anything: it returns at once and runs the Actions in the background, retrying a
// failed run.
type PostChangePasswordRunner interface {
	PostChangePassword(ctx context.Context, ev PostChangePassword)
}

// PostChangePassword is what the post-change-password event is built from.
type PostChangePassword struct {
	User       *domain.User
	Connection string
	IP         string
	UserAgent  string
	Hostname   string
	Method     string // the HTTP method of the request that changed the password
}

// PasswordResetPostChallengeRunner runs the password-reset-post-challenge trigger once the user has
// proved a reset link (or change ticket), before the new password form.
type PasswordResetPostChallengeRunner interface {
	PasswordResetPostChallenge(ctx context.Context, ev PasswordResetPostChallenge) (ResetChallenge, error)
}

// PasswordResetPostChallenge is what the password-reset-post-challenge event is built from: the
// user, the application the reset started from (nil when unknown) and the request.
type PasswordResetPostChallenge struct {
	User       *domain.User
	Client     *domain.Client
	Connection string
	Method     string // the HTTP method of the request (the link's GET, or the form's POST)
	IP         string
	UserAgent  string
	Hostname   string
	Language   string
	// ProvedAt is when the user proved the link (event.authentication.methods' "email").
	ProvedAt time.Time
	// RedirectState is the state a redirect from this run carries ("" when the request cannot be
	// redirected: the form's POST). Resume continues a run that redirected (the
	// ResetChallenge.Redirect.Resume it returned) at /continue?state=ContinueState; Query and Body
	// are then that request's (event.request.query and body).
	RedirectState string
	Resume        []byte
	ContinueState string
	Query         map[string]string
	Body          map[string]string
}

// ResetChallenge is the password-reset-post-challenge outcome. A Denial ends the reset: its Reason
// is shown to the user (Auth0 documents it may be). MFA, when not empty, lists the factor types
// (domain.FactorOTP, FactorEmail, FactorRecoveryCode, in the Action's order) of which the user must
// pass one enrolled factor before the new password (api.authentication.challengeWith). Ran reports
// whether any action was bound.
type ResetChallenge struct {
	Denial *Denial
	MFA    []string
	// Redirect is an api.redirect.sendUserTo call: the Actions paused, nothing else is decided
	// until the browser comes back to /continue and the run resumes.
	Redirect    *Redirect
	Ran         bool
	ExecutionID string
}

// FirstValues flattens request parameters to their first values, as an Action's event.request
// shows its query and body.
func FirstValues(v url.Values) map[string]string {
	if len(v) == 0 {
		return nil
	}
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return m
}
