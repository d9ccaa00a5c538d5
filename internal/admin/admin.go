package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// Path is where the dashboard is served.
const Path = "/admin/"

// ErrNoAccess is what a TokenSource returns for a person who holds no dashboard role (or is
// blocked, or no longer exists).
var ErrNoAccess = errors.New("no dashboard access")

// Token is a Management API access token minted for one signed-in person.
type Token struct {
	Value  string
	Scopes []string
}

// TokenSource mints the Management API tokens the dashboard acts with. The composition root
// implements it: a token for the dashboard client (sub <client_id>@clients, gty client-credentials)
// whose scopes are the Management API permissions the person's roles hold, within the dashboard's
// client grant, and whose act claim names the person so that the tenant log records them.
type TokenSource interface {
	ForUser(ctx context.Context, userID string) (Token, error)
}

// Options build the dashboard.
type Options struct {
	Issuer string
	// ClientID and ClientSecret are the dashboard's own Regular Web App.
	ClientID, ClientSecret string
	// CookieSecret seals the dashboard's session cookie and keys its CSRF tokens; at least 32
	// characters.
	CookieSecret string
	Tokens       TokenSource
	// Upstream returns the node's whole HTTP handler; the dashboard sends it every request it
	// makes (discovery, token endpoint, Management API). A function, because the handler is built
	// after the dashboard is.
	Upstream func() http.Handler
	Logger   *slog.Logger
	Now      func() time.Time
	// Root answers the issuer's root (dev's landing page); nil redirects it to the dashboard.
	Root http.Handler
}

// Handler serves the dashboard.
type Handler struct {
	opts    Options
	auth    *webauth.Client
	http    *http.Client
	pages   *pages
	csrfKey []byte
	origin  string // scheme://host[:port] of the issuer
}

// New checks o and builds the dashboard. It contacts nothing: discovery happens on first sign-in.
func New(o Options) (*Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tokens == nil || o.Upstream == nil || o.ClientID == "" || o.ClientSecret == "" {
		return nil, errors.New("admin: Tokens, Upstream and the dashboard client are required")
	}
	iss, err := url.Parse(o.Issuer)
	if err != nil || iss.Host == "" {
		return nil, fmt.Errorf("admin: issuer %q is not a URL", o.Issuer)
	}
	h := &Handler{opts: o, origin: iss.Scheme + "://" + iss.Host}
	h.http = &http.Client{Timeout: 30 * time.Second, Transport: inProcess{handler: o.Upstream, remoteAddr: "127.0.0.1:0"},
		// The dashboard never follows a redirect of the API or the token endpoint.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h.csrfKey = deriveKey(o.CookieSecret, "gatehouse dashboard csrf")
	if h.pages, err = loadPages(); err != nil {
		return nil, err
	}
	h.auth, err = webauth.New(webauth.Config{
		Secret: o.CookieSecret, BaseURL: h.origin, IssuerBaseURL: strings.TrimSuffix(o.Issuer, "/"),
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scope: "openid profile email",
		Routes: webauth.Routes{Login: Path + "auth/login", Callback: Path + "auth/callback",
			Logout: Path + "auth/logout", Me: Path + "auth/me"},
		// max_age makes every ID token carry auth_time, which re-authentication is measured from.
		AuthorizationParams: url.Values{"max_age": {signInMaxAge}},
		LoginReturnTo:       Path, LogoutReturnTo: Path,
		Session: webauth.SessionConfig{Name: "gatehouse_dashboard", Path: Path,
			RollingDuration: 30 * time.Minute, AbsoluteDuration: 12 * time.Hour},
		HTTPClient: h.http, Now: o.Now, Logger: o.Logger,
		OnError: h.authError,
	})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return h, nil
}

// Mount registers the dashboard's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	if h.opts.Root != nil {
		mux.Handle("GET /{$}", h.opts.Root)
	} else {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, Path, http.StatusFound)
		})
	}
	mux.HandleFunc("GET "+Path+"static/{file}", h.static)
	auth := h.auth.Handler()
	for _, p := range []string{"login", "callback", "me"} {
		mux.Handle(Path+"auth/"+p, noStore(auth))
	}
	// Signing out is a form with a CSRF token: a link elsewhere must not end the session.
	mux.Handle("POST "+Path+"auth/logout", h.auth.RequireAuth(h.checkCSRF(noStore(auth))))
	h.pageRoutes(mux)
}

// pageRoutes registers every page, each behind sign-in, the access check and, for POST, CSRF.
func (h *Handler) pageRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"{$}", h.page(h.home))
	h.applicationRoutes(mux)
	h.manageRoutes(mux)
	h.tenantPageRoutes(mux)
	h.connectionAndEmailTemplateRoutes(mux)
}

func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
