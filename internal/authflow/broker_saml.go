package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// SAML sign-in through a samlp connection. The broker sends the browser to the IdP with an
// AuthnRequest (upstream.Begin) whose RelayState is "<transaction id>.<secret>", as an OAuth
// state is. The IdP posts the SAMLResponse to Auth0's assertion consumer service,
// POST /login/callback?connection=<name>: a cross-site POST, which carries no SameSite=Lax
// cookie, so the browser binding cannot be checked there. The ACS therefore verifies the response
// (upstream.FinishSAML: signature, audience, recipient, time, InResponseTo, replay), keeps the
// verified profile on the transaction under a fresh secret, and redirects to
// GET /login/callback?state=<transaction id>.<new secret>: that top-level GET comes with the
// binding cookie, and only the browser that started the transaction finishes it there. A
// response captured and posted from another browser verifies, but signs nobody in.
//
// IdP-initiated sign-in (a response with no RelayState of ours and no InResponseTo) is accepted
// only when the connection's idpinitiated.enabled is set: a transaction is made for
// idpinitiated.client_id as /authorize would make it from client_authorizequery, bound to the
// posting browser, and finished by the same GET.

const (
	// SAMLMetadataPath is Auth0's path of a samlp connection's service provider metadata.
	SAMLMetadataPath = "/samlp/metadata"
	// maxSAMLForm bounds the ACS form (SAMLResponse and RelayState).
	maxSAMLForm = 512 << 10
)

// samlMetadata is GET /samlp/metadata?connection=<name>.
func (h *Handler) samlMetadata(w http.ResponseWriter, r *http.Request) {
	c, ok := h.samlConnection(w, r)
	if !ok {
		return
	}
	md, err := h.upstream.SAMLMetadata(c, h.callbackURL)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(md)
}

// samlConnection is the samlp connection the request's ?connection= names; otherwise it answers.
func (h *Handler) samlConnection(w http.ResponseWriter, r *http.Request) (*domain.Connection, bool) {
	names := r.URL.Query()["connection"]
	if len(names) != 1 || names[0] == "" || h.upstream == nil {
		h.errorPage(w, r, badRequest("The connection parameter is missing or repeated."))
		return nil, false
	}
	name := names[0]
	c, err := h.store.GetConnectionByName(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Strategy != domain.StrategySAMLP) {
		h.errorPage(w, r, &protocol.Error{Status: http.StatusNotFound, Code: "invalid_request", Heading: "Invalid request.",
			Description: "There is no SAML connection named " + protocol.Truncate(name, 128) + "."})
		return nil, false
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("samlp: connection: %w", err))
		return nil, false
	}
	return c, true
}

// samlACS is POST /login/callback?connection=<name>: the IdP's SAMLResponse.
// callbackPost is POST /login/callback, which two kinds of provider answer: a SAML identity
// provider posts its response to the assertion consumer service URL, which names the connection
// (/login/callback?connection=NAME, as Auth0's does); an OIDC provider in front_channel mode (and
// Apple) posts its form_post answer without it.
func (h *Handler) callbackPost(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("connection") {
		h.samlACS(w, r)
		return
	}
	h.upstreamFormPost(w, r)
}

