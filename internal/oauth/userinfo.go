package oauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// serveUserinfo is GET|POST /userinfo (OpenID Connect Core §5.3, spec §1.4): a Bearer access token
// whose aud includes ISSUER+"userinfo", or an opaque userinfo-only token, answered with the claims
// its scope grants.
func (h *Handler) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, ok := bearerToken(r)
	if !ok {
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken("Missing access token"), false)
		return
	}
	claims, err := h.tokens.VerifyUserinfo(ctx, raw)
	if err != nil {
		desc := "Invalid token"
		if errors.Is(err, token.ErrInvalidToken) {
			desc = strings.TrimPrefix(err.Error(), token.ErrInvalidToken.Error()+": ")
		}
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken(desc), true)
		return
	}
	revoked, err := false, error(nil)
	if claims.ID != "" {
		// An authorization code presented twice revokes the access token its first use issued.
		revoked, err = h.store.AccessTokenRevoked(ctx, claims.ID, h.now())
	}
	if err == nil && !revoked && claims.Opaque {
		// An opaque token revoked at /oauth/revoke is remembered by its hash.
		revoked, err = h.store.OpaqueTokenRevoked(ctx, domain.HashSecret(raw))
	}
	if err != nil {
		h.log.ErrorContext(ctx, "userinfo: revocation list", "err", err)
		protocol.WriteJSON(w, protocol.ServerError(err))
		return
	}
	if revoked {
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken("The access token has been revoked"), true)
		return
	}
	if c, err := h.config.Client(ctx, claims.Client()); err == nil {
		h.allowOrigin(w, r, c)
	}
	user, err := h.store.GetUser(ctx, claims.Subject)
	if errors.Is(err, store.ErrNotFound) {
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken("Unknown user"), true)
		return
	}
	if err != nil {
		h.log.ErrorContext(ctx, "userinfo: read user", "err", err)
		protocol.WriteJSON(w, protocol.ServerError(err))
		return
	}
	if user.Blocked {
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken("user is blocked"), true)
		return
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, token.UserClaims(user, claims.Scope, nil))
}

// bearerToken reads an RFC 6750 §2.1 Authorization header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}
