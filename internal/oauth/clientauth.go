package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// clientAuthFailed is the one answer for an unknown client, a wrong secret or missing credentials
// (RFC 6749 §5.2 invalid_client, 401 per the Gatehouse decisions, Auth0's description): the caller
// cannot tell which.
func clientAuthFailed() *protocol.Error {
	return protocol.NewError(http.StatusUnauthorized, "invalid_client", "Unauthorized")
}

// dummyHash is compared against when the client does not exist, so that an unknown client id costs
// the same hashing as a wrong secret.
var dummyHash = domain.HashSecret("gatehouse: no such client")

// authenticateClient authenticates the client of a token or revocation request (RFC 6749 §2.3):
//   - client_secret_basic: Authorization: Basic base64(urlencode(id) ":" urlencode(secret)), both
//     parts URL-decoded (RFC 6749 §2.3.1);
//   - client_secret_post: client_id and client_secret in the body;
//   - none: client_id only, for public clients;
//   - private_key_jwt: client_assertion_type and client_assertion (RFC 7523 §2.2, assertion.go);
//     the only method a client that registered it may use.
//
// Either secret method is accepted for every confidential client whatever its stored
// token_endpoint_auth_method (spec §1.1: nextjs-auth0 sends Basic for "Post" apps). Using both at
// once is invalid_request (RFC 6749 §2.3: one method per request).
func (h *Handler) authenticateClient(ctx context.Context, r *http.Request, req *protocol.TokenRequest) (*domain.Client, bool, *protocol.Error) {
	id, secret, basic, gerr := basicCredentials(r)
	if gerr != nil {
		return nil, true, gerr
	}
	if req.AssertionSent {
		if basic {
			return nil, true, protocol.InvalidRequest("Multiple client authentication methods were used; use only one")
		}
		client, aerr := h.authenticateAssertion(ctx, r, req)
		return client, false, aerr
	}
	bodySecret, secretSent := req.ClientSecret, req.ClientSecretSent
	bodyID, idSent := req.ClientID, req.ClientIDSent
	if basic {
		if secretSent {
			return nil, true, protocol.InvalidRequest("Multiple client authentication methods were used; use only one")
		}
		if idSent && bodyID != id {
			return nil, true, protocol.InvalidRequest("client_id does not match the Authorization header")
		}
	} else {
		id, secret = bodyID, bodySecret
		if id == "" {
			return nil, false, clientAuthFailed()
		}
	}
	client, err := h.config.Client(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		domain.SecretMatches(dummyHash, secret)
		return nil, basic, clientAuthFailed()
	}
	if err != nil {
		return nil, basic, protocol.ServerError(err)
	}
	if !client.IsConfidential() && !client.RequiresPrivateKeyJWT() {
		// A public client proves nothing but its id; a secret sent for it is an error, not ignored
		// (RFC 6749 §2.3: the client must not use more than one method).
		if secret != "" || (!basic && secretSent) {
			return nil, basic, clientAuthFailed()
		}
		return client, basic, nil
	}
	if secret == "" || !domain.SecretMatches(client.SecretHash, secret) || client.RequiresPrivateKeyJWT() {
		// A client that registered private_key_jwt authenticates with an assertion only: its
		// secret, still stored, must not open a second way in.
		return nil, basic, clientAuthFailed()
	}
	return client, basic, nil
}

// basicCredentials reads an Authorization: Basic header. ok is false without one.
func basicCredentials(r *http.Request) (id, secret string, ok bool, gerr *protocol.Error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", false, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", true, clientAuthFailed()
	}
	u, pw, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, clientAuthFailed()
	}
	if id, err = url.QueryUnescape(u); err != nil {
		return "", "", true, clientAuthFailed()
	}
	if secret, err = url.QueryUnescape(pw); err != nil {
		return "", "", true, clientAuthFailed()
	}
	if id == "" {
		return "", "", true, clientAuthFailed()
	}
	return id, secret, true, nil
}

// clientRequest is how every endpoint that authenticates a client begins (revocation, device
// authorization, introspection): the body parsed once, the client authenticated, its id on the
// context for the log. When ok is false the error has been written.
func (h *Handler) clientRequest(w http.ResponseWriter, r *http.Request) (context.Context, *protocol.TokenRequest, *domain.Client, bool) {
	ctx := r.Context()
	p, perr := protocol.ParseBody(r)
	if perr != nil {
		h.writeError(ctx, w, perr, false)
		return ctx, nil, nil, false
	}
	req := p.TokenRequest()
	client, basic, cerr := h.authenticateClient(ctx, r, req)
	if cerr != nil {
		h.writeError(ctx, w, cerr, basic)
		return ctx, nil, nil, false
	}
	return httpserver.WithClientID(ctx, client.ClientID), req, client, true
}
