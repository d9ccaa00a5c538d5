package webauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults, matching @auth0/nextjs-auth0 v3 where it has one.
const (
	DefaultScope            = "openid profile email offline_access"
	DefaultSessionName      = "appSession"
	DefaultTransactionName  = "auth_verification"
	DefaultRollingDuration  = 24 * time.Hour
	DefaultAbsoluteDuration = 7 * 24 * time.Hour
	DefaultTransactionTTL   = 10 * time.Minute
	DefaultClockTolerance   = 60 * time.Second
	minSecretLength         = 32
)

// TokenAuthMethod is how the client authenticates at the token endpoint (RFC 6749 §2.3.1).
type TokenAuthMethod string

const (
	// ClientSecretBasic sends HTTP Basic with the URL-encoded id and secret; nextjs-auth0's default.
	ClientSecretBasic TokenAuthMethod = "client_secret_basic"
	// ClientSecretPost sends client_id and client_secret in the form body.
	ClientSecretPost TokenAuthMethod = "client_secret_post"
)

// LogoutMode selects where /api/auth/logout sends the browser after clearing the local session.
type LogoutMode int

const (
	// LogoutAuth0 redirects to ISSUER/v2/logout?client_id&returnTo&id_token_hint (nextjs-auth0's
	// default, auth0Logout=true). It also clears the issuer's SSO session.
	LogoutAuth0 LogoutMode = iota
	// LogoutOIDC uses discovery's end_session_endpoint (OpenID RP-Initiated Logout 1.0) with
	// id_token_hint, client_id and post_logout_redirect_uri.
	LogoutOIDC
	// LogoutLocal only clears the local session and redirects to returnTo; the issuer's
	// SSO session survives (nextjs-auth0 idpLogout=false).
	LogoutLocal
)

// Routes are the paths the auth handler answers on.
type Routes struct {
	Login    string // default /api/auth/login
	Callback string // default /api/auth/callback
	Logout   string // default /api/auth/logout
	Me       string // default /api/auth/me
	// BackchannelLogout receives logout tokens when BackchannelLogout.Store is set; default
	// /api/auth/backchannel-logout.
	BackchannelLogout string
}

// AfterCallbackFunc runs after the ID token is verified and before the session is saved. It may
// change the session (or return a new one); an error fails the callback with a 400 page whose
// text does not include the error (it is logged instead), so do not rely on it reaching users.
type AfterCallbackFunc func(ctx context.Context, s *Session, r *http.Request) (*Session, error)

// Config configures a Client. The zero value of every optional field is the safe default.
type Config struct {
	// Secret derives the session and transaction keys (HKDF-SHA256). At least 32 characters,
	// e.g. `openssl rand -base64 32`. AUTH0_SECRET.
	Secret string
	// PreviousSecrets are still accepted when reading cookies, so Secret can be rotated without
	// logging everyone out. New cookies always use Secret.
	PreviousSecrets []string
	// BaseURL is the application's own origin, e.g. http://localhost:3000. AUTH0_BASE_URL.
	BaseURL string
	// IssuerBaseURL is the tenant, e.g. https://YOUR_DOMAIN.auth0.com (slash optional).
	// AUTH0_ISSUER_BASE_URL.
	IssuerBaseURL string
	// ClientID and ClientSecret of the Regular Web Application. AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET.
	ClientID     string
	ClientSecret string
	// Audience requested at login (the API identifier). AUTH0_AUDIENCE. Optional.
	Audience string
	// Scope requested at login; default "openid profile email offline_access". AUTH0_SCOPE.
	Scope string
	// AuthorizationParams are extra /authorize parameters sent on every login (e.g. connection).
	AuthorizationParams url.Values
	// Organization signs every login in through this organization: an id (org_…) or a name, sent
	// as organization= and checked on the callback against the ID token's org_id (an id) or
	// org_name (a name, compared in lower case), as nextjs-auth0's organization option does.
	// AUTH0_ORGANIZATION. Optional; LoginOptions.Organization overrides it per login route.
	Organization string
	// TokenAuthMethod defaults to ClientSecretBasic.
	TokenAuthMethod TokenAuthMethod
	// IDTokenSigningAlg is the only accepted ID token algorithm; default RS256.
	IDTokenSigningAlg string
	// ClockTolerance is the leeway for ID token exp/iat/auth_time checks; default 60 s.
	ClockTolerance time.Duration

	Routes Routes
	// LoginReturnTo is where a login without returnTo lands after the callback; default "/".
	LoginReturnTo string
	// LogoutReturnTo is where the browser lands after logout; default "/" (the base URL).
	LogoutReturnTo string
	Logout         LogoutMode

	Session SessionConfig
	// BackchannelLogout turns on OpenID Connect Back-Channel Logout (see BackchannelLogoutConfig).
	BackchannelLogout BackchannelLogoutConfig
	// TransactionTTL bounds the time between /login and /callback; default 10 minutes.
	TransactionTTL time.Duration

	AfterCallback AfterCallbackFunc
	// IsAPIRequest tells RequireAuth to answer 401 JSON instead of redirecting. Default: the path
	// starts with /api/ or the request prefers JSON.
	IsAPIRequest func(*http.Request) bool
	// OnError renders failures of the auth routes (callback errors, discovery failures).
	// Default: a 400/500 HTML page, or JSON when the request prefers JSON.
	OnError func(w http.ResponseWriter, r *http.Request, err *HandlerError)

	// HTTPClient is used for discovery, JWKS and the token endpoint; default has a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives internal errors (never tokens or secrets); default discards.
	Logger *slog.Logger
}

