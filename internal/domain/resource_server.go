package domain

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Token dialects (spec §2.3).
const (
	DialectAccessToken         = "access_token"
	DialectAccessTokenAuthz    = "access_token_authz"
	DialectRFC9068Profile      = "rfc9068_profile"
	DialectRFC9068ProfileAuthz = "rfc9068_profile_authz"
)

// Scope is one permission an API defines.
type Scope struct {
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// ResourceServer is an API (spec §3.2): the audience of access tokens and the owner of permissions.
type ResourceServer struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Identifier string  `json:"identifier"`
	IsSystem   bool    `json:"is_system,omitempty"`
	Scopes     []Scope `json:"scopes"`
	SigningAlg string  `json:"signing_alg"`
	// SigningSecret is the HS256 key in clear: held in memory only, never stored or logged.
	SigningSecret string `json:"-"`
	// SigningSecretSealed is SigningSecret sealed with a key derived from the master key (base64):
	// the only form the store ever holds.
	SigningSecretSealed                       string    `json:"signing_secret_sealed,omitempty"`
	EnforcePolicies                           bool      `json:"enforce_policies"`
	TokenDialect                              string    `json:"token_dialect"`
	TokenLifetime                             int       `json:"token_lifetime"`
	TokenLifetimeForWeb                       int       `json:"token_lifetime_for_web"`
	AllowOfflineAccess                        bool      `json:"allow_offline_access"`
	SkipConsentForVerifiableFirstPartyClients bool      `json:"skip_consent_for_verifiable_first_party_clients"`
	CreatedAt                                 time.Time `json:"-"`
	UpdatedAt                                 time.Time `json:"-"`
}

// MinSigningSecretLength is the shortest HS256 signing_secret accepted: 32 characters, so that the
// HMAC key is at least as long as its 256-bit output (RFC 7518 §3.2). Auth0 accepts 16; a shorter
// key is the one thing that makes HS256 guessable offline from a single token.
const MinSigningSecretLength = 32

// NewSigningSecret returns a generated HS256 signing_secret: 32 random bytes, base64url (43
// characters), as Auth0 generates one when an HS256 API is created without it.
func NewSigningSecret() string { return RandomToken(32) }

// HasScope reports whether the API defines the permission.
func (rs *ResourceServer) HasScope(value string) bool {
	for _, s := range rs.Scopes {
		if s.Value == value {
			return true
		}
	}
	return false
}

// AccessTokenLifetime is the API's access token lifetime, 86400 s unless configured.
// MaxAccessTokenLifetime bounds token_lifetime (Auth0's 30 days): no access token lives longer,
// so a revocation listing need not either.
const MaxAccessTokenLifetime = 2592000 * time.Second

func (rs *ResourceServer) AccessTokenLifetime() time.Duration {
	if rs.TokenLifetime > 0 {
		return time.Duration(rs.TokenLifetime) * time.Second
	}
	return 86400 * time.Second
}

// WantsPermissionsClaim reports whether access tokens carry the `permissions` claim.
func (rs *ResourceServer) WantsPermissionsClaim() bool {
	return rs.EnforcePolicies && (rs.TokenDialect == DialectAccessTokenAuthz || rs.TokenDialect == DialectRFC9068ProfileAuthz)
}

// ApplyResourceServerDefaults fills Auth0's creation defaults.
func ApplyResourceServerDefaults(rs *ResourceServer) {
	if rs.SigningAlg == "" {
		rs.SigningAlg = "RS256"
	}
	if rs.TokenDialect == "" {
		rs.TokenDialect = DialectAccessToken
	}
	if rs.TokenLifetime == 0 {
		rs.TokenLifetime = 86400
	}
	if rs.TokenLifetimeForWeb == 0 {
		rs.TokenLifetimeForWeb = 7200
	}
	if rs.Scopes == nil {
		rs.Scopes = []Scope{}
	}
}

// Permission names: no white space (they travel in the space-separated `scope`).
var permissionName = regexp.MustCompile(`^[^\s]{1,280}$`)

