package upstream

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/netguard"
)

// DefaultTimeout bounds each upstream call (discovery, keys, token, profile).
const DefaultTimeout = 10 * time.Second

// providerTTL is how long a discovered provider (its endpoints and its key set's cache) is reused.
const providerTTL = 10 * time.Minute

// maxProfileBytes bounds an oauth2 provider's profile and a discovery document.
const maxProfileBytes = 1 << 20

// signingAlgs are the ID token algorithms accepted: asymmetric only. `none` and the HMAC family
// are never accepted, whatever the provider's discovery document lists (an HS256 token "signed"
// with the provider's public key is refused).
var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// Broker signs users in at the providers connections name.
type Broker struct {
	Secrets *Secrets
	// Tokens seals the access and refresh tokens providers send, kept with the user's identity;
	// nil: they are not kept.
	Tokens *Tokens
	// Policy is the node's rule on where it may connect; AllowPrivate (development) also lets
	// upstream URLs be plain http.
	Policy  netguard.Policy
	Timeout time.Duration
	Now     func() time.Time

	once      sync.Once
	client    *http.Client
	mu        sync.Mutex
	providers map[string]cachedProvider
}

type cachedProvider struct {
	p       *oidc.Provider
	algs    []string
	expires time.Time
}

// Error is a refused or failed upstream sign-in: Code is the OAuth error the application is sent
// (access_denied, temporarily_unavailable), Description what it is told; Cause is only logged.
type Error struct {
	Code        string
	Description string
	Cause       error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Description + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

func denied(desc string, cause error) *Error {
	return &Error{Code: "access_denied", Description: desc, Cause: cause}
}

func unavailable(cause error) *Error {
	return &Error{Code: "temporarily_unavailable", Description: "The identity provider could not be reached. Please try again later.", Cause: cause}
}

func (b *Broker) init() {
	b.once.Do(func() {
		if b.Timeout <= 0 {
			b.Timeout = DefaultTimeout
		}
		if b.Now == nil {
			b.Now = time.Now
		}
		b.client = b.Policy.Client(b.Timeout)
		b.providers = map[string]cachedProvider{}
	})
}

// ctx carries the guarded client to golang.org/x/oauth2 and go-oidc.
func (b *Broker) ctx(ctx context.Context) context.Context {
	b.init()
	return oidc.ClientContext(ctx, b.client)
}

// CheckConnection refuses a connection whose upstream URLs the node may not use: plain http
// outside development, or a host that is (or resolves to) an address netguard forbids.
func (b *Broker) CheckConnection(ctx context.Context, c *domain.Connection) error {
	if c.Strategy == domain.StrategySAMLP {
		if err := b.checkURL(ctx, c.Options.SignInEndpoint); err != nil {
			return domain.Invalidf("options.signInEndpoint", "%v", err)
		}
		return nil
	}
	urls := c.Endpoints().URLs()
	if u := c.Options.UserinfoEndpoint; u != "" {
		urls["userinfo_endpoint"] = u
	}
	var errs []error
	if s := c.Options.ClientSecret; c.Strategy == domain.StrategyApple && s != "" {
		if err := CheckAppleKey(s); err != nil {
			errs = append(errs, domain.Invalidf("options.client_secret", "%v", err))
		}
	}
	for name, raw := range urls {
		if err := b.checkURL(ctx, raw); err != nil {
			errs = append(errs, domain.Invalidf("options."+name, "%v", err))
		}
	}
	return errors.Join(errs...)
}

func (b *Broker) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "https" && !b.Policy.AllowPrivate {
		return errors.New("must be https (plain http is allowed in development only)")
	}
	return b.Policy.CheckURL(ctx, raw)
}