func (h *Handler) samlACS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, badRequest("The SAML response could not be read."))
		return
	}
	c, ok := h.samlConnection(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	encoded := r.PostForm.Get("SAMLResponse")
	relay := r.PostForm.Get("RelayState")
	txID, secret, ours := upstream.SplitState(relay)
	if !ours {
		h.samlIdPInitiated(w, r, c, encoded)
		return
	}
	tx, err := h.store.GetTransaction(ctx, txID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !h.now().Before(tx.ExpiresAt)) {
		h.samlRefused(r, c, nil, "SAML response for an unknown or expired sign-in", nil)
		h.errorPage(w, r, staleTransaction())
		return
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("samlp: transaction: %w", err))
		return
	}
	client, err := h.store.GetClient(ctx, tx.ClientID)
	if err != nil {
		h.errorPage(w, r, staleTransaction())
		return
	}
	*r = *r.WithContext(httpserver.WithClientID(ctx, client.ClientID))
	req := tx.Upstream
	if !upstream.StateMatches(req, secret) || req.Connection != c.Name || req.SAMLRequestID == "" || req.SAML != nil {
		// A forged RelayState, or a response posted to another connection's ACS: nothing changes.
		h.samlRefused(r, c, client, "SAML RelayState does not match the sign-in", nil)
		h.errorPage(w, r, staleTransaction())
		return
	}
	f := &flow{client: client, tx: tx, stored: true}
	if !c.EnabledFor(client.ClientID) {
		h.samlFailed(w, r, f, c, &upstream.Error{Code: "access_denied", Description: "The connection is no longer available."})
		return
	}
	prof, err := h.upstream.FinishSAML(ctx, c, h.callbackURL, upstream.SAMLResponse{
		Encoded: encoded, RequestID: req.SAMLRequestID, Consume: h.samlConsumer(ctx, c)})
	if err != nil {
		h.samlFailed(w, r, f, c, err)
		return
	}
	h.samlContinue(w, r, f, c, prof)
}

