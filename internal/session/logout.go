package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// IDTokenHintVerifier checks an id_token_hint: signature by one of the tenant's keys and `iss`; an
// expired token is accepted (OpenID Connect RP-Initiated Logout 1.0 §2: the hint is typically old).
// It returns the token's `aud` (the client id), `sid` and `sub`.
type IDTokenHintVerifier interface {
	VerifyIDTokenHint(ctx context.Context, raw string) (clientID, sid, sub string, err error)
}

// LogoutStore is what the logout endpoints read.
type LogoutStore interface {
	store.ClientStore
	store.TenantStore
}

// LogoutOptions configures the logout endpoints.
type LogoutOptions struct {
	Store    LogoutStore
	Sessions *Manager
	// Verifier checks id_token_hint on /oidc/logout; nil refuses any hint there.
	Verifier IDTokenHintVerifier
	Audit    *audit.Recorder
	Pages    *web.Pages
	Logger   *slog.Logger
	// Federated, when set, is where /v2/logout?federated sends the browser after ending a session
	// that signed in at another identity provider that signs out too (a samlp connection's
	// Single Logout), relayState going there and back; "" for a local logout only.
	// It may set a cookie on w (to bind the IdP's answer to the browser).
	Federated func(w http.ResponseWriter, r *http.Request, ended *domain.Session, relayState string) (string, error)
}

// LogoutHandler serves GET /v2/logout and GET and POST /oidc/logout (oidclogout.go).
type LogoutHandler struct {
	o      LogoutOptions
	logger *slog.Logger
}

// NewLogoutHandler returns the logout endpoints.
func NewLogoutHandler(o LogoutOptions) *LogoutHandler {
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &LogoutHandler{o: o, logger: l}
}

// Mount registers the endpoints.
func (h *LogoutHandler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/logout", h.v2Logout)
	mux.HandleFunc("GET /oidc/logout", h.oidcLogout)
	mux.HandleFunc("POST /oidc/logout", h.oidcLogout)
}

// v2Logout is Auth0's logout (spec §1.5): it always ends the SSO session and clears the cookie, then
// redirects to returnTo when it is one of the allowed logout URLs — the client's when client_id is
// given, the tenant's otherwise — and never to anything else.
func (h *LogoutHandler) v2Logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ended := h.end(ctx, w, r)
	q, perr := protocol.ParseQuery(r.URL.RawQuery)
	if perr != nil {
		h.fail(w, r, ended, "", perr)
		return
	}
	clientID, returnTo := q["client_id"], q["returnTo"]
	// id_token_hint (nextjs-auth0 sends it) and auth0Client are accepted and ignored.
	if _, federated := q["federated"]; federated && ended != nil && ended.SAML != nil && h.o.Federated != nil {
		// The IdP's answer comes back through /samlp/logout to this endpoint without federated,
		// where client_id and returnTo are checked as for any logout.
		relay := url.Values{}
		for k, v := range map[string]string{"client_id": clientID, "returnTo": returnTo} {
			if v != "" {
				relay.Set(k, v)
			}
		}
		to, err := h.o.Federated(w, r, ended, relay.Encode())
		if err != nil {
			h.logger.WarnContext(ctx, "federated logout not sent to the identity provider", "err", err)
		} else if to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
	}
	h.redirectAfterLogout(w, r, ended, clientID, returnTo)
}

