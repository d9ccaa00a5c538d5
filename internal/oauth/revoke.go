package oauth

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// serveRevoke is POST /oauth/revoke (RFC 7009, spec §1.6): the client authenticates as at the token
// endpoint; revoking a refresh token revokes its family, and revoking one of its opaque userinfo
// access tokens ends it at /userinfo and introspection on every node. The answer is 200 with an empty body
// whether or not the token was known, valid, or the client's own (RFC 7009 §2.2): nothing tells a
// caller what exists.
func (h *Handler) serveRevoke(w http.ResponseWriter, r *http.Request) {
	ctx, req, client, ok := h.clientRequest(w, r)
	if !ok {
		return
	}
	h.allowOrigin(w, r, client)
	tok := req.Token
	if tok == "" {
		h.writeError(ctx, w, protocol.MissingParameter("token"), false)
		return
	}
	rt, err := h.store.GetRefreshToken(ctx, domain.HashSecret(tok))
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Not a refresh token: an opaque userinfo token of this client is revoked by hash (a JWT
		// access token cannot be: resource servers check it offline until it expires).
		if claims, verr := h.tokens.VerifyAccessToken(ctx, tok); verr == nil && claims.Opaque && claims.Client() == client.ClientID {
			if err := h.store.RevokeOpaqueToken(ctx, domain.HashSecret(tok), claims.ExpiresAt.Time); err != nil {
				h.writeError(ctx, w, protocol.ServerError(err), false)
				return
			}
		}
	case err != nil:
		h.writeError(ctx, w, protocol.ServerError(err), false)
		return
	case rt.ClientID == client.ClientID:
		if err := h.store.RevokeRefreshFamily(ctx, rt.FamilyID, h.now()); err != nil {
			h.writeError(ctx, w, protocol.ServerError(err), false)
			return
		}
	}
	protocol.NoStore(w.Header())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
