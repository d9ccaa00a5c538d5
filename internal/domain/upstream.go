package domain

import (
	"net/url"
	"regexp"
	"strings"
)

// Strategies of connections whose users sign in at another identity provider (Auth0's names).
// github and google-oauth2 are presets: an oauth2 or oidc connection whose upstream URLs default
// to the provider's own, each of which an option may override (tests point them at loopback).
const (
	StrategyOIDC   = "oidc"          // an enterprise OpenID Connect provider (Okta, Entra ID, …)
	StrategyOAuth2 = "oauth2"        // a custom social provider: authorize, token and profile URLs
	StrategyGitHub = "github"        // GitHub's OAuth apps (oauth2)
	StrategyGoogle = "google-oauth2" // Google's OpenID Connect provider (oidc)
	// StrategyWindowsLive is Microsoft accounts: the Microsoft identity platform's authorization
	// and token endpoints, the profile from Microsoft Graph's /me (oauth2).
	StrategyWindowsLive = "windowslive"
	// StrategyFacebook is Facebook Login: the Graph API's dialog, token and /me (oauth2).
	StrategyFacebook = "facebook"
	// StrategyApple is Sign in with Apple: an OpenID provider whose client secret is a JWT the
	// connection signs with the team's key (options.team_id, options.kid) and which answers by
	// form_post.
	StrategyApple = "apple"
)

// UpstreamStrategies are the strategies of connections to other identity providers.
var UpstreamStrategies = []string{StrategyOIDC, StrategyOAuth2, StrategyGitHub, StrategyGoogle, StrategyWindowsLive, StrategyFacebook, StrategyApple, StrategySAMLP}

// The oidc connection types (Auth0's options.type). back_channel: the authorization code
// exchanged at the token endpoint with the client secret and PKCE. front_channel: the provider
// posts an ID token to /login/callback (response_type id_token, response_mode form_post); no
// client secret, and no upstream tokens to keep.
const (
	OIDCTypeBackChannel  = "back_channel"
	OIDCTypeFrontChannel = "front_channel"
)

// FrontChannel reports whether the connection's provider answers with an ID token by form_post.
func (c *Connection) FrontChannel() bool {
	return c.Strategy == StrategyOIDC && c.Options.Type == OIDCTypeFrontChannel
}

// IsUpstreamStrategy reports whether a connection of this strategy signs users in elsewhere.
func IsUpstreamStrategy(strategy string) bool {
	return containsWord(UpstreamStrategies, strategy)
}

// IsSocialProvider reports whether an identity's provider is a social one (Auth0's isSocial):
// everything but the database and the enterprise strategies.
func IsSocialProvider(provider string) bool {
	switch provider {
	case StrategyAuth0, StrategyOIDC, "samlp", "waad", "adfs", "ad", "okta", "pingfederate", "google-apps", "email", "sms":
		return false
	}
	return true
}

// UpstreamOptions are the options of a connection to another identity provider, with Auth0's
// names: the oidc strategy's (snake case) and the oauth2 strategy's (authorizationURL, tokenURL).
// The client secret is write-only: ClientSecret carries it in memory on its way to being sealed
// (Connection.SecretSealed) and has no JSON name.
type UpstreamOptions struct {
	ClientID              string   `json:"client_id,omitempty"`
	ClientSecret          string   `json:"-"`
	Type                  string   `json:"type,omitempty"` // oidc: back_channel
	Scope                 string   `json:"scope,omitempty"`
	DiscoveryURL          string   `json:"discovery_url,omitempty"`
	Issuer                string   `json:"issuer,omitempty"`
	AuthorizationEndpoint string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string   `json:"token_endpoint,omitempty"`
	JWKSURI               string   `json:"jwks_uri,omitempty"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint,omitempty"`
	DomainAliases         []string `json:"domain_aliases,omitempty"`
	IconURL               string   `json:"icon_url,omitempty"`
	// oauth2 (and the github preset): Auth0's names. ProfileURL and AttributeMap replace Auth0's
	// fetchUserProfile script: the profile is fetched with the access token and mapped by name.
	AuthorizationURL string        `json:"authorizationURL,omitempty"`
	TokenURL         string        `json:"tokenURL,omitempty"`
	ProfileURL       string        `json:"profileURL,omitempty"`
	AttributeMap     *AttributeMap `json:"attribute_map,omitempty"`
	// apple: the Apple developer team and the id of the key (client_secret holds the key itself,
	// PEM) the connection signs its client secret JWT with.
	TeamID string `json:"team_id,omitempty"`
	KeyID  string `json:"kid,omitempty"`
	// oidc: how the connection authenticates at the token endpoint (upstream_keys.go).
	TokenEndpointAuthMethod     string `json:"token_endpoint_auth_method,omitempty"`
	TokenEndpointAuthSigningAlg string `json:"token_endpoint_auth_signing_alg,omitempty"`
}

