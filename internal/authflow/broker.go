package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/upstream"
	"github.com/gatehouse/gatehouse/web"
)

// The broker: signing in at another identity provider through a connection (oidc, oauth2, github,
// google-oauth2). It is part of the authenticate step: /authorize?connection=<name> goes straight
// to the provider, and the login page offers a "Continue with …" button for each such connection
// enabled for the application (social ones always, enterprise ones with show_as_button). The
// provider returns to /login/callback (Auth0's path); a verified answer signs the user in as the
// password form does (authenticated), and the flow goes on from the dispatcher.
//
// The state sent upstream is "<transaction id>.<secret>": the transaction keeps only the secret's
// hash, the nonce and the PKCE verifier (domain.UpstreamRequest), and is itself bound to the
// browser, so an answer is accepted only in the browser that started it, once. Any upstream
// failure ends the transaction and is sent to the application as an OAuth error, never a 500.
const (
	// CallbackPath is where providers send the browser back.
	CallbackPath = "/login/callback"
	// UpstreamPath is where a "Continue with …" button posts.
	UpstreamPath = "/u/login/upstream"
)

// upstreamConnection returns the upstream connection named name when it is enabled for client;
// nil when there is none.
func (h *Handler) upstreamConnection(ctx context.Context, name string, client *domain.Client) (*domain.Connection, error) {
	if h.upstream == nil || name == "" {
		return nil, nil
	}
	c, err := h.store.GetConnectionByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("connection: %w", err)
	}
	if !domain.IsUpstreamStrategy(c.Strategy) || !c.EnabledFor(client.ClientID) {
		return nil, nil
	}
	return c, nil
}

// connectionAllowed reports whether /authorize's connection parameter names an upstream
// connection the client may use (the database connection is checked by the caller).
func (h *Handler) connectionAllowed(ctx context.Context, name string, client *domain.Client) (bool, error) {
	c, err := h.upstreamConnection(ctx, name, client)
	return c != nil, err
}

// brokerDirect sends a flow whose /authorize named an upstream connection straight to it.
func (h *Handler) brokerDirect(w http.ResponseWriter, r *http.Request, f *flow) (stepResult, bool) {
	name := f.tx.Params["connection"]
	if name == "" {
		return next, false
	}
	c, err := h.upstreamConnection(r.Context(), name, f.client)
	if err != nil {
		h.internalError(w, r, err)
		return answered, true
	}
	if c == nil {
		return next, false
	}
	return h.toUpstream(w, r, f, c), true
}

// toUpstream stores the transaction (bound to this browser) with a new upstream request and
// redirects to the provider.
func (h *Handler) toUpstream(w http.ResponseWriter, r *http.Request, f *flow, c *domain.Connection) stepResult {
	ctx := r.Context()
	var post *upstream.SAMLPost
	var authURL string
	var req *domain.UpstreamRequest
	var err error
	if upstream.PostsAuthnRequest(c) {
		post, req, err = h.upstream.BeginSAMLPost(c, h.callbackURL, f.tx.ID)
	} else {
		authURL, req, err = h.upstream.Begin(ctx, c, h.callbackURL, f.tx.ID, f.tx.LoginHint)
	}
	if err != nil {
		h.upstreamFailed(w, r, f, c, err)
		return answered
	}
	f.tx.Upstream = req
	if f.stored {
		err = h.store.UpdateTransaction(ctx, f.tx)
	} else {
		secret := h.ensureBinding(w, r)
		f.tx.BrowserBindingHash = domain.HashSecret(secret)
		err = h.store.CreateTransaction(ctx, f.tx)
		f.stored = err == nil
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("upstream: store transaction: %w", err))
		return answered
	}
	w.Header().Set("Cache-Control", "no-store")
	if post != nil {
		// SAML bindings §3.5: the browser posts the AuthnRequest to the IdP (the form_post page,
		// whose CSP lets the form go to the IdP's origin only).
		h.formPost(w, r, protocol.ResponsePage{Target: post.Action, Fields: []protocol.FormField{
			{Name: "RelayState", Value: post.RelayState}, {Name: "SAMLRequest", Value: post.SAMLRequest}}})
		return answered
	}
	http.Redirect(w, r, authURL, http.StatusFound)
	return answered
}