// SessionConfig configures the session cookie and lifetimes.
type SessionConfig struct {
	Name string // cookie name; default appSession
	// RollingDuration is the idle lifetime, extended on every request seen by WithSession or
	// RequireAuth; default 1 day.
	RollingDuration time.Duration
	// DisableRolling makes the session last AbsoluteDuration from login regardless of activity.
	DisableRolling bool
	// AbsoluteDuration is the hard lifetime from login; default 7 days.
	AbsoluteDuration time.Duration
	// Store keeps sessions server-side; the cookie then only carries an encrypted session id.
	Store SessionStore
	// Domain and Path of the cookie; Path defaults to "/".
	Domain string
	Path   string
	// SameSite defaults to Lax. Strict would drop the cookie on the redirect back from the issuer.
	SameSite http.SameSite
}

// FromEnv reads the seed guide's variables: AUTH0_SECRET, AUTH0_BASE_URL, AUTH0_ISSUER_BASE_URL,
// AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_AUDIENCE, AUTH0_SCOPE, AUTH0_ORGANIZATION, and nextjs-auth0's optional
// AUTH0_SESSION_ROLLING_DURATION and AUTH0_SESSION_ABSOLUTE_DURATION (seconds). It does not
// validate; New does.
func FromEnv() (Config, error) {
	return configFromLookup(os.LookupEnv)
}

func configFromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	cfg := Config{
		Secret:        get("AUTH0_SECRET"),
		BaseURL:       get("AUTH0_BASE_URL"),
		IssuerBaseURL: get("AUTH0_ISSUER_BASE_URL"),
		ClientID:      get("AUTH0_CLIENT_ID"),
		ClientSecret:  get("AUTH0_CLIENT_SECRET"),
		Audience:      get("AUTH0_AUDIENCE"),
		Scope:         get("AUTH0_SCOPE"),
		Organization:  get("AUTH0_ORGANIZATION"),
	}
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{
		{"AUTH0_SESSION_ROLLING_DURATION", &cfg.Session.RollingDuration},
		{"AUTH0_SESSION_ABSOLUTE_DURATION", &cfg.Session.AbsoluteDuration},
	} {
		v := get(d.env)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return cfg, fmt.Errorf("webauth: %s must be a positive number of seconds", d.env)
		}
		*d.dst = time.Duration(n) * time.Second
	}
	return cfg, nil
}

