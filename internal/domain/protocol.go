package domain

import "time"

// Lifetimes of the protocol records.
const (
	AuthorizationCodeLifetime = 60 * time.Second // single use; spec §2.4 (Auth0 value unconfirmed)
	LoginTransactionLifetime  = 30 * time.Minute
)

// LoginTransaction is one /authorize request in progress: everything validated from the request,
// stored server-side so the login page carries only its id (`/u/login?state=<ID>`). It is bound to the
// browser that started it: BrowserBindingHash is SHA-256 of a random cookie set on that browser, so a
// transaction id pasted into another browser does not work.
type LoginTransaction struct {
	ID                  string            `json:"id"`
	BrowserBindingHash  []byte            `json:"browser_binding_hash"`
	ClientID            string            `json:"client_id"`
	RedirectURI         string            `json:"redirect_uri"`
	ResponseType        string            `json:"response_type"`
	ResponseMode        string            `json:"response_mode"`
	Scope               string            `json:"scope"`
	Audience            string            `json:"audience,omitempty"`
	State               string            `json:"state,omitempty"`
	Nonce               string            `json:"nonce,omitempty"`
	CodeChallenge       string            `json:"code_challenge,omitempty"`
	CodeChallengeMethod string            `json:"code_challenge_method,omitempty"`
	Prompt              string            `json:"prompt,omitempty"`
	MaxAge              *int              `json:"max_age,omitempty"`
	LoginHint           string            `json:"login_hint,omitempty"`
	ScreenHint          string            `json:"screen_hint,omitempty"`
	Params              map[string]string `json:"params,omitempty"`  // other accepted parameters (ui_locales, …), for Actions
	UserID              string            `json:"user_id,omitempty"` // set once the user has authenticated
	AuthTime            *time.Time        `json:"auth_time,omitempty"`
	// Connection is the connection the user authenticated through in this transaction: for an
	// identity linked to another account, the linked identity's connection, not the primary's
	// (event.connection in Actions).
	Connection string    `json:"connection,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// DeviceCodeHash makes this the sign-in of a device authorization (/activate, RFC 8628 §3.3):
	// it ends by approving that device code instead of redirecting with a code, once the user has
	// confirmed the device (DeviceConfirmed).
	DeviceCodeHash  []byte `json:"device_code_hash,omitempty"`
	DeviceUserCode  string `json:"device_user_code,omitempty"` // shown on the confirmation, for the user to compare
	DeviceConfirmed bool   `json:"device_confirmed,omitempty"`
	// DPoPJKT binds the authorization code to a DPoP key (RFC 9449 §10: dpop_jkt, or the key of the
	// proof sent with a pushed request).
	DPoPJKT string `json:"dpop_jkt,omitempty"`
	// Upstream is the sign-in at another identity provider this transaction is waiting for.
	Upstream *UpstreamRequest `json:"upstream,omitempty"`
	// OrganizationID is the organization the user signs in through (organization=), and
	// InvitationHash the SHA-256 of the invitation ticket the sign-in accepts (invitation=).
	OrganizationID string `json:"organization_id,omitempty"`
	InvitationHash []byte `json:"invitation_hash,omitempty"`
	// OrganizationPrompt is the client's organization_require_behavior (pre_login_prompt or
	// post_login_prompt) when it requires an organization and the request named none: the
	// organization is asked for by name before the login form, or picked among the user's after it.
	OrganizationPrompt string `json:"organization_prompt,omitempty"`
	// MFARequired marks a transaction stored again by the MFA step for its second-factor pages;
	// MFARemember lets the user have the browser remembered (the Action's allowRememberBrowser).
	MFARequired bool `json:"mfa_required,omitempty"`
	MFARemember bool `json:"mfa_remember,omitempty"`
	// ActionsResume marks a transaction stored by the redirect step while a post-login Action
	// has sent the browser to another site: the paused run (trigger.Redirect.Resume), resumed
	// once, by this browser, at /continue?state=<id>.
	ActionsResume []byte `json:"actions_resume,omitempty"`
	// PasswordReset marks a transaction stored by the password reset while one of its
	// password-reset-post-challenge Actions has sent the browser to another site (its id starts
	// with ResetContinuePrefix); the sign-in never resumes it.
	PasswordReset *ResetContinuation `json:"password_reset,omitempty"`
	// ActionsDone is what the post-login Actions decided in a login that went through a redirect,
	// kept by the MFA step so that the flow after the second factor applies it instead of running
	// the Actions (and their redirect) again.
	ActionsDone []byte `json:"actions_done,omitempty"`
	// MFAEnroll marks a second-factor transaction whose user, having passed an existing factor,
	// enrolls a new one (a post-login Action's enrollWith): the enrollment pages accept a user who
	// already has factors only then.
	MFAEnroll bool `json:"mfa_enroll,omitempty"`
	// SAMLSession is the samlp sign-in of this transaction, for the session it starts.
	SAMLSession *SessionSAML `json:"saml_session,omitempty"`
}

// Session is a browser SSO session. The cookie holds a random secret; the store keys the record by
// the secret's SHA-256 (TokenHash), so a database leak does not yield usable cookies. ID is the public
// session id that tokens carry as `sid`.
type Session struct {
	ID              string    `json:"id"`
	TokenHash       []byte    `json:"-"`
	UserID          string    `json:"user_id"`
	ClientIDs       []string  `json:"client_ids"`
	IP              string    `json:"ip,omitempty"`
	UserAgent       string    `json:"user_agent,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	LastSeenAt      time.Time `json:"last_seen_at"`
	IdleExpiresAt   time.Time `json:"idle_expires_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	// SAML is set on a session that signed in through a samlp connection: what the IdP's
	// LogoutRequest names and what a federated logout sends it.
	SAML *SessionSAML `json:"saml,omitempty"`
}

// AuthorizationCode is issued by /authorize and redeemed once at /oauth/token. It is stored by the
// SHA-256 of the code. UsedAt is set by the single redemption; a second attempt finds it set, which
// is how a replay is detected and what the first exchange issued (IssuedFamilyID) is revoked.
type AuthorizationCode struct {
	CodeHash            []byte         `json:"-"`
	ClientID            string         `json:"client_id"`
	UserID              string         `json:"user_id"`
	SessionID           string         `json:"session_id"`
	RedirectURI         string         `json:"redirect_uri"`
	Scope               string         `json:"scope"`
	Audience            string         `json:"audience,omitempty"`
	Nonce               string         `json:"nonce,omitempty"`
	CodeChallenge       string         `json:"code_challenge,omitempty"`
	CodeChallengeMethod string         `json:"code_challenge_method,omitempty"`
	AuthTime            time.Time      `json:"auth_time"`
	IncludeAuthTime     bool           `json:"include_auth_time,omitempty"`
	IDTokenClaims       map[string]any `json:"id_token_claims,omitempty"`     // set by post-login Actions
	AccessTokenClaims   map[string]any `json:"access_token_claims,omitempty"` // set by post-login Actions
	// ActionScopes are scopes post-login Actions added (api.accessToken.addScope); the exchange grants
	// them even where RBAC would not, since Actions override RBAC (spec §2.3).
	ActionScopes []string `json:"action_scopes,omitempty"`
	// AMR are the sign-in's authentication methods when it passed a second factor (ID token amr, acr).
	AMR            []string   `json:"amr,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	UsedAt         *time.Time `json:"used_at,omitempty"`
	IssuedFamilyID string     `json:"issued_family_id,omitempty"`
	// DPoPJKT, when set, is the only DPoP key the code may be redeemed with (RFC 9449 §10).
	DPoPJKT string `json:"dpop_jkt,omitempty"`
	// Organization is the organization the user signed in through: its tokens carry org_id (and
	// org_name), and RBAC reads the member's roles in it.
	Organization *OrgClaims `json:"organization,omitempty"`
}