// upstreamSubmit is POST /u/login/upstream: a "Continue with …" button.
func (h *Handler) upstreamSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.render(r.Context(), w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgFormExpired))
		return
	}
	c, err := h.upstreamConnection(r.Context(), r.PostForm.Get("connection"), fs.client)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if org := h.organizationView(r.Context(), fs.tx); c != nil && org != nil && !org.enables(c.Name) {
		c = nil // not one of the organization's connections
	}
	if c == nil {
		h.render(r.Context(), w, http.StatusBadRequest, web.PageLogin, h.loginData(r, fs, "", msgUnknownConnection))
		return
	}
	h.toUpstream(w, r, &flow{client: fs.client, tx: fs.tx, stored: true}, c)
}

const msgUnknownConnection = "This sign-in option is not available for this application."

// upstreamCallback is GET /login/callback: the provider's answer.
func (h *Handler) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	txID, secret, ok := upstream.SplitState(q.Get("state"))
	if !ok {
		h.errorPage(w, r, staleTransaction())
		return
	}
	fs := h.loadTx(w, r, txID) // live, and started by this browser
	if fs == nil {
		return
	}
	req := fs.tx.Upstream
	if !upstream.StateMatches(req, secret) {
		// A forged or replayed answer: the transaction stays as it was, nothing is created.
		h.record(r, audit.TypeLoginFailure, "Upstream state mismatch", fs.client, nil)
		h.errorPage(w, r, staleTransaction())
		return
	}
	// One answer per request: a replay of this one finds no upstream request.
	fs.tx.Upstream = nil
	if err := h.store.UpdateTransaction(ctx, fs.tx); err != nil {
		h.internalError(w, r, fmt.Errorf("upstream: update transaction: %w", err))
		return
	}
	f := &flow{client: fs.client, tx: fs.tx, stored: true}
	c, err := h.store.GetConnectionByName(ctx, req.Connection)
	if err != nil || !c.EnabledFor(fs.client.ClientID) || !domain.IsUpstreamStrategy(c.Strategy) {
		h.upstreamFailed(w, r, f, &domain.Connection{Name: req.Connection}, &upstream.Error{Code: "access_denied",
			Description: "The connection is no longer available.", Cause: err})
		return
	}
	if req.SAML != nil || req.SAMLRequestID != "" { // samlp: the answer was posted to the ACS (broker_saml.go)
		if req.SAML == nil || c.Strategy != domain.StrategySAMLP {
			h.samlFailed(w, r, f, c, &upstream.Error{Code: "access_denied", Description: "The SAML response must be posted to the assertion consumer service."})
			return
		}
		h.samlFinish(w, r, fs, c, req.SAML)
		return
	}
	if code := q.Get("error"); code != "" {
		h.upstreamFailed(w, r, f, c, providerError(code, q.Get("error_description")))
		return
	}
	var prof *upstream.Profile
	switch {
	case c.FrontChannel():
		prof, err = h.upstream.FinishIDToken(ctx, c, req, req.IDToken)
	case q.Get("code") == "":
		err = &upstream.Error{Code: "access_denied", Description: "The identity provider returned no authorization code."}
	default:
		prof, err = h.upstream.Finish(ctx, c, req, h.callbackURL, q.Get("code"))
	}
	if err != nil {
		h.upstreamFailed(w, r, f, c, err)
		return
	}
	user, err := h.signInIdentity(ctx, c, prof)
	if err != nil {
		h.upstreamFailed(w, r, f, c, err)
		return
	}
	if user.Blocked {
		h.metrics.SignIn(metrics.SignInUserBlocked)
	} else {
		h.metrics.SignIn(metrics.SignInSuccess)
	}
	fs.tx.Connection = c.Name
	h.authenticated(w, r, fs, user)
}