// Validate reports every configuration problem at once. It never echoes secret values.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("webauth: "+format, a...)) }

	switch {
	case c.Secret == "":
		add("Secret (AUTH0_SECRET) is required")
	case len(c.Secret) < minSecretLength:
		add("Secret (AUTH0_SECRET) must be at least %d characters; generate one with `openssl rand -base64 32`", minSecretLength)
	}
	for i, s := range c.PreviousSecrets {
		if len(s) < minSecretLength {
			add("PreviousSecrets[%d] must be at least %d characters", i, minSecretLength)
		}
	}
	if err := checkURL(c.BaseURL, false); err != nil {
		add("BaseURL (AUTH0_BASE_URL) %v", err)
	}
	if err := checkURL(c.IssuerBaseURL, true); err != nil {
		add("IssuerBaseURL (AUTH0_ISSUER_BASE_URL) %v", err)
	}
	if c.ClientID == "" {
		add("ClientID (AUTH0_CLIENT_ID) is required")
	}
	if c.ClientSecret == "" {
		add("ClientSecret (AUTH0_CLIENT_SECRET) is required for a Regular Web Application")
	}
	if c.Scope != "" && !hasScope(c.Scope, "openid") {
		add("Scope (AUTH0_SCOPE) must include openid")
	}
	switch c.TokenAuthMethod {
	case "", ClientSecretBasic, ClientSecretPost:
	default:
		add("TokenAuthMethod %q is not supported (use client_secret_basic or client_secret_post)", c.TokenAuthMethod)
	}
	switch c.IDTokenSigningAlg {
	case "", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
	default:
		add("IDTokenSigningAlg %q is not supported (asymmetric algorithms only)", c.IDTokenSigningAlg)
	}
	if c.Logout < LogoutAuth0 || c.Logout > LogoutLocal {
		add("Logout mode %d is unknown", c.Logout)
	}
	for name, p := range map[string]string{"Login": c.Routes.Login, "Callback": c.Routes.Callback,
		"Logout": c.Routes.Logout, "Me": c.Routes.Me, "BackchannelLogout": c.Routes.BackchannelLogout} {
		if p != "" && !strings.HasPrefix(p, "/") {
			add("Routes.%s must be an absolute path", name)
		}
	}
	for name, d := range map[string]time.Duration{"Session.RollingDuration": c.Session.RollingDuration,
		"Session.AbsoluteDuration": c.Session.AbsoluteDuration, "TransactionTTL": c.TransactionTTL,
		"ClockTolerance": c.ClockTolerance} {
		if d < 0 {
			add("%s must not be negative", name)
		}
	}
	if c.Session.Name != "" && !validCookieName(c.Session.Name) {
		add("Session.Name %q is not a valid cookie name", c.Session.Name)
	}
	if c.LoginReturnTo != "" && !strings.HasPrefix(c.LoginReturnTo, "/") {
		add("LoginReturnTo must be a path starting with /")
	}
	if c.LogoutReturnTo != "" && !strings.HasPrefix(c.LogoutReturnTo, "/") {
		add("LogoutReturnTo must be a path starting with /")
	}
	return errors.Join(errs...)
}

// checkURL requires an absolute http(s) URL without query or fragment. Issuers must use https
// except on loopback hosts (local development).
func checkURL(raw string, issuer bool) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not contain a query, fragment or user info")
	}
	if issuer && u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return errors.New("must use https")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validCookieName(name string) bool {
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return name != ""
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// withDefaults returns a copy with every optional field filled in.
func (c Config) withDefaults() Config {
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.TokenAuthMethod == "" {
		c.TokenAuthMethod = ClientSecretBasic
	}
	if c.IDTokenSigningAlg == "" {
		c.IDTokenSigningAlg = "RS256"
	}
	if c.ClockTolerance == 0 {
		c.ClockTolerance = DefaultClockTolerance
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Routes.Login, "/api/auth/login")
	def(&c.Routes.Callback, "/api/auth/callback")
	def(&c.Routes.Logout, "/api/auth/logout")
	def(&c.Routes.BackchannelLogout, "/api/auth/backchannel-logout")
	def(&c.Routes.Me, "/api/auth/me")
	def(&c.LoginReturnTo, "/")
	def(&c.LogoutReturnTo, "/")
	def(&c.Session.Name, DefaultSessionName)
	def(&c.Session.Path, "/")
	if c.Session.RollingDuration == 0 {
		c.Session.RollingDuration = DefaultRollingDuration
	}
	if c.Session.AbsoluteDuration == 0 {
		c.Session.AbsoluteDuration = DefaultAbsoluteDuration
	}
	if c.Session.SameSite == 0 {
		c.Session.SameSite = http.SameSiteLaxMode
	}
	if c.TransactionTTL == 0 {
		c.TransactionTTL = DefaultTransactionTTL
	}
	if c.IsAPIRequest == nil {
		c.IsAPIRequest = DefaultIsAPIRequest
	}
	if c.OnError == nil {
		c.OnError = RenderError
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// DefaultIsAPIRequest treats paths under /api/ and requests that accept JSON but not HTML as API
// calls, which get a 401 instead of a redirect to the login page.
func DefaultIsAPIRequest(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