// AttributeMap maps the provider's profile attributes onto the user's (Auth0's attribute_map
// shape): key is the user attribute (user_id, email, email_verified, name, nickname, given_name,
// family_name, picture), value the provider's attribute name.
type AttributeMap struct {
	Attributes map[string]string `json:"attributes,omitempty"`
}

// MappedAttributes are the user attributes an attribute map may set.
var MappedAttributes = []string{"user_id", "email", "email_verified", "name", "nickname", "given_name", "family_name", "picture"}

// Upstream defaults of the presets. An option set on the connection wins.
const (
	GitHubAuthorizationURL = "https://github.com/login/oauth/authorize"
	GitHubTokenURL         = "https://github.com/login/oauth/access_token"
	GitHubProfileURL       = "https://api.github.com/user"
	GoogleIssuer           = "https://accounts.google.com"

	WindowsLiveAuthorizationURL = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
	WindowsLiveTokenURL         = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
	WindowsLiveProfileURL       = "https://graph.microsoft.com/v1.0/me"

	FacebookAuthorizationURL = "https://www.facebook.com/v19.0/dialog/oauth"
	FacebookTokenURL         = "https://graph.facebook.com/v19.0/oauth/access_token"
	FacebookProfileURL       = "https://graph.facebook.com/v19.0/me?fields=id,name,email,first_name,last_name,picture"

	AppleIssuer           = "https://appleid.apple.com"
	AppleAuthorizationURL = "https://appleid.apple.com/auth/authorize"
	AppleTokenURL         = "https://appleid.apple.com/auth/token"
	AppleJWKSURI          = "https://appleid.apple.com/auth/keys"
)

// Profile attributes of the presets. Neither Microsoft nor Facebook says whether the address is
// verified, so their users' email_verified is false: never proof of owning the address.
var (
	windowsLiveAttributes = map[string]string{"user_id": "id", "email": "mail", "name": "displayName", "nickname": "userPrincipalName",
		"given_name": "givenName", "family_name": "surname"}
	facebookAttributes = map[string]string{"user_id": "id", "email": "email", "name": "name", "given_name": "first_name",
		"family_name": "last_name", "picture": "picture.data.url"}
)

// gitHubAttributes is how GitHub's /user names the profile.
var gitHubAttributes = map[string]string{"user_id": "id", "email": "email", "name": "name", "nickname": "login", "picture": "avatar_url"}

// defaultOAuth2Attributes is the mapping of an oauth2 connection without attribute_map.
var defaultOAuth2Attributes = map[string]string{"user_id": "id", "email": "email", "email_verified": "email_verified",
	"name": "name", "nickname": "nickname", "given_name": "given_name", "family_name": "family_name", "picture": "picture"}