// redirectAfterLogout ends /v2/logout: target must be one of the allowed logout URLs — the client's
// when clientID names one, the tenant's otherwise — or the plain "logged out" page is shown. An absent
// target means the client's first allowed logout URL.
func (h *LogoutHandler) redirectAfterLogout(w http.ResponseWriter, r *http.Request, ended *domain.Session, clientID, target string) {
	ctx := r.Context()
	var allowed []string
	var client *domain.Client
	if clientID != "" {
		c, err := h.o.Store.GetClient(ctx, clientID)
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, ended, "", protocol.InvalidRequest("Unknown client: %s", clientID))
			return
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		client, allowed = c, c.AllowedLogoutURLs
		if target == "" && len(allowed) > 0 {
			target = allowed[0]
		}
	} else {
		settings, err := h.o.Store.GetTenantSettings(ctx)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		allowed = settings.AllowedLogoutURLs
	}
	if target == "" {
		h.success(ctx, r, ended, client)
		h.render(w, http.StatusOK, web.PageLoggedOut, web.LoggedOutData{Base: h.base(ctx)})
		return
	}
	if !logoutURLAllowed(allowed, target) {
		h.fail(w, r, ended, clientID, notAllowed("returnTo", target))
		return
	}
	h.success(ctx, r, ended, client)
	http.Redirect(w, r, target, http.StatusFound)
}

func notAllowed(param, value string) *protocol.Error {
	return protocol.InvalidRequest(`The "%s" querystring parameter "%s" is not defined as a valid URL in "Allowed Logout URLs".`, param, value)
}

// logoutURLAllowed matches with domain.SameLogoutURL: exact, except that a bare origin and the origin
// with "/" are the same URL.
func logoutURLAllowed(allowed []string, candidate string) bool {
	for _, a := range allowed {
		if domain.SameLogoutURL(a, candidate) {
			return true
		}
	}
	return false
}

func (h *LogoutHandler) end(ctx context.Context, w http.ResponseWriter, r *http.Request) *domain.Session {
	s, err := h.o.Sessions.End(ctx, w, r)
	if err != nil {
		h.logger.ErrorContext(ctx, "session not ended at logout", "err", err)
	}
	return s
}

func (h *LogoutHandler) success(ctx context.Context, r *http.Request, ended *domain.Session, c *domain.Client) {
	e := domain.LogEvent{Type: audit.TypeLogout, Description: "Logout", IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host}
	if c != nil {
		e.ClientID, e.ClientName = c.ClientID, c.Name
	}
	if ended != nil {
		e.UserID = ended.UserID
	}
	h.o.Audit.Record(ctx, e)
}

// fail refuses a logout request on Gatehouse's own page; the browser is never redirected.
func (h *LogoutHandler) fail(w http.ResponseWriter, r *http.Request, ended *domain.Session, clientID string, le *protocol.Error) {
	ctx := r.Context()
	e := domain.LogEvent{Type: audit.TypeLogoutFailed, Description: le.Description, ClientID: clientID, IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host}
	if ended != nil {
		e.UserID = ended.UserID
	}
	h.o.Audit.Record(ctx, e)
	h.errorPage(w, ctx, le)
}

func (h *LogoutHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.ErrorContext(r.Context(), "logout failed", "err", err)
	h.errorPage(w, r.Context(), protocol.NewError(http.StatusInternalServerError, "server_error",
		"The request could not be completed. Please try again later."))
}

// errorPage shows e on Gatehouse's own page with e.Status.
func (h *LogoutHandler) errorPage(w http.ResponseWriter, ctx context.Context, e *protocol.Error) {
	p := e.Page("Oops!, something went wrong")
	h.render(w, e.Status, web.PageError, web.ErrorData{Base: h.base(ctx), Heading: p.Heading, Code: p.Code, Description: p.Description})
}

func (h *LogoutHandler) render(w http.ResponseWriter, status int, page string, data any) {
	if err := h.o.Pages.Render(w, status, page, data); err != nil {
		h.logger.Error("logout page not rendered", "page", page, "err", err)
	}
}

func (h *LogoutHandler) base(ctx context.Context) web.Base {
	b := web.Base{Tenant: "Gatehouse"}
	if s, err := h.o.Store.GetTenantSettings(ctx); err == nil {
		if s.FriendlyName != "" {
			b.Tenant = s.FriendlyName
		}
		b.Brand = web.NewBrand(s.BrandingParts())
	}
	return b
}