// samlContinue keeps the verified profile on the transaction under a new secret and sends the
// browser to the GET that finishes the sign-in where the binding cookie is sent.
func (h *Handler) samlContinue(w http.ResponseWriter, r *http.Request, f *flow, c *domain.Connection, p *upstream.Profile) {
	secret := domain.RandomToken(32)
	f.tx.Upstream = &domain.UpstreamRequest{Connection: c.Name, StateHash: domain.HashSecret(secret), SAML: &domain.SAMLOutcome{
		Subject: p.Subject, Attributes: map[string]string{"email": p.Email, "name": p.Name, "nickname": p.Nickname,
			"given_name": p.GivenName, "family_name": p.FamilyName, "picture": p.Picture}, Session: p.SAMLSession}}
	var err error
	if f.stored {
		err = h.store.UpdateTransaction(r.Context(), f.tx)
	} else {
		err = h.store.CreateTransaction(r.Context(), f.tx)
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("samlp: store transaction: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, CallbackPath+"?state="+url.QueryEscape(f.tx.ID+"."+secret), http.StatusSeeOther)
}

// samlProfile is the profile a verified SAML answer left on the transaction. Its email is never
// verified (upstream.FinishSAML).
func samlProfile(o *domain.SAMLOutcome) *upstream.Profile {
	a := o.Attributes
	return &upstream.Profile{Subject: o.Subject, Email: a["email"], Name: a["name"], Nickname: a["nickname"],
		GivenName: a["given_name"], FamilyName: a["family_name"], Picture: a["picture"]}
}

// samlFinish is the GET /login/callback that completes a verified SAML answer in the browser that
// started (or, IdP-initiated, posted) it: the upstream user found or created and signed in.
func (h *Handler) samlFinish(w http.ResponseWriter, r *http.Request, fs *flowState, c *domain.Connection, o *domain.SAMLOutcome) {
	f := &flow{client: fs.client, tx: fs.tx, stored: true}
	user, err := h.signInIdentity(r.Context(), c, samlProfile(o))
	if err != nil {
		h.samlFailed(w, r, f, c, err)
		return
	}
	if user.Blocked {
		h.metrics.SignIn(metrics.SignInUserBlocked)
	} else {
		h.metrics.SignIn(metrics.SignInSuccess)
	}
	fs.tx.Connection, fs.tx.SAMLSession = c.Name, o.Session
	h.authenticated(w, r, fs, user)
}

// samlIdPInitiated handles a response that names no transaction of ours.
func (h *Handler) samlIdPInitiated(w http.ResponseWriter, r *http.Request, c *domain.Connection, encoded string) {
	ctx := r.Context()
	ip := c.Options.IdPInitiated
	if ip == nil || !ip.Enabled {
		h.samlRefused(r, c, nil, "IdP-initiated SAML sign-in is not enabled for this connection", nil)
		h.errorPage(w, r, badRequest("IdP-initiated sign-in is not enabled for this connection."))
		return
	}
	vals, _ := url.ParseQuery(ip.ClientAuthorizeQuery)
	vals.Set("client_id", ip.ClientID)
	if vals.Get("response_type") == "" {
		vals.Set("response_type", "code")
	}
	if vals.Get("scope") == "" && ip.ClientProtocol != "oauth2" {
		vals.Set("scope", "openid profile email")
	}
	if vals.Get("redirect_uri") == "" {
		if cl, err := h.store.GetClient(ctx, ip.ClientID); err == nil && len(cl.Callbacks) > 0 {
			vals.Set("redirect_uri", cl.Callbacks[0])
		}
	}
	req, err := h.parseAuthorizeValues(ctx, vals, nil)
	if err != nil || req == nil || !c.EnabledFor(req.Client.ClientID) {
		var pe *protocol.Error
		if err != nil && !errors.As(err, &pe) {
			h.internalError(w, r, err)
			return
		}
		h.samlRefused(r, c, nil, "IdP-initiated SAML sign-in: the default application cannot be signed in to", err)
		h.errorPage(w, r, badRequest("IdP-initiated sign-in is not set up correctly for this connection."))
		return
	}
	*r = *r.WithContext(httpserver.WithClientID(ctx, req.Client.ClientID))
	now := h.now().UTC()
	tx := req.Transaction
	tx.ID = domain.RandomToken(24)
	tx.CreatedAt = now
	tx.ExpiresAt = now.Add(domain.LoginTransactionLifetime)
	f := &flow{client: req.Client, tx: &tx}
	prof, err := h.upstream.FinishSAML(ctx, c, h.callbackURL, upstream.SAMLResponse{Encoded: encoded, Consume: h.samlConsumer(ctx, c)})
	if err != nil {
		h.samlFailed(w, r, f, c, err)
		return
	}
	tx.BrowserBindingHash = domain.HashSecret(h.ensureBinding(w, r))
	h.samlContinue(w, r, f, c, prof)
}

// samlConsumer records an assertion's ID once across every node, for this connection.
func (h *Handler) samlConsumer(ctx context.Context, c *domain.Connection) func(string, time.Time) error {
	return func(id string, until time.Time) error {
		now := h.now()
		if until.Before(now) || until.After(now.Add(24*time.Hour)) {
			until = now.Add(24 * time.Hour)
		}
		err := h.store.UseOnce(ctx, domain.HashSecret("samlp\x00"+c.ID+"\x00"+id), until, now)
		if errors.Is(err, store.ErrAlreadyUsed) {
			return upstream.ErrSAMLReplayed
		}
		return err
	}
}

// samlFailed ends the transaction and sends the application the error, as upstreamFailed does;
// the tenant log entry names what was wrong, with crewjam/saml's detail when options.debug is set.
func (h *Handler) samlFailed(w http.ResponseWriter, r *http.Request, f *flow, c *domain.Connection, err error) {
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		ue = &upstream.Error{Code: "server_error", Description: "The sign-in could not be completed.", Cause: err}
	}
	h.logger.WarnContext(r.Context(), "SAML sign-in failed", "connection", c.Name, "err", err)
	h.metrics.SignIn(metrics.SignInUpstreamError)
	h.samlRefused(r, c, f.client, ue.Description, ue.Cause)
	h.endTransaction(r.Context(), f.tx, f.stored)
	h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, ue.Code, ue.Description))
}

// samlRefused records a refused SAML answer in the tenant log (f: failed login).
func (h *Handler) samlRefused(r *http.Request, c *domain.Connection, client *domain.Client, desc string, cause error) {
	if c.Options.Debug && cause != nil {
		desc += ": " + protocol.Truncate(cause.Error(), 512)
	}
	h.record(r, audit.TypeLoginFailure, desc, client, &domain.User{Connection: c.Name})
}