// UpstreamEndpoints are the URLs a sign-in through a connection uses, the preset's defaults
// filled in.
type UpstreamEndpoints struct {
	// OIDC is true for an ID-token provider (oidc, google-oauth2), false for a profile URL one.
	OIDC             bool
	DiscoveryURL     string // oidc: discovery document, when no explicit endpoints are given
	Issuer           string
	AuthorizationURL string
	TokenURL         string
	JWKSURI          string
	ProfileURL       string // oauth2: the profile fetched with the access token
	// EmailsURL (github): the user's addresses, for the primary one and whether it is verified,
	// since GitHub's profile leaves a private address out and never says it is verified.
	EmailsURL string
	// ResponseMode is sent upstream when the provider needs one (apple: form_post).
	ResponseMode string
	Scopes       []string
	Attributes   map[string]string // oauth2: user attribute → provider attribute
}

// Endpoints resolves the connection's upstream URLs.
func (c *Connection) Endpoints() UpstreamEndpoints {
	o := c.Options.UpstreamOptions
	e := UpstreamEndpoints{Scopes: strings.Fields(o.Scope)}
	switch c.Strategy {
	case StrategyOIDC, StrategyGoogle, StrategyApple:
		e.OIDC = true
		e.DiscoveryURL, e.Issuer = o.DiscoveryURL, o.Issuer
		e.AuthorizationURL, e.TokenURL, e.JWKSURI = o.AuthorizationEndpoint, o.TokenEndpoint, o.JWKSURI
		if c.Strategy == StrategyGoogle && e.Issuer == "" && e.DiscoveryURL == "" {
			e.Issuer = GoogleIssuer
		}
		if c.Strategy == StrategyApple {
			// Apple publishes no discovery document that lists its endpoints as they are used.
			e.Issuer = orDefault(e.Issuer, AppleIssuer)
			e.AuthorizationURL = orDefault(e.AuthorizationURL, AppleAuthorizationURL)
			e.TokenURL = orDefault(e.TokenURL, AppleTokenURL)
			e.JWKSURI = orDefault(e.JWKSURI, AppleJWKSURI)
			e.ResponseMode = "form_post" // Apple requires it when name or email is asked for
			if len(e.Scopes) == 0 {
				e.Scopes = []string{"openid", "name", "email"}
			}
		}
		if e.DiscoveryURL == "" && e.AuthorizationURL == "" && e.Issuer != "" {
			e.DiscoveryURL = strings.TrimSuffix(e.Issuer, "/") + "/.well-known/openid-configuration"
		}
		if !containsWord(e.Scopes, "openid") {
			e.Scopes = append([]string{"openid"}, e.Scopes...)
		}
		if len(e.Scopes) == 1 {
			e.Scopes = append(e.Scopes, "profile", "email")
		}
		if c.FrontChannel() {
			e.ResponseMode = "form_post"
		}
	case StrategySAMLP:
		// The IdP's single sign-on URL is where the browser is sent, as an authorization endpoint is.
		e.AuthorizationURL = c.Options.SAMLOptions.SignInEndpoint
	case StrategyOAuth2, StrategyGitHub, StrategyWindowsLive, StrategyFacebook:
		e.AuthorizationURL, e.TokenURL, e.ProfileURL = o.AuthorizationURL, o.TokenURL, o.ProfileURL
		e.Attributes = defaultOAuth2Attributes
		switch c.Strategy {
		case StrategyWindowsLive:
			e.Attributes = windowsLiveAttributes
			e.AuthorizationURL = orDefault(e.AuthorizationURL, WindowsLiveAuthorizationURL)
			e.TokenURL = orDefault(e.TokenURL, WindowsLiveTokenURL)
			e.ProfileURL = orDefault(e.ProfileURL, WindowsLiveProfileURL)
			if len(e.Scopes) == 0 {
				e.Scopes = []string{"openid", "profile", "email", "offline_access", "User.Read"}
			}
		case StrategyFacebook:
			e.Attributes = facebookAttributes
			e.AuthorizationURL = orDefault(e.AuthorizationURL, FacebookAuthorizationURL)
			e.TokenURL = orDefault(e.TokenURL, FacebookTokenURL)
			e.ProfileURL = orDefault(e.ProfileURL, FacebookProfileURL)
			if len(e.Scopes) == 0 {
				e.Scopes = []string{"email", "public_profile"}
			}
		}
		if c.Strategy == StrategyGitHub {
			e.Attributes = gitHubAttributes
			e.AuthorizationURL = orDefault(e.AuthorizationURL, GitHubAuthorizationURL)
			e.TokenURL = orDefault(e.TokenURL, GitHubTokenURL)
			e.ProfileURL = orDefault(e.ProfileURL, GitHubProfileURL)
			e.EmailsURL = strings.TrimSuffix(e.ProfileURL, "/") + "/emails"
			if len(e.Scopes) == 0 {
				e.Scopes = []string{"read:user", "user:email"}
			}
		}
		if m := o.AttributeMap; m != nil && len(m.Attributes) > 0 {
			merged := make(map[string]string, len(e.Attributes))
			for k, v := range e.Attributes {
				merged[k] = v
			}
			for k, v := range m.Attributes {
				merged[k] = v
			}
			e.Attributes = merged
		}
	}
	return e
}

