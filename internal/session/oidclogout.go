package session

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// oidcLogoutRequest is an RP-Initiated Logout request that has passed every check. Nothing in it
// came from the browser unverified, so acting on it (ending sessions, redirecting) is safe.
type oidcLogoutRequest struct {
	// client is the client a verified id_token_hint or a known client_id names; nil when neither
	// was given.
	client *domain.Client
	// hintSID is the `sid` of a verified id_token_hint: that session ends too, wherever it lives.
	hintSID string
	// redirect is a listed post_logout_redirect_uri with state appended, or "" for the logged-out page.
	redirect string
}

// oidcLogout is RP-Initiated Logout 1.0 (§2, §3). The whole request is checked before anything
// happens: a forged or foreign id_token_hint, an unknown client or an unlisted
// post_logout_redirect_uri is answered with an error page, and the session lives on. Ending the
// session first would let any page sign a user out with a made-up hint, and the spec (§3) lets the
// OP act only on a hint it has validated. A request that names no client ends the session only
// once the user confirms it (confirm.go).
func (h *LogoutHandler) oidcLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, perr := oidcLogoutParams(w, r)
	if perr != nil {
		h.fail(w, r, nil, "", perr)
		return
	}
	req, le, err := h.checkOIDCLogout(r, q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if le != nil {
		h.fail(w, r, nil, q["client_id"], le)
		return
	}
	if req.client == nil && !h.confirmed(w, r, q) {
		return
	}
	ended := h.end(ctx, w, r)
	if req.hintSID != "" && (ended == nil || ended.ID != req.hintSID) {
		if err := h.o.Sessions.EndByID(ctx, req.hintSID); err != nil {
			h.logger.ErrorContext(ctx, "session named by id_token_hint not ended", "err", err)
		}
	}
	h.success(ctx, r, ended, req.client)
	if req.redirect == "" {
		h.render(w, http.StatusOK, web.PageLoggedOut, web.LoggedOutData{Base: h.base(ctx)})
		return
	}
	http.Redirect(w, r, req.redirect, http.StatusFound)
}

// checkOIDCLogout validates an RP-Initiated Logout request without changing anything. A refusal is
// a *protocol.Error; only storage failures are errors.
//
// §2: id_token_hint must be an ID token this OP issued — signed by one of its published keys
// (current, next or recently retired), its issuer, and an audience that is a known client; an
// expired hint is still accepted. When client_id is also given it must be that audience (§2), and a
// logout_hint must be the hint's sid (Auth0). post_logout_redirect_uri must be listed exactly for
// the identified client — the tenant's list when none is identified (Auth0) — and state is echoed.
func (h *LogoutHandler) checkOIDCLogout(r *http.Request, q protocol.Params) (*oidcLogoutRequest, *protocol.Error, error) {
	ctx := r.Context()
	hint, logoutHint, clientID := q["id_token_hint"], q["logout_hint"], q["client_id"]
	req := &oidcLogoutRequest{}
	if hint != "" {
		if h.o.Verifier == nil {
			return nil, protocol.InvalidRequest("id_token_hint is not supported"), nil
		}
		aud, sid, _, err := h.o.Verifier.VerifyIDTokenHint(ctx, hint)
		if err != nil {
			h.logger.InfoContext(ctx, "id_token_hint rejected", "err", err)
			return nil, invalidHint(), nil
		}
		if clientID != "" && clientID != aud {
			return nil, protocol.InvalidRequest("client_id does not match the id_token_hint audience"), nil
		}
		if logoutHint != "" && logoutHint != sid {
			return nil, protocol.InvalidRequest("logout_hint does not match the id_token_hint session"), nil
		}
		c, err := h.o.Store.GetClient(ctx, aud)
		if errors.Is(err, store.ErrNotFound) {
			// Signed by us but not for a client: some other token, or a client since deleted.
			h.logger.InfoContext(ctx, "id_token_hint rejected", "err", "audience is not a known client")
			return nil, invalidHint(), nil
		}
		if err != nil {
			return nil, nil, err
		}
		req.client, req.hintSID = c, sid
	} else if clientID != "" {
		c, err := h.o.Store.GetClient(ctx, clientID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, protocol.InvalidRequest("Unknown client: %s", clientID), nil
		}
		if err != nil {
			return nil, nil, err
		}
		req.client = c
	}
	target := q["post_logout_redirect_uri"]
	if target == "" {
		return req, nil, nil
	}
	var allowed []string
	if req.client != nil {
		allowed = req.client.AllowedLogoutURLs
	} else {
		settings, err := h.o.Store.GetTenantSettings(ctx)
		if err != nil {
			return nil, nil, err
		}
		allowed = settings.AllowedLogoutURLs
	}
	if !logoutURLAllowed(allowed, target) {
		return nil, notAllowed("post_logout_redirect_uri", target), nil
	}
	if state := q["state"]; state != "" {
		target = protocol.AppendQuery(target, url.Values{"state": {state}})
	}
	req.redirect = target
	return req, nil, nil
}

// maxLogoutBody bounds a POSTed logout request: an id_token_hint and a few short parameters.
const maxLogoutBody = 64 << 10

// oidcLogoutParams reads the request's parameters: the query of a GET, the form body of a POST
// (RP-Initiated Logout 1.0 §2: the OP must support both; POST uses Form Serialization, so the
// parameters are taken from the body alone).
func oidcLogoutParams(w http.ResponseWriter, r *http.Request) (protocol.Params, *protocol.Error) {
	if r.Method != http.MethodPost {
		return protocol.ParseQuery(r.URL.RawQuery)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return nil, protocol.InvalidRequest("A logout request sent by POST must be form-encoded.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLogoutBody))
	if err != nil {
		return nil, protocol.InvalidRequest("The request body could not be read.")
	}
	return protocol.ParseQuery(string(body))
}

func invalidHint() *protocol.Error { return protocol.InvalidRequest("Invalid id_token_hint") }