// Validate checks every rule of an API.
func (rs *ResourceServer) Validate() error {
	var errs Errors
	if strings.TrimSpace(rs.Identifier) == "" {
		errs.add(Invalidf("identifier", "is required"))
	} else if len(rs.Identifier) > 600 || strings.ContainsAny(rs.Identifier, " \t\r\n") {
		errs.add(Invalidf("identifier", "must be at most 600 characters without white space"))
	} else if u, err := url.Parse(rs.Identifier); err == nil && u.Scheme != "" && strings.Contains(rs.Identifier, "*") {
		errs.add(Invalidf("identifier", "%q contains a wildcard (*)", rs.Identifier))
	}
	if strings.TrimSpace(rs.Name) == "" {
		errs.add(Invalidf("name", "is required"))
	} else if strings.ContainsAny(rs.Name, "<>") {
		errs.add(Invalidf("name", "must not contain < or >"))
	}
	switch rs.SigningAlg {
	case "RS256", "PS256", "ES256":
	case "HS256":
		if len(rs.SigningSecret) < MinSigningSecretLength {
			errs.add(Invalidf("signing_secret", "must be at least %d characters for HS256", MinSigningSecretLength))
		}
	default:
		errs.add(Invalidf("signing_alg", "%q is not supported; use RS256, PS256, ES256 or HS256", rs.SigningAlg))
	}
	if rs.SigningSecret != "" && len(rs.SigningSecret) > 512 {
		errs.add(Invalidf("signing_secret", "must be at most 512 characters"))
	}
	switch rs.TokenDialect {
	case DialectAccessToken, DialectAccessTokenAuthz, DialectRFC9068Profile, DialectRFC9068ProfileAuthz:
	default:
		errs.add(Invalidf("token_dialect", "%q is not one of access_token, access_token_authz, rfc9068_profile, rfc9068_profile_authz", rs.TokenDialect))
	}
	if rs.TokenLifetime < 0 || rs.TokenLifetime > 2592000 {
		errs.add(Invalidf("token_lifetime", "must be between 1 and 2592000 seconds"))
	}
	if rs.TokenLifetimeForWeb < 0 || rs.TokenLifetimeForWeb > rs.TokenLifetime {
		errs.add(Invalidf("token_lifetime_for_web", "must be between 1 and token_lifetime"))
	}
	seen := map[string]bool{}
	for i, s := range rs.Scopes {
		f := "scopes[" + itoa(i) + "].value"
		if !permissionName.MatchString(s.Value) {
			errs.add(Invalidf(f, "%q must be 1 to 280 characters without white space", s.Value))
		}
		if seen[s.Value] {
			errs.add(Invalidf(f, "%q is listed twice", s.Value))
		}
		seen[s.Value] = true
	}
	return errs.Err()
}

// ClientGrant authorises a client to obtain client-credentials tokens for an audience with at most
// the listed scopes (spec §3.3).
type ClientGrant struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Audience  string    `json:"audience"`
	Scope     []string  `json:"scope"`
	CreatedAt time.Time `json:"-"`
}

// Validate checks the grant's own fields; that the client and API exist, and that every scope is
// defined by the API, is checked by the caller that can look them up.
func (g *ClientGrant) Validate() error {
	var errs Errors
	if g.ClientID == "" {
		errs.add(Invalidf("client_id", "is required"))
	}
	if g.Audience == "" {
		errs.add(Invalidf("audience", "is required"))
	}
	for i, s := range g.Scope {
		if !permissionName.MatchString(s) {
			errs.add(Invalidf("scope["+itoa(i)+"]", "%q is not a valid scope", s))
		}
	}
	return errs.Err()
}

// currentUserScopes are the only Management API permissions a token obtained by a user may carry
// (Auth0: "Get Management API tokens for single-page applications"): each acts on the signed-in
// user's own record. Everything else on the Management API needs client credentials and a client
// grant.
var currentUserScopes = []string{
	"read:current_user", "update:current_user_identities", "create:current_user_metadata",
	"update:current_user_metadata", "delete:current_user_metadata",
	"create:current_user_device_credentials", "delete:current_user_device_credentials",
}

// CurrentUserScopes returns the Management API permissions a user-obtained token may carry.
func CurrentUserScopes() []string { return append([]string(nil), currentUserScopes...) }

// UserMayHold reports whether a token obtained by a user (any grant but client credentials) may carry
// the permission on this API: on the Management API only the *:current_user* scopes, which act on the
// user's own record; on any other API every permission it defines (RBAC and client grants narrow it
// further).
func (rs *ResourceServer) UserMayHold(scope string) bool {
	if !rs.HasScope(scope) {
		return false
	}
	return !rs.IsSystem || IsCurrentUserScope(scope)
}

// IsCurrentUserScope reports whether scope is one of the Management API's *:current_user* permissions.
func IsCurrentUserScope(scope string) bool {
	for _, s := range currentUserScopes {
		if s == scope {
			return true
		}
	}
	return false
}