// providerError is the provider's own error, passed on as Auth0 does: access_denied stays
// access_denied, anything else is a denial that names it.
func providerError(code, desc string) *upstream.Error {
	code = protocol.Truncate(code, 64)
	desc = protocol.Truncate(desc, 256)
	if code == "access_denied" || code == "login_required" || code == "consent_required" || code == "interaction_required" {
		if desc == "" {
			desc = "The identity provider denied the sign-in."
		}
		return &upstream.Error{Code: code, Description: desc}
	}
	return &upstream.Error{Code: "access_denied", Description: "The identity provider answered " + code + "."}
}

// upstreamFailed ends the transaction and sends the application the error, with a tenant log entry.
func (h *Handler) upstreamFailed(w http.ResponseWriter, r *http.Request, f *flow, c *domain.Connection, err error) {
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		ue = &upstream.Error{Code: "server_error", Description: "The sign-in could not be completed.", Cause: err}
	}
	h.logger.WarnContext(r.Context(), "upstream sign-in failed", "connection", c.Name, "err", err)
	h.metrics.SignIn(metrics.SignInUpstreamError)
	h.record(r, audit.TypeLoginFailure, ue.Description, f.client, &domain.User{Connection: c.Name})
	h.endTransaction(r.Context(), f.tx, f.stored)
	h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, ue.Code, ue.Description))
}

// UpstreamUserID is the user id Auth0 gives a user of an upstream connection: the strategy and
// the provider's id for a social preset (github|123, google-oauth2|1057…), with the connection's
// name between them for enterprise and custom ones (oidc|acme|00u…, oauth2|my-idp|42,
// samlp|partner|<NameID>).
func UpstreamUserID(c *domain.Connection, subject string) string {
	switch c.Strategy {
	case domain.StrategyOIDC, domain.StrategyOAuth2, domain.StrategySAMLP:
		return c.Strategy + "|" + c.Name + "|" + subject
	}
	return c.Strategy + "|" + subject
}

// upstreamUser finds or creates the user the provider vouched for, by user id only: an account
// of another connection with the same email is never taken over or linked (the provider's email,
// verified or not, proves nothing about that account). The profile is refreshed at each sign-in.
func (h *Handler) upstreamUser(ctx context.Context, c *domain.Connection, p *upstream.Profile) (*domain.User, error) {
	id := UpstreamUserID(c, p.Subject)
	u, err := h.store.GetUser(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = &domain.User{UserID: id, Connection: c.Name, CreatedAt: h.now().UTC()}
		applyProfile(u, p)
		domain.ApplyUserDefaults(u)
		if err := h.store.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return nil, &upstream.Error{Code: "access_denied", Description: "Another user of this connection has the same email address.", Cause: err}
			}
			return nil, err
		}
		return u, nil
	case err != nil:
		return nil, err
	}
	applyProfile(u, p)
	if err := h.store.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &upstream.Error{Code: "access_denied", Description: "Another user of this connection has the same email address.", Cause: err}
		}
		return nil, err
	}
	return u, nil
}

// applyProfile copies the provider's attributes onto the user; an attribute the provider no
// longer sends keeps its value, and an email that is not an address is left out.
func applyProfile(u *domain.User, p *upstream.Profile) {
	if p.Email != "" && domain.CheckEmailAddress(domain.NormalizeEmail(p.Email)) == nil {
		u.Email = domain.NormalizeEmail(p.Email)
		u.EmailVerified = p.EmailVerified
	}
	for dst, v := range map[*string]string{&u.Name: p.Name, &u.Nickname: p.Nickname, &u.GivenName: p.GivenName,
		&u.FamilyName: p.FamilyName, &u.Picture: pictureURL(p.Picture)} {
		if v != "" {
			*dst = protocol.Truncate(v, 300)
		}
	}
}