// Begin starts a sign-in at conn's provider for the login transaction txID: the URL to send the
// browser to, and the request to keep on the transaction. The state sent upstream names the
// transaction and carries a secret only its hash is kept of. loginHint (the email typed for home
// realm discovery, or the application's login_hint) is passed on to an OpenID provider.
func (b *Broker) Begin(ctx context.Context, c *domain.Connection, redirectURI, txID, loginHint string) (string, *domain.UpstreamRequest, error) {
	if c.Strategy == domain.StrategySAMLP {
		return b.beginSAML(c, redirectURI, txID)
	}
	e := c.Endpoints()
	authURL := e.AuthorizationURL
	if e.OIDC {
		p, err := b.provider(ctx, c)
		if err != nil {
			return "", nil, err
		}
		authURL = p.p.Endpoint().AuthURL
	}
	secret := domain.RandomToken(32)
	req := &domain.UpstreamRequest{Connection: c.Name, StateHash: domain.HashSecret(secret), CodeVerifier: oauth2.GenerateVerifier()}
	cfg := b.config(c, e, "", redirectURI)
	cfg.Endpoint.AuthURL = authURL
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(req.CodeVerifier)}
	if c.FrontChannel() {
		// No code, so no PKCE: the ID token comes straight back, bound by the nonce.
		req.CodeVerifier = ""
		opts = []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_type", "id_token")}
	}
	if e.ResponseMode != "" {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", e.ResponseMode))
	}
	if e.OIDC {
		req.Nonce = domain.RandomToken(32)
		opts = append(opts, oidc.Nonce(req.Nonce))
		if loginHint != "" {
			opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
		}
	}
	return cfg.AuthCodeURL(txID+"."+secret, opts...), req, nil
}

// SplitState splits the state a provider sent back into the transaction id and the secret.
func SplitState(state string) (txID, secret string, ok bool) {
	txID, secret, ok = strings.Cut(state, ".")
	return txID, secret, ok && txID != "" && secret != "" && len(state) <= 256
}

// StateMatches reports, in constant time, whether secret is the one req was started with.
func StateMatches(req *domain.UpstreamRequest, secret string) bool {
	return req != nil && domain.SecretMatches(req.StateHash, secret)
}

func (b *Broker) config(c *domain.Connection, e domain.UpstreamEndpoints, secret, redirectURI string) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if e.OIDC && c.Strategy != domain.StrategyApple && c.Options.TokenEndpointAuthMethod == "" { // Apple takes client_secret_post only
		style = oauth2.AuthStyleInHeader // client_secret_basic, OIDC's default
	}
	return &oauth2.Config{ClientID: c.Options.ClientID, ClientSecret: secret, RedirectURL: redirectURI, Scopes: e.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: e.AuthorizationURL, TokenURL: e.TokenURL, AuthStyle: style}}
}

// Profile is what a provider says about the user, in Auth0's normalized names.
type Profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Nickname      string
	GivenName     string
	FamilyName    string
	Picture       string
	// Tokens are what the provider's token endpoint answered, kept sealed with the identity.
	Tokens domain.IdPTokens
	// SAMLSession is a SAML sign-in's NameID and SessionIndex, for Single Logout.
	SAMLSession *domain.SessionSAML
}

// Finish exchanges the code (with the PKCE verifier and the client secret) and returns the
// user's profile: from a verified ID token (oidc) or the profile URL (oauth2).
func (b *Broker) Finish(ctx context.Context, c *domain.Connection, req *domain.UpstreamRequest, redirectURI, code string) (*Profile, error) {
	if b.Secrets == nil {
		return nil, errors.New("upstream: no sealing key for client secrets")
	}
	var secret string
	var err error
	if !c.PrivateKeyJWT() { // a private_key_jwt connection signs an assertion instead
		if secret, err = b.Secrets.Open(c.ID, c.SecretSealed); err != nil {
			return nil, err
		}
	}
	if c.Strategy == domain.StrategyApple {
		b.init()
		if secret, err = appleClientSecret(c, secret, b.Now()); err != nil {
			return nil, &Error{Code: "server_error", Description: "The connection's signing key is not usable.", Cause: err}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*b.timeout())
	defer cancel()
	e := c.Endpoints()
	cfg := b.config(c, e, secret, redirectURI)
	var p cachedProvider
	if e.OIDC {
		if p, err = b.provider(ctx, c); err != nil {
			return nil, err
		}
		cfg.Endpoint.TokenURL = p.p.Endpoint().TokenURL
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(req.CodeVerifier)}
	if c.PrivateKeyJWT() {
		params, err := b.assertionParams(c, cfg.Endpoint.TokenURL)
		if err != nil {
			return nil, &Error{Code: "server_error", Description: "The connection's signing key is not usable.", Cause: err}
		}
		for k := range params {
			opts = append(opts, oauth2.SetAuthURLParam(k, params.Get(k)))
		}
	}
	tok, err := cfg.Exchange(b.ctx(ctx), code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, denied("The identity provider refused the authorization code.", err)
		}
		return nil, unavailable(err)
	}
	tokens := domain.IdPTokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresIn: tok.ExpiresIn}
	if !e.OIDC {
		prof, err := b.fetchProfile(ctx, e, tok)
		if prof != nil {
			prof.Tokens = tokens
		}
		return prof, err
	}
	raw, _ := tok.Extra("id_token").(string)
	prof, err := b.verifyIDToken(ctx, c, p, req, raw)
	if prof != nil {
		prof.Tokens = tokens
	}
	return prof, err
}

