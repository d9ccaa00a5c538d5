package authflow

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// SAML Single Logout with a samlp connection's IdP (upstream/saml_logout.go holds the protocol).
// SP-initiated: /v2/logout?federated of a session that signed in through the connection ends the
// session, then sends the browser to the IdP's signOutEndpoint (or signInEndpoint) with a signed
// LogoutRequest (FederatedLogout); the IdP's LogoutResponse, which must answer that request
// (InResponseTo) in the same browser, once, comes back to /samlp/logout, which sends the
// browser on to /v2/logout with the client_id and returnTo it carried in RelayState, where they
// are checked as always. IdP-initiated: the IdP's signed LogoutRequest at /samlp/logout ends the
// sessions that signed in with its NameID (and SessionIndex, when it names one) and is answered
// with a signed LogoutResponse.

// SAMLLogoutPath is the service provider's SingleLogoutService.
const SAMLLogoutPath = "/samlp/logout"

// FederatedLogout is where /v2/logout?federated sends the browser after ending s: the IdP's
// Single Logout endpoint when s signed in through a samlp connection that signs out there, else
// "" (a local logout only). The LogoutRequest's ID is kept for this browser, once, until the
// IdP's LogoutResponse answers it (samlLogoutResponse).
func (h *Handler) FederatedLogout(w http.ResponseWriter, r *http.Request, s *domain.Session, relayState string) (string, error) {
	if s == nil || s.SAML == nil || h.upstream == nil {
		return "", nil
	}
	ctx := r.Context()
	c, err := h.store.GetConnectionByName(ctx, s.SAML.Connection)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !upstream.SignsOut(c) || c.Options.Issuer == "" {
		return "", nil
	}
	to, requestID, err := h.upstream.SAMLLogoutRequest(c, h.callbackURL, s.SAML, relayState)
	if err != nil {
		return "", err
	}
	err = h.store.PutWebAuthnChallenge(ctx, &domain.WebAuthnChallenge{Binding: pendingLogoutKey(c, h.ensureBinding(w, r)),
		Data: []byte(requestID), ExpiresAt: h.now().UTC().Add(pendingLogoutLifetime)})
	if err != nil {
		return "", fmt.Errorf("samlp logout: keep the LogoutRequest: %w", err)
	}
	return to, nil
}

// pendingLogoutLifetime bounds the wait for the IdP's LogoutResponse.
const pendingLogoutLifetime = 10 * time.Minute

