package oauth

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// PushedRequestValidator checks a pushed authorization request exactly as /authorize would check
// the same parameters (package authflow owns those rules), for the client that pushed it. The
// error is what /oauth/par answers, as JSON.
type PushedRequestValidator interface {
	ValidatePushedRequest(ctx context.Context, client *domain.Client, params map[string]string) *protocol.Error
}

// clientAuthParams are the pushed request's client authentication, not part of the authorization
// request: never stored.
var clientAuthParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// parResponse is RFC 9126 §2.2's answer.
type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// servePAR is POST /oauth/par (RFC 9126 §2): the client authenticates as at the token endpoint,
// its authorization request is validated as /authorize would, and it gets a request_uri to use
// once at /authorize within PushedRequestLifetime. Errors are JSON (RFC 9126 §2.3).
func (h *Handler) servePAR(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.allowIP(w, r) {
		return
	}
	p, perr := protocol.ParseBody(r)
	if perr != nil {
		h.writeError(ctx, w, perr, false)
		return
	}
	req := p.TokenRequest()
	client, basic, cerr := h.authenticateClient(ctx, r, req)
	if cerr != nil {
		h.writeError(ctx, w, cerr, basic)
		return
	}
	ctx = httpserver.WithClientID(ctx, client.ClientID)
	h.allowOrigin(w, r, client)
	if h.pushed == nil {
		h.writeError(ctx, w, protocol.NewError(http.StatusNotFound, "invalid_request", "Pushed authorization requests are not enabled"), false)
		return
	}
	params := map[string]string{}
	for k, v := range p {
		params[k] = v
	}
	for _, k := range clientAuthParams {
		delete(params, k)
	}
	params["client_id"] = client.ClientID
	// RFC 9449 §10.1: a proof sent with the pushed request binds the code to its key, as dpop_jkt
	// would; both at once must name the same key.
	proof, derr := h.checkDPoP(r, "")
	if derr != nil {
		h.setDPoPNonce(w)
		h.writeError(ctx, w, derr, false)
		return
	}
	if proof != nil {
		if j, ok := params["dpop_jkt"]; ok && j != proof.JKT {
			h.writeError(ctx, w, invalidProof("dpop_jkt does not match the key of the DPoP proof"), false)
			return
		}
		params["dpop_jkt"] = proof.JKT
	}
	if verr := h.pushed.ValidatePushedRequest(ctx, client, params); verr != nil {
		h.writeError(ctx, w, verr, false)
		return
	}
	now := h.now().UTC()
	uri, hash := domain.NewRequestURI()
	if err := h.store.CreatePushedRequest(ctx, &domain.PushedRequest{URIHash: hash, ClientID: client.ClientID, Params: params,
		CreatedAt: now, ExpiresAt: now.Add(domain.PushedRequestLifetime)}); err != nil {
		h.writeError(ctx, w, protocol.ServerError(err), false)
		return
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusCreated, parResponse{RequestURI: uri, ExpiresIn: int(domain.PushedRequestLifetime.Seconds())})
}