// OrgClaims name the organization of a sign-in in its tokens: org_id, and org_name when the tenant
// allows names (Name empty otherwise).
type OrgClaims struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// RefreshToken is one token of a refresh family: every token descending from one grant shares the
// FamilyID and carries its Generation. Stored by the SHA-256 of the token. ExpiresAt (absolute) is
// fixed when the family starts and never extends; IdleExpiresAt restarts at each use.
type RefreshToken struct {
	TokenHash  []byte    `json:"-"`
	FamilyID   string    `json:"family_id"`
	Generation int       `json:"generation"`
	ClientID   string    `json:"client_id"`
	UserID     string    `json:"user_id"`
	SessionID  string    `json:"session_id,omitempty"`
	Audience   string    `json:"audience,omitempty"`
	Scope      string    `json:"scope"`
	Rotating   bool      `json:"rotating"`
	AuthTime   time.Time `json:"auth_time"`
	// Claims is what the sign-in decided that every exchange of the family reproduces. Its JSON key
	// is the one rows were written under when it was a map.
	Claims        RefreshContext `json:"claims,omitzero"`
	CreatedAt     time.Time      `json:"created_at"`
	ExpiresAt     *time.Time     `json:"expires_at,omitempty"`
	IdleExpiresAt *time.Time     `json:"idle_expires_at,omitempty"`
	RotatedAt     *time.Time     `json:"rotated_at,omitempty"`
	RevokedAt     *time.Time     `json:"revoked_at,omitempty"`
	// DPoPJKT binds a public client's refresh tokens to the DPoP key they were issued to (RFC 9449
	// §5): every exchange of the family must prove possession of that key.
	DPoPJKT string `json:"dpop_jkt,omitempty"`
}