// pictureURL keeps a picture only when it is an http(s) URL.
func pictureURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		return raw
	}
	return ""
}

// homeRealm is home realm discovery on the login form: an email whose domain is one of the
// domain_aliases of an upstream connection enabled for the application goes to that provider
// (the password, if typed, is ignored and never checked). It reports whether it answered.
func (h *Handler) homeRealm(w http.ResponseWriter, r *http.Request, fs *flowState, username string) bool {
	_, emailDomain, ok := strings.Cut(domain.NormalizeEmail(username), "@")
	if h.upstream == nil || !ok || emailDomain == "" {
		return false
	}
	for _, c := range h.upstreamConnections(r.Context()) {
		if !c.EnabledFor(fs.client.ClientID) {
			continue
		}
		for _, alias := range c.Options.DomainAliases {
			if alias == emailDomain {
				fs.tx.LoginHint = domain.NormalizeEmail(username)
				h.toUpstream(w, r, &flow{client: fs.client, tx: fs.tx, stored: true}, c)
				return true
			}
		}
	}
	return false
}

// upstreamConnections lists the tenant's connections to other providers.
func (h *Handler) upstreamConnections(ctx context.Context) []*domain.Connection {
	list, _, err := h.store.ListConnections(ctx, store.ConnectionFilter{
		Strategy: domain.UpstreamStrategies}, store.Page{PerPage: 100})
	if err != nil {
		h.logger.WarnContext(ctx, "upstream connections not listed", "err", err)
		return nil
	}
	return list
}

// providerTargets are the authorization endpoints the login page's buttons redirect to, for its
// form-action policy (browsers apply it to the redirect that follows a form). An oidc provider's
// endpoint is known once its discovery document has been read; until then its issuer's origin
// stands for it.
func (h *Handler) providerTargets(ctx context.Context, client *domain.Client) []string {
	var out []string
	for _, b := range h.providerButtons(ctx, client) {
		out = append(out, b.Targets...)
	}
	return out
}

// providerButtons lists the "Continue with …" buttons of the login page for this application.
func (h *Handler) providerButtons(ctx context.Context, client *domain.Client) []web.ProviderButton {
	if h.upstream == nil {
		return nil
	}
	var out []web.ProviderButton
	for _, c := range h.upstreamConnections(ctx) {
		enterprise := !domain.IsSocialProvider(c.Strategy)
		if !c.EnabledFor(client.ClientID) || (enterprise && (c.ShowAsButton == nil || !*c.ShowAsButton)) {
			continue
		}
		e := c.Endpoints()
		out = append(out, web.ProviderButton{Connection: c.Name, Label: buttonLabel(c),
			Targets: []string{e.AuthorizationURL, e.Issuer, e.DiscoveryURL}})
	}
	return out
}

func buttonLabel(c *domain.Connection) string {
	switch {
	case c.DisplayName != "":
		return c.DisplayName
	case c.Strategy == domain.StrategyGitHub:
		return "GitHub"
	case c.Strategy == domain.StrategyGoogle:
		return "Google"
	case c.Strategy == domain.StrategyWindowsLive:
		return "Microsoft"
	case c.Strategy == domain.StrategyFacebook:
		return "Facebook"
	case c.Strategy == domain.StrategyApple:
		return "Apple"
	}
	return c.Name
}

// authMethod is the amr-style name of how the user signed in (event.authentication.methods):
// "federated" for an upstream provider, as Auth0 reports it, else "pwd".
func authMethod(u *domain.User) string {
	if u != nil && strings.Contains(u.UserID, "|") {
		if provider, _, _ := strings.Cut(u.UserID, "|"); provider != domain.StrategyAuth0 {
			return "federated"
		}
	}
	return "pwd"
}

// userConnection is the name of the connection the user signed in with.
func userConnection(u *domain.User) string {
	if u == nil || u.Connection == "" {
		return domain.DefaultConnection
	}
	return u.Connection
}
