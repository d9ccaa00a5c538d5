package domain

import (
	"strings"
	"time"
)

// App types (spec §3.1).
const (
	AppTypeRegularWeb     = "regular_web"
	AppTypeSPA            = "spa"
	AppTypeNative         = "native"
	AppTypeNonInteractive = "non_interactive"
)

// Grant types a client may hold.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantImplicit          = "implicit"
	GrantPassword          = "password"
	GrantPasswordRealm     = "http://auth0.com/oauth/grant-type/password-realm"
	// Auth0's MFA grants: the second factor of a sign-in the password grant answered mfa_required.
	GrantMFAOTP          = "http://auth0.com/oauth/grant-type/mfa-otp"
	GrantMFAOOB          = "http://auth0.com/oauth/grant-type/mfa-oob"
	GrantMFARecoveryCode = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
)

// Token endpoint authentication methods.
const (
	AuthMethodNone        = "none"
	AuthMethodSecretPost  = "client_secret_post"
	AuthMethodSecretBasic = "client_secret_basic"
)

// Refresh token settings values.
const (
	RotationRotating      = "rotating"
	RotationNonRotating   = "non-rotating"
	ExpirationExpiring    = "expiring"
	ExpirationNonExpiring = "non-expiring"
)

// JWTConfiguration is a client's ID token configuration.
type JWTConfiguration struct {
	Alg               string `json:"alg,omitempty"`
	LifetimeInSeconds int    `json:"lifetime_in_seconds"`
	SecretEncoded     bool   `json:"secret_encoded"`
}

// RefreshTokenConfig is a client's refresh token policy (spec §2.4, §2.6).
type RefreshTokenConfig struct {
	RotationType              string `json:"rotation_type"`
	ExpirationType            string `json:"expiration_type"`
	Leeway                    int    `json:"leeway"`
	TokenLifetime             int    `json:"token_lifetime"`
	InfiniteTokenLifetime     bool   `json:"infinite_token_lifetime"`
	IdleTokenLifetime         int    `json:"idle_token_lifetime"`
	InfiniteIdleTokenLifetime bool   `json:"infinite_idle_token_lifetime"`
}