// URLs lists the upstream URLs the connection names, by option name, for the address rule.
func (e UpstreamEndpoints) URLs() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"discovery_url": e.DiscoveryURL, "issuer": e.Issuer, "authorization_endpoint": e.AuthorizationURL,
		"token_endpoint": e.TokenURL, "jwks_uri": e.JWKSURI, "profileURL": e.ProfileURL} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func containsWord(list []string, w string) bool {
	for _, s := range list {
		if s == w {
			return true
		}
	}
	return false
}

var domainAliasPattern = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// validateUpstream checks an upstream connection's options: what its strategy needs, absolute
// http(s) URLs (whether https is required and which addresses may be reached is the node's rule,
// checked by the Management API), and no database option.
func (c *Connection) validateUpstream(errs *Errors) {
	o := c.Options
	u := o.UpstreamOptions
	if !o.SAMLOptions.isZero() {
		errs.add(Invalidf("options", "signInEndpoint, signingCert and the other SAML options belong to samlp connections"))
	}
	if o.PasswordPolicy != "" || o.PasswordComplexityOptions != nil || o.PasswordHistory != nil ||
		o.PasswordNoPersonalInfo != nil || o.PasswordDictionary != nil || o.DisableSignup || o.RequiresUsername {
		errs.add(Invalidf("options", "password and signup options belong to database connections"))
	}
	if u.ClientID == "" || len(u.ClientID) > 512 {
		errs.add(Invalidf("options.client_id", "is required (at most 512 characters)"))
	}
	c.validateTokenEndpointAuth(errs)
	if u.ClientSecret == "" && len(c.SecretSealed) == 0 && !c.FrontChannel() && !c.PrivateKeyJWT() {
		errs.add(Invalidf("options.client_secret", "is required"))
	}
	if len(u.ClientSecret) > 2048 {
		errs.add(Invalidf("options.client_secret", "must be at most 2048 characters"))
	}
	if len(u.Scope) > 1024 {
		errs.add(Invalidf("options.scope", "must be at most 1024 characters"))
	}
	oauth2Names := u.AuthorizationURL != "" || u.TokenURL != "" || u.ProfileURL != "" || u.AttributeMap != nil
	oidcNames := u.DiscoveryURL != "" || u.Issuer != "" || u.AuthorizationEndpoint != "" || u.TokenEndpoint != "" || u.JWKSURI != "" || u.UserinfoEndpoint != "" || u.Type != ""
	e := c.Endpoints()
	switch c.Strategy {
	case StrategyOIDC, StrategyGoogle, StrategyApple:
		if oauth2Names {
			errs.add(Invalidf("options", "authorizationURL, tokenURL, profileURL and attribute_map belong to oauth2 connections"))
		}
		if u.Type != "" && (u.Type != OIDCTypeBackChannel && u.Type != OIDCTypeFrontChannel || c.Strategy != StrategyOIDC) {
			errs.add(Invalidf("options.type", "must be back_channel (authorization code with PKCE and the client secret) or front_channel (an ID token by form_post; oidc only)"))
		}
		explicit := u.AuthorizationEndpoint != "" || u.TokenEndpoint != "" || u.JWKSURI != ""
		if c.Strategy == StrategyApple {
			explicit = false // every endpoint has Apple's default
			if u.TeamID == "" || len(u.TeamID) > 64 || u.KeyID == "" || len(u.KeyID) > 64 {
				errs.add(Invalidf("options", "team_id and kid are required for apple (client_secret is the key, PEM)"))
			}
		} else if u.TeamID != "" || u.KeyID != "" {
			errs.add(Invalidf("options", "team_id and kid belong to apple connections"))
		}
		switch {
		case explicit && (u.Issuer == "" || u.AuthorizationEndpoint == "" || u.TokenEndpoint == "" || u.JWKSURI == ""):
			errs.add(Invalidf("options", "explicit endpoints need issuer, authorization_endpoint, token_endpoint and jwks_uri"))
		case !explicit && e.DiscoveryURL == "" && c.Strategy != StrategyApple:
			errs.add(Invalidf("options.discovery_url", "discovery_url or issuer is required"))
		}
	case StrategyOAuth2, StrategyGitHub, StrategyWindowsLive, StrategyFacebook:
		if oidcNames {
			errs.add(Invalidf("options", "discovery_url, issuer, type and the *_endpoint options belong to oidc connections"))
		}
		if u.TeamID != "" || u.KeyID != "" {
			errs.add(Invalidf("options", "team_id and kid belong to apple connections"))
		}
		if e.AuthorizationURL == "" || e.TokenURL == "" || e.ProfileURL == "" {
			errs.add(Invalidf("options", "authorizationURL, tokenURL and profileURL are required"))
		}
		if m := u.AttributeMap; m != nil {
			for k, v := range m.Attributes {
				if !containsWord(MappedAttributes, k) || v == "" || len(v) > 128 {
					errs.add(Invalidf("options.attribute_map.attributes", "%q: keys are %s; values 1 to 128 characters", k, strings.Join(MappedAttributes, ", ")))
					break
				}
			}
		}
	}
	for name, raw := range e.URLs() {
		if p, err := url.Parse(raw); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.Fragment != "" || len(raw) > 2048 {
			errs.add(Invalidf("options."+name, "must be an absolute http(s) URL without credentials or fragment"))
		}
	}
	if u.UserinfoEndpoint != "" {
		if p, err := url.Parse(u.UserinfoEndpoint); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs.add(Invalidf("options.userinfo_endpoint", "must be an absolute http(s) URL"))
		}
	}
	if len(u.DomainAliases) > 100 {
		errs.add(Invalidf("options.domain_aliases", "at most 100 domains"))
	}
	for _, d := range u.DomainAliases {
		if !domainAliasPattern.MatchString(d) {
			errs.add(Invalidf("options.domain_aliases", "%q is not a lower-case domain name", d))
			break
		}
	}
}

// UpstreamRequest is a login transaction's pending sign-in at another provider: bound to the
// transaction (it lives inside it) and to the browser (the transaction is). The state sent
// upstream is the transaction id and a secret whose hash is kept here; the nonce and the PKCE
// verifier never leave the server except as the provider expects.
type UpstreamRequest struct {
	Connection   string `json:"connection"`
	StateHash    []byte `json:"state_hash"`
	Nonce        string `json:"nonce,omitempty"`
	CodeVerifier string `json:"code_verifier"`
	// IDToken is a front_channel provider's answer, kept from its form_post until the browser's
	// GET /login/callback (which carries the binding cookie) has it checked.
	IDToken string `json:"id_token,omitempty"`
	// SAMLRequestID is a samlp AuthnRequest's ID: the response's InResponseTo must name it.
	SAMLRequestID string `json:"saml_request_id,omitempty"`
	// SAML is a verified samlp answer awaiting the GET that finishes it in the starting browser.
	SAML *SAMLOutcome `json:"saml,omitempty"`
}
