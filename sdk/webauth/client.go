package webauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Client is a configured relying party. It is safe for concurrent use; create one per app.
type Client struct {
	cfg      Config
	baseURL  *url.URL
	sessions *sessions
	tx       *sealer
	txAttrs  cookieAttrs

	mu       sync.Mutex
	provider *provider // discovered lazily, cached after the first success

	refreshes flight
}

// provider is what discovery yields: the endpoints and the issuer's key set.
type provider struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	keys                  *oidc.RemoteKeySet
}

// New validates cfg and returns a Client. It does not contact the issuer: discovery happens on
// the first request that needs it (or call Discover to fail fast at startup).
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	secrets := append([]string{cfg.Secret}, cfg.PreviousSecrets...)
	sessSealer, err := newSealer(infoSession, secrets...)
	if err != nil {
		return nil, err
	}
	txSealer, err := newSealer(infoTransaction, secrets...)
	if err != nil {
		return nil, err
	}
	secure := base.Scheme == "https"
	c := &Client{
		cfg:     cfg,
		baseURL: base,
		tx:      txSealer,
		// The transaction cookie must be Lax (or None): it has to come back on the top-level
		// redirect from the issuer to the callback, which Strict would drop.
		txAttrs: cookieAttrs{path: "/", domain: cfg.Session.Domain, secure: secure, sameSite: http.SameSiteLaxMode},
	}
	c.refreshes.now = cfg.Now
	c.refreshes.keep = cfg.Session.RollingDuration
	if cfg.Session.DisableRolling {
		c.refreshes.keep = cfg.Session.AbsoluteDuration
	}
	c.sessions = &sessions{
		cfg:     cfg.Session,
		attrs:   cookieAttrs{path: cfg.Session.Path, domain: cfg.Session.Domain, secure: secure, sameSite: cfg.Session.SameSite},
		sealer:  sessSealer,
		now:     cfg.Now,
		logouts: cfg.BackchannelLogout.Store,
	}
	return c, nil
}

// Discover fetches the issuer's discovery document now instead of on first use.
func (c *Client) Discover(ctx context.Context) error {
	_, err := c.discover(ctx)
	return err
}

func (c *Client) discover(ctx context.Context) (*provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	wellKnown := strings.TrimRight(c.cfg.IssuerBaseURL, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, fmt.Errorf("webauth: discovery request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webauth: discovery: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("webauth: discovery: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webauth: discovery: %s answered %d", wellKnown, resp.StatusCode)
	}
	var p provider
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("webauth: discovery document: %w", err)
	}
	// The configured base URL may lack Auth0's trailing slash; anything else differing means the
	// document speaks for another issuer (OpenID Connect Discovery 1.0 §4.3).
	if strings.TrimRight(p.Issuer, "/") != strings.TrimRight(c.cfg.IssuerBaseURL, "/") {
		return nil, fmt.Errorf("webauth: discovery issuer %q does not match AUTH0_ISSUER_BASE_URL %q", p.Issuer, c.cfg.IssuerBaseURL)
	}
	if p.AuthorizationEndpoint == "" || p.TokenEndpoint == "" || p.JWKSURI == "" {
		return nil, errors.New("webauth: discovery document lacks authorization_endpoint, token_endpoint or jwks_uri")
	}
	// The key set outlives this request: give it a background context carrying our HTTP client.
	p.keys = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), c.cfg.HTTPClient), p.JWKSURI)
	c.provider = &p
	return c.provider, nil
}

// Handler serves the four auth routes (login, callback, logout, me) at their configured full
// paths and answers 404 elsewhere. Mount it at the routes' common prefix:
//
//	mux.Handle("/api/auth/", client.Handler())
func (c *Client) Handler() http.Handler {
	login := c.LoginHandler(LoginOptions{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var h http.Handler
		switch r.URL.Path {
		case c.cfg.Routes.Login:
			h = login
		case c.cfg.Routes.Callback:
			h = http.HandlerFunc(c.handleCallback)
		case c.cfg.Routes.Logout:
			h = http.HandlerFunc(c.handleLogout)
		case c.cfg.Routes.Me:
			h = http.HandlerFunc(c.handleMe)
		case c.cfg.Routes.BackchannelLogout:
			if c.cfg.BackchannelLogout.Store == nil {
				http.NotFound(w, r)
				return
			}
			c.handleBackchannelLogout(w, r)
			return
		default:
			http.NotFound(w, r)
			return
		}
		// The guide exports POST = GET; form_post callbacks arrive as POST too.
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Mount registers the four auth routes on mux individually.
func (c *Client) Mount(mux *http.ServeMux) {
	h := c.Handler()
	paths := []string{c.cfg.Routes.Login, c.cfg.Routes.Callback, c.cfg.Routes.Logout, c.cfg.Routes.Me}
	if c.cfg.BackchannelLogout.Store != nil {
		paths = append(paths, c.cfg.Routes.BackchannelLogout)
	}
	for _, p := range paths {
		mux.Handle(p, h)
	}
}

// callbackURL is the redirect_uri registered as an Allowed Callback URL.
func (c *Client) callbackURL() string {
	return c.baseURL.String() + c.cfg.Routes.Callback
}
