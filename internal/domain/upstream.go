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
)

// OIDCTypeBackChannel is the one oidc connection type Gatehouse runs: the authorization code
// exchanged at the token endpoint with the client secret and PKCE.
const OIDCTypeBackChannel = "back_channel"

// IsUpstreamStrategy reports whether a connection of this strategy signs users in elsewhere.
func IsUpstreamStrategy(strategy string) bool {
	switch strategy {
	case StrategyOIDC, StrategyOAuth2, StrategyGitHub, StrategyGoogle, StrategySAMLP:
		return true
	}
	return false
}

// UpstreamStrategies lists the strategies IsUpstreamStrategy accepts.
var UpstreamStrategies = []string{StrategyOIDC, StrategyOAuth2, StrategyGitHub, StrategyGoogle, StrategySAMLP}

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
	EmailsURL  string
	Scopes     []string
	Attributes map[string]string // oauth2: user attribute → provider attribute
}

// Endpoints resolves the connection's upstream URLs.
func (c *Connection) Endpoints() UpstreamEndpoints {
	o := c.Options.UpstreamOptions
	e := UpstreamEndpoints{Scopes: strings.Fields(o.Scope)}
	switch c.Strategy {
	case StrategyOIDC, StrategyGoogle:
		e.OIDC = true
		e.DiscoveryURL, e.Issuer = o.DiscoveryURL, o.Issuer
		e.AuthorizationURL, e.TokenURL, e.JWKSURI = o.AuthorizationEndpoint, o.TokenEndpoint, o.JWKSURI
		if c.Strategy == StrategyGoogle && e.Issuer == "" && e.DiscoveryURL == "" {
			e.Issuer = GoogleIssuer
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
	case StrategySAMLP:
		// The IdP's single sign-on URL is where the browser is sent, as an authorization endpoint is.
		e.AuthorizationURL = c.Options.SAMLOptions.SignInEndpoint
	case StrategyOAuth2, StrategyGitHub:
		e.AuthorizationURL, e.TokenURL, e.ProfileURL = o.AuthorizationURL, o.TokenURL, o.ProfileURL
		e.Attributes = defaultOAuth2Attributes
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
	if u.ClientSecret == "" && len(c.SecretSealed) == 0 {
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
	case StrategyOIDC, StrategyGoogle:
		if oauth2Names {
			errs.add(Invalidf("options", "authorizationURL, tokenURL, profileURL and attribute_map belong to oauth2 connections"))
		}
		if u.Type != "" && u.Type != OIDCTypeBackChannel {
			errs.add(Invalidf("options.type", "only back_channel (authorization code with PKCE and the client secret) is supported"))
		}
		explicit := u.AuthorizationEndpoint != "" || u.TokenEndpoint != "" || u.JWKSURI != ""
		switch {
		case explicit && (u.Issuer == "" || u.AuthorizationEndpoint == "" || u.TokenEndpoint == "" || u.JWKSURI == ""):
			errs.add(Invalidf("options", "explicit endpoints need issuer, authorization_endpoint, token_endpoint and jwks_uri"))
		case !explicit && e.DiscoveryURL == "":
			errs.add(Invalidf("options.discovery_url", "discovery_url or issuer is required"))
		}
	case StrategyOAuth2, StrategyGitHub:
		if oidcNames {
			errs.add(Invalidf("options", "discovery_url, issuer, type and the *_endpoint options belong to oidc connections"))
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
	// SAMLRequestID is a samlp AuthnRequest's ID: the response's InResponseTo must name it.
	SAMLRequestID string `json:"saml_request_id,omitempty"`
	// SAML is a verified samlp answer awaiting the GET that finishes it in the starting browser.
	SAML *SAMLOutcome `json:"saml,omitempty"`
}