// FinishIDToken checks a front_channel provider's ID token (posted to /login/callback) and
// returns the user's profile; there is no code and no upstream token.
func (b *Broker) FinishIDToken(ctx context.Context, c *domain.Connection, req *domain.UpstreamRequest, raw string) (*Profile, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*b.timeout())
	defer cancel()
	p, err := b.provider(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.verifyIDToken(ctx, c, p, req, raw)
}

// verifyIDToken checks the signature (asymmetric algorithms only, a key of the provider's set),
// issuer, audience, expiry and nonce, and maps the claims.
func (b *Broker) verifyIDToken(ctx context.Context, c *domain.Connection, p cachedProvider, req *domain.UpstreamRequest, raw string) (*Profile, error) {
	if raw == "" {
		return nil, denied("The identity provider returned no ID token.", nil)
	}
	idt, err := p.p.Verifier(&oidc.Config{ClientID: c.Options.ClientID, SupportedSigningAlgs: p.algs, Now: b.Now}).Verify(b.ctx(ctx), raw)
	if err != nil {
		return nil, denied("The identity provider's ID token is not valid.", err)
	}
	if req.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(req.Nonce)) != 1 {
		return nil, denied("The identity provider's ID token is not valid.", errors.New("nonce mismatch"))
	}
	var cl struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		Nickname      string `json:"nickname"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
	}
	if err := idt.Claims(&cl); err != nil {
		return nil, denied("The identity provider's ID token is not valid.", err)
	}
	prof := &Profile{Subject: idt.Subject, Email: cl.Email, EmailVerified: isTrue(cl.EmailVerified), Name: cl.Name,
		Nickname: cl.Nickname, GivenName: cl.GivenName, FamilyName: cl.FamilyName, Picture: cl.Picture}
	return prof, checkSubject(prof.Subject)
}

func (b *Broker) timeout() time.Duration {
	b.init()
	return b.Timeout
}

// isTrue reads email_verified, which some providers send as the string "true".
func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func checkSubject(sub string) error {
	if sub == "" || len(sub) > 255 || strings.ContainsAny(sub, "\x00\r\n") {
		return denied("The identity provider did not identify the user.", fmt.Errorf("unusable subject %q", sub))
	}
	return nil
}

// fetchProfile reads an oauth2 provider's profile with the access token and maps it.
func (b *Broker) fetchProfile(ctx context.Context, e domain.UpstreamEndpoints, tok *oauth2.Token) (*Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.ProfileURL, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, unavailable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, denied("The identity provider did not return the user's profile.", fmt.Errorf("profile: HTTP %d", resp.StatusCode))
	}
	var doc map[string]any
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxProfileBytes))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, denied("The identity provider's profile could not be read.", err)
	}
	str := func(attr string) string {
		switch v := lookup(doc, e.Attributes[attr]).(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	prof := &Profile{Subject: str("user_id"), Email: str("email"), Name: str("name"), Nickname: str("nickname"),
		GivenName: str("given_name"), FamilyName: str("family_name"), Picture: str("picture")}
	if a := e.Attributes["email_verified"]; a != "" {
		prof.EmailVerified = isTrue(lookup(doc, a))
	}
	if e.EmailsURL != "" {
		b.primaryEmail(ctx, e.EmailsURL, tok, prof)
	}
	return prof, checkSubject(prof.Subject)
}

// lookup reads a profile attribute; a dotted name reads inside objects (Facebook's
// picture.data.url). An attribute whose whole name has a dot is found first.
func lookup(doc map[string]any, name string) any {
	if v, ok := doc[name]; ok || !strings.Contains(name, ".") {
		return v
	}
	var cur any = doc
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// primaryEmail sets the profile's email to the user's primary address at GitHub, verified or not
// as GitHub says. Without an answer the profile's own email stays, unverified.
func (b *Broker) primaryEmail(ctx context.Context, emailsURL string, tok *oauth2.Token, prof *Profile) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emailsURL, nil)
	if err != nil {
		return
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := b.client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	var list []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProfileBytes)).Decode(&list); err != nil {
		return
	}
	for _, a := range list {
		if a.Primary && a.Email != "" {
			prof.Email, prof.EmailVerified = a.Email, a.Verified
			return
		}
	}
}

// provider returns conn's OpenID provider: its discovery document, or the explicit endpoints,
// cached for a while with its key set (keys are fetched again for an unknown kid).
func (b *Broker) provider(ctx context.Context, c *domain.Connection) (cachedProvider, error) {
	b.init()
	key := c.ID + "\x00" + c.UpdatedAt.String()
	b.mu.Lock()
	cp, ok := b.providers[key]
	b.mu.Unlock()
	if ok && b.Now().Before(cp.expires) {
		return cp, nil
	}
	e := c.Endpoints()
	pc := oidc.ProviderConfig{IssuerURL: e.Issuer, AuthURL: e.AuthorizationURL, TokenURL: e.TokenURL, JWKSURL: e.JWKSURI,
		UserInfoURL: c.Options.UserinfoEndpoint}
	algs := []string{oidc.RS256}
	if e.AuthorizationURL == "" {
		doc, err := b.discover(ctx, e.DiscoveryURL)
		if err != nil {
			return cachedProvider{}, err
		}
		if e.Issuer != "" && doc.Issuer != e.Issuer {
			return cachedProvider{}, unavailable(fmt.Errorf("discovery: issuer %q, the connection names %q", doc.Issuer, e.Issuer))
		}
		for _, u := range []string{doc.AuthorizationEndpoint, doc.TokenEndpoint, doc.JWKSURI} {
			if err := b.checkURL(ctx, u); err != nil {
				return cachedProvider{}, unavailable(fmt.Errorf("discovery: %s: %w", u, err))
			}
		}
		pc = oidc.ProviderConfig{IssuerURL: doc.Issuer, AuthURL: doc.AuthorizationEndpoint, TokenURL: doc.TokenEndpoint,
			JWKSURL: doc.JWKSURI, UserInfoURL: doc.UserinfoEndpoint}
		if len(doc.Algs) > 0 {
			algs = nil
			for _, a := range doc.Algs {
				for _, ok := range signingAlgs {
					if a == ok {
						algs = append(algs, a)
					}
				}
			}
			if len(algs) == 0 {
				return cachedProvider{}, unavailable(fmt.Errorf("discovery: no asymmetric ID token algorithm in %v", doc.Algs))
			}
		}
	}
	// The key set keeps the context's client (the guarded one) for its later fetches.
	cp = cachedProvider{p: pc.NewProvider(b.ctx(context.WithoutCancel(ctx))), algs: algs, expires: b.Now().Add(providerTTL)}
	b.mu.Lock()
	b.providers[key] = cp
	b.mu.Unlock()
	return cp, nil
}

type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	Algs                  []string `json:"id_token_signing_alg_values_supported"`
}

func (b *Broker) discover(ctx context.Context, raw string) (*discovery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, unavailable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable(fmt.Errorf("discovery: HTTP %d", resp.StatusCode))
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProfileBytes)).Decode(&d); err != nil {
		return nil, unavailable(fmt.Errorf("discovery: %w", err))
	}
	if d.Issuer == "" || d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "" {
		return nil, unavailable(errors.New("discovery: issuer, authorization_endpoint, token_endpoint and jwks_uri are required"))
	}
	return &d, nil
}