// pendingLogoutKey names a browser's LogoutRequest to c among the short-lived take-once records
// the WebAuthn ceremonies also use: one record per browser and connection, taken by the first
// answer. The key is a hash, so the table holds no browser secret.
func pendingLogoutKey(c *domain.Connection, browserSecret string) string {
	sum := sha256.Sum256([]byte("samlp-logout\x00" + c.ID + "\x00" + browserSecret))
	return "samlp-logout:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// samlLogoutResponse checks the IdP's answer to the LogoutRequest this browser was sent with and
// sends the browser on to /v2/logout with the client_id and returnTo of its RelayState. The
// pending request is taken first: an answer replayed, or brought by another browser, finds none.
func (h *Handler) samlLogoutResponse(w http.ResponseWriter, r *http.Request, c *domain.Connection) {
	ctx := r.Context()
	requestID := ""
	if secret := h.bindingSecret(r); secret != "" {
		pending, err := h.store.TakeWebAuthnChallenge(ctx, pendingLogoutKey(c, secret), h.now().UTC())
		switch {
		case err == nil:
			requestID = string(pending.Data)
		case !errors.Is(err, store.ErrNotFound):
			h.internalError(w, r, fmt.Errorf("samlp logout: pending LogoutRequest: %w", err))
			return
		}
	}
	if err := h.upstream.CheckSAMLLogoutResponse(c, h.callbackURL, r, requestID); err != nil {
		h.samlLogoutRefused(w, r, c, err)
		return
	}
	relay, _ := url.ParseQuery(r.URL.Query().Get("RelayState"))
	next := url.Values{}
	for _, k := range []string{"client_id", "returnTo"} {
		if v := relay.Get(k); v != "" {
			next.Set(k, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/v2/logout?"+next.Encode(), http.StatusFound)
}

// samlLogout is GET /samlp/logout?connection=<name>.
func (h *Handler) samlLogout(w http.ResponseWriter, r *http.Request) {
	c, ok := h.samlConnection(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	switch {
	case q.Get("SAMLRequest") != "":
		h.samlLogoutRequest(w, r, c)
	case q.Get("SAMLResponse") != "":
		h.samlLogoutResponse(w, r, c)
	default:
		h.errorPage(w, r, badRequest("A SAMLRequest or SAMLResponse is required."))
	}
}

// samlLogoutRequest ends the sessions an IdP's LogoutRequest names and answers it.
func (h *Handler) samlLogoutRequest(w http.ResponseWriter, r *http.Request, c *domain.Connection) {
	ctx := r.Context()
	if !upstream.SignsOut(c) || c.Options.Issuer == "" {
		h.samlLogoutRefused(w, r, c, &upstream.Error{Code: "invalid_request",
			Description: "Single Logout is not configured for this connection (signOutEndpoint and issuer)."})
		return
	}
	in, err := h.upstream.ReadSAMLLogoutRequest(c, h.callbackURL, r, h.samlConsumer(ctx, c))
	if err != nil {
		h.samlLogoutRefused(w, r, c, err)
		return
	}
	userID, err := h.samlLogoutUser(ctx, c, in.NameID)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("samlp logout: %w", err))
		return
	}
	ended := 0
	err = h.store.WithTx(ctx, func(tx store.Store) error {
		list, err := tx.ListUserSessions(ctx, userID)
		if err != nil {
			return err
		}
		var match []*domain.Session
		for _, s := range list {
			if s.SAML != nil && s.SAML.Connection == c.Name && s.SAML.NameID == in.NameID &&
				(in.SessionIndex == "" || in.SessionIndex == s.SAML.SessionIndex) {
				match = append(match, s)
			}
		}
		ended, err = store.EndSessions(ctx, tx, match, domain.LogoutInitiatorIdP)
		return err
	})
	if err != nil {
		h.internalError(w, r, fmt.Errorf("samlp logout: end sessions: %w", err))
		return
	}
	h.logger.InfoContext(ctx, "SAML LogoutRequest ended sessions", "connection", c.Name, "sessions", ended)
	h.audit.Record(ctx, domain.LogEvent{Type: audit.TypeLogout, Description: "SAML Single Logout from the identity provider",
		UserID: userID, Connection: c.Name, IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host})
	to, err := h.upstream.SAMLLogoutResponse(c, h.callbackURL, in.ID, r.URL.Query().Get("RelayState"))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

// samlLogoutUser is the account a NameID of the connection signs in as: its own, or the primary
// it is linked to.
func (h *Handler) samlLogoutUser(ctx context.Context, c *domain.Connection, nameID string) (string, error) {
	id := UpstreamUserID(c, nameID)
	provider, identityID, _ := domain.SplitUserID(id)
	ident, err := h.store.GetIdentity(ctx, provider, identityID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return id, nil
	case err != nil:
		return "", err
	case ident.Linked():
		return ident.OwnerID, nil
	}
	return id, nil
}

// samlLogoutRefused answers a refused logout message on Gatehouse's own page, with a tenant log
// entry (flo); no session is ended.
func (h *Handler) samlLogoutRefused(w http.ResponseWriter, r *http.Request, c *domain.Connection, err error) {
	ctx := r.Context()
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		ue = &upstream.Error{Code: "server_error", Description: "The SAML logout message could not be read.", Cause: err}
	}
	desc := ue.Description
	if c.Options.Debug && ue.Cause != nil {
		desc += ": " + protocol.Truncate(ue.Cause.Error(), 512)
	}
	h.logger.WarnContext(ctx, "SAML logout message refused", "connection", c.Name, "err", err)
	h.audit.Record(ctx, domain.LogEvent{Type: audit.TypeLogoutFailed, Description: desc, Connection: c.Name,
		IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host})
	h.errorPage(w, r, badRequest(ue.Description))
}