// Client is an application (spec §3.1). The secret is never held in clear: SecretHash is SHA-256 of the
// high-entropy secret, compared in constant time at the token endpoint.
type Client struct {
	ClientID     string `json:"client_id"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	AppType      string `json:"app_type,omitempty"`
	IsFirstParty bool   `json:"is_first_party"`
	// IsTokenEndpointIPHeaderTrusted lets a confidential client name the end user's address in the
	// auth0-forwarded-for header of a password grant, so that brute-force protection counts per user
	// address rather than per server (spec §1.3). Ignored for public clients, which could forge it.
	IsTokenEndpointIPHeaderTrusted bool               `json:"is_token_endpoint_ip_header_trusted"`
	OIDCConformant                 bool               `json:"oidc_conformant"`
	Callbacks                      []string           `json:"callbacks,omitempty"`
	AllowedLogoutURLs              []string           `json:"allowed_logout_urls,omitempty"`
	WebOrigins                     []string           `json:"web_origins,omitempty"`
	AllowedOrigins                 []string           `json:"allowed_origins,omitempty"`
	GrantTypes                     []string           `json:"grant_types"`
	TokenEndpointAuthMethod        string             `json:"token_endpoint_auth_method"`
	JWTConfiguration               JWTConfiguration   `json:"jwt_configuration"`
	RefreshToken                   RefreshTokenConfig `json:"refresh_token"`
	SSODisabled                    bool               `json:"sso_disabled"`
	CrossOriginAuthentication      bool               `json:"cross_origin_authentication"`
	CustomLoginPageOn              bool               `json:"custom_login_page_on"`
	ClientMetadata                 map[string]string  `json:"client_metadata,omitempty"`
	InitiateLoginURI               string             `json:"initiate_login_uri,omitempty"`
	LogoURI                        string             `json:"logo_uri,omitempty"`
	// ClientAuthenticationMethods enables private_key_jwt with the listed credentials (RFC 7523).
	ClientAuthenticationMethods *ClientAuthenticationMethods `json:"client_authentication_methods,omitempty"`
	// RequirePushedAuthorizationRequests refuses /authorize requests not pushed first (RFC 9126 §6).
	RequirePushedAuthorizationRequests bool `json:"require_pushed_authorization_requests"`
	// OIDCLogout holds the back-channel logout URLs (OpenID Connect Back-Channel Logout 1.0).
	OIDCLogout *OIDCLogout `json:"oidc_logout,omitempty"`
	// OrganizationUsage says whether users sign in through an organization: deny (never), allow
	// (with or without) or require (always); OrganizationRequireBehavior what the login asks when
	// required and none was named (no_prompt: an error; pre_login_prompt: the organization's name).
	OrganizationUsage           string `json:"organization_usage"`
	OrganizationRequireBehavior string `json:"organization_require_behavior"`
	// IsSystem marks clients Gatehouse itself relies on (the dev tenant's Management client); the
	// Management API will not change or delete them, rotate their secret or touch their Management
	// API grant.
	IsSystem   bool      `json:"-"`
	SecretHash []byte    `json:"-"`
	CreatedAt  time.Time `json:"-"`
	UpdatedAt  time.Time `json:"-"`
}

// IsConfidential reports whether the client authenticates with a secret at the token endpoint.
func (c *Client) IsConfidential() bool { return c.TokenEndpointAuthMethod != AuthMethodNone }

// HasGrant reports whether grant is enabled for the client.
func (c *Client) HasGrant(grant string) bool {
	for _, g := range c.GrantTypes {
		if g == grant {
			return true
		}
	}
	return false
}

// HasCallback reports whether redirectURI is registered, by exact string comparison: no case folding,
// no trailing-slash or path normalisation (spec §3.1; RFC 9700 §4.1.3).
func (c *Client) HasCallback(redirectURI string) bool {
	for _, cb := range c.Callbacks {
		if cb == redirectURI {
			return true
		}
	}
	return false
}

// IDTokenLifetime is the ID token lifetime, 36000 s unless configured.
func (c *Client) IDTokenLifetime() time.Duration {
	if c.JWTConfiguration.LifetimeInSeconds > 0 {
		return time.Duration(c.JWTConfiguration.LifetimeInSeconds) * time.Second
	}
	return 36000 * time.Second
}

// ApplyClientDefaults fills what Auth0 fills on creation, minus `implicit` (Gatehouse policy): grant
// types per app type, the auth method, the ID token lifetime and a rotating, expiring refresh policy
// with 30-day absolute and 15-day idle lifetimes (the seed guide's settings).
func ApplyClientDefaults(c *Client) {
	if c.AppType == "" {
		c.AppType = AppTypeRegularWeb
	}
	if c.GrantTypes == nil {
		switch c.AppType {
		case AppTypeSPA, AppTypeNative:
			c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
		case AppTypeNonInteractive:
			c.GrantTypes = []string{GrantClientCredentials}
		default:
			c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}
		}
	}
	if c.OrganizationUsage == "" {
		c.OrganizationUsage = OrganizationUsageDeny
	}
	if c.OrganizationRequireBehavior == "" {
		c.OrganizationRequireBehavior = OrganizationRequireNoPrompt
	}
	if c.TokenEndpointAuthMethod == "" {
		switch c.AppType {
		case AppTypeSPA, AppTypeNative:
			c.TokenEndpointAuthMethod = AuthMethodNone
		default:
			c.TokenEndpointAuthMethod = AuthMethodSecretPost
		}
	}
	if c.JWTConfiguration.LifetimeInSeconds == 0 {
		c.JWTConfiguration.LifetimeInSeconds = 36000
	}
	if c.JWTConfiguration.Alg == "" {
		c.JWTConfiguration.Alg = "RS256"
	}
	rt := &c.RefreshToken
	if rt.RotationType == "" {
		rt.RotationType = RotationRotating
	}
	if rt.ExpirationType == "" {
		rt.ExpirationType = ExpirationExpiring
	}
	if rt.TokenLifetime == 0 {
		rt.TokenLifetime = 2592000
	}
	if rt.IdleTokenLifetime == 0 {
		rt.IdleTokenLifetime = 1296000
	}
	c.OIDCConformant = true
}

var knownGrants = map[string]bool{
	GrantAuthorizationCode: true, GrantRefreshToken: true, GrantClientCredentials: true,
	GrantImplicit: true, GrantPassword: true, GrantPasswordRealm: true, GrantDeviceCode: true,
	GrantMFAOTP: true, GrantMFAOOB: true, GrantMFARecoveryCode: true,
}

// FirstPartyOnly reports whether grant may be enabled only for a first-party client: the password
// grants hand the user's password to the application, and the device flow has the user approve an
// application they cannot inspect, so Auth0 offers neither to third-party applications.
func FirstPartyOnly(grant string) bool {
	return grant == GrantPassword || grant == GrantPasswordRealm || grant == GrantDeviceCode ||
		grant == GrantMFAOTP || grant == GrantMFAOOB || grant == GrantMFARecoveryCode
}

// issuesRefreshTokens reports whether c has a grant that can issue a refresh token: refresh_token
// alone would be stored and do nothing.
func (c *Client) issuesRefreshTokens() bool {
	return c.HasGrant(GrantAuthorizationCode) || c.HasGrant(GrantPassword) || c.HasGrant(GrantPasswordRealm) || c.HasGrant(GrantDeviceCode)
}

// Validate checks every rule of a client and reports all violations together.
func (c *Client) Validate() error {
	var errs Errors
	if strings.TrimSpace(c.Name) == "" {
		errs.add(Invalidf("name", "is required"))
	} else if strings.ContainsAny(c.Name, "<>") {
		errs.add(Invalidf("name", "must not contain < or >"))
	}
	if len(c.Description) > 140 {
		errs.add(Invalidf("description", "must be at most 140 characters"))
	}
	switch c.AppType {
	case AppTypeRegularWeb, AppTypeSPA, AppTypeNative, AppTypeNonInteractive:
	default:
		errs.add(Invalidf("app_type", "%q is not one of regular_web, spa, native, non_interactive", c.AppType))
	}
	switch c.TokenEndpointAuthMethod {
	case AuthMethodNone, AuthMethodSecretPost, AuthMethodSecretBasic:
	default:
		errs.add(Invalidf("token_endpoint_auth_method", "%q is not one of none, client_secret_post, client_secret_basic", c.TokenEndpointAuthMethod))
	}
	public := c.AppType == AppTypeSPA || c.AppType == AppTypeNative
	if public && c.TokenEndpointAuthMethod != AuthMethodNone {
		errs.add(Invalidf("token_endpoint_auth_method", "a %s app cannot keep a secret; use none", c.AppType))
	}
	for i, g := range c.GrantTypes {
		if !knownGrants[g] {
			errs.add(Invalidf("grant_types["+itoa(i)+"]", "%q is not a supported grant type", g))
		}
		if g == GrantRefreshToken && !c.issuesRefreshTokens() {
			// Alone the grant would be stored and do nothing.
			errs.add(Invalidf("grant_types["+itoa(i)+"]", "refresh_token needs a grant that issues refresh tokens: authorization_code, password, password-realm or the device code grant"))
		}
		if g == GrantClientCredentials && c.TokenEndpointAuthMethod == AuthMethodNone {
			errs.add(Invalidf("grant_types["+itoa(i)+"]", "client_credentials needs a confidential client"))
		}
		if FirstPartyOnly(g) && !c.IsFirstParty {
			errs.add(Invalidf("grant_types["+itoa(i)+"]", "%s is for first-party applications only", g))
		}
	}
	validateURLList(&errs, "callbacks", c.Callbacks, c.AppType, ValidateAppURL)
	validateURLList(&errs, "allowed_logout_urls", c.AllowedLogoutURLs, c.AppType, ValidateAppURL)
	validateURLList(&errs, "web_origins", c.WebOrigins, c.AppType, ValidateOrigin)
	validateURLList(&errs, "allowed_origins", c.AllowedOrigins, c.AppType, ValidateOrigin)
	switch c.OrganizationUsage {
	case "", OrganizationUsageDeny, OrganizationUsageAllow, OrganizationUsageRequire:
	default:
		errs.add(Invalidf("organization_usage", "must be one of deny, allow, require"))
	}
	switch c.OrganizationRequireBehavior {
	case "", OrganizationRequireNoPrompt, OrganizationRequirePreLoginPrompt, OrganizationRequirePostLoginPrompt:
	default:
		errs.add(Invalidf("organization_require_behavior", "must be one of no_prompt, pre_login_prompt, post_login_prompt"))
	}
	if c.InitiateLoginURI != "" {
		if e := ValidateAppURL("initiate_login_uri", c.InitiateLoginURI, AppTypeRegularWeb); e != nil {
			errs.add(e)
		}
	}
	if l := c.JWTConfiguration.LifetimeInSeconds; l < 0 || l > 2592000 {
		errs.add(Invalidf("jwt_configuration.lifetime_in_seconds", "must be between 1 and 2592000"))
	}
	switch c.JWTConfiguration.Alg {
	case "", "RS256":
	default:
		errs.add(Invalidf("jwt_configuration.alg", "%q is not supported; use RS256", c.JWTConfiguration.Alg))
	}
	rt := c.RefreshToken
	if rt.RotationType != RotationRotating && rt.RotationType != RotationNonRotating {
		errs.add(Invalidf("refresh_token.rotation_type", "%q is not one of rotating, non-rotating", rt.RotationType))
	}
	if rt.ExpirationType != ExpirationExpiring && rt.ExpirationType != ExpirationNonExpiring {
		errs.add(Invalidf("refresh_token.expiration_type", "%q is not one of expiring, non-expiring", rt.ExpirationType))
	}
	if rt.Leeway < 0 || rt.Leeway > 60 {
		errs.add(Invalidf("refresh_token.leeway", "must be between 0 and 60 seconds"))
	}
	if rt.TokenLifetime < 0 || rt.TokenLifetime > 31557600 {
		errs.add(Invalidf("refresh_token.token_lifetime", "must be between 1 and 31557600 seconds"))
	}
	if rt.IdleTokenLifetime < 0 || rt.IdleTokenLifetime > 31557600 {
		errs.add(Invalidf("refresh_token.idle_token_lifetime", "must be between 1 and 31557600 seconds"))
	}
	validateOIDCLogout(&errs, c.OIDCLogout)
	if m := c.ClientAuthenticationMethods; m != nil && m.PrivateKeyJWT != nil {
		if public || c.TokenEndpointAuthMethod == AuthMethodNone {
			errs.add(Invalidf("client_authentication_methods.private_key_jwt", "a public client (token_endpoint_auth_method none) cannot keep a private key"))
		}
		if n := len(m.PrivateKeyJWT.Credentials); n > 2 {
			errs.add(Invalidf("client_authentication_methods.private_key_jwt.credentials", "at most 2 credentials (one for rotation)"))
		}
	}
	if public && rt.RotationType != RotationRotating && c.HasGrant(GrantRefreshToken) {
		errs.add(Invalidf("refresh_token.rotation_type", "public apps must use rotating refresh tokens"))
	}
	return errs.Err()
}