// RefreshBinding is the DPoP key a new refresh token family of client is bound to: a public client's
// proof key (RFC 9449 §5; a confidential client's refresh tokens are bound by its authentication).
func RefreshBinding(c *Client, jkt string) string {
	if c.IsConfidential() || c.RequiresPrivateKeyJWT() {
		return ""
	}
	return jkt
}

// RefreshContext is what a refresh exchange must reproduce from the sign-in that started the family,
// beyond the token's own fields (scope, audience, auth time, session): the post-login Actions'
// claims and added scopes, and whether the ID token carries auth_time. The JSON keys are those of
// the map it replaces, so rows written before read back unchanged.
type RefreshContext struct {
	// Organization binds the family to the organization of the sign-in: a refresh is refused once
	// the user is no longer a member.
	Organization      *OrgClaims     `json:"organization,omitempty"`
	IDTokenClaims     map[string]any `json:"id_token,omitempty"`
	AccessTokenClaims map[string]any `json:"access_token,omitempty"`
	// IncludeAuthTime: the sign-in asked for prompt=login or max_age (OIDC Core §2, §3.1.2.1).
	IncludeAuthTime bool `json:"include_auth_time,omitempty"`
	// ActionScopes are scopes post-login Actions added at sign-in: kept on refresh even where RBAC
	// would drop them, as at the code exchange (spec §2.3).
	ActionScopes []string `json:"action_scopes,omitempty"`
	// AMR are the sign-in's authentication methods when it passed a second factor (ID token amr).
	AMR []string `json:"amr,omitempty"`
}

// RefreshContext is the part of the code that its refresh token family carries on.
func (c *AuthorizationCode) RefreshContext() RefreshContext {
	return RefreshContext{
		IDTokenClaims: c.IDTokenClaims, AccessTokenClaims: c.AccessTokenClaims,
		IncludeAuthTime: c.IncludeAuthTime, ActionScopes: c.ActionScopes, Organization: c.Organization, AMR: c.AMR,
	}
}

// Expired reports whether the token is past its absolute or idle lifetime at now.
func (t *RefreshToken) Expired(now time.Time) bool {
	return (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || (t.IdleExpiresAt != nil && !now.Before(*t.IdleExpiresAt))
}

// ResetContinuePrefix starts the state of a password reset that an Action sent to another site, so
// that /continue tells it from a sign-in's at once.
const ResetContinuePrefix = "pwreset_"

// ResetContinuation is a password reset paused by a redirect Action: the reset ticket (by hash), its
// secret sealed under a key only the browser that left holds (it is not kept readable anywhere),
// and the paused run (trigger.Redirect.Resume).
type ResetContinuation struct {
	TicketHash   []byte `json:"ticket_hash"`
	SealedTicket []byte `json:"sealed_ticket"`
	Resume       []byte `json:"resume"`
}
