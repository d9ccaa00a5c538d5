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
// its scope grants. A DPoP-bound token is accepted only as `Authorization: DPoP` with a proof by
// its key for this request (RFC 9449 §7).
func (h *Handler) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, scheme, ok := accessToken(r)
	if !ok {
		protocol.WriteBearerError(w, h.issuer, protocol.InvalidToken("Missing access token"), false)
		return
	}
	fail := func(e *protocol.Error) {
		if scheme == "DPoP" {
			h.writeDPoPChallenge(w, e)
			return
		}
		protocol.WriteBearerError(w, h.issuer, e, true)
	}
	claims, err := h.tokens.VerifyUserinfo(ctx, raw)
	if err != nil {
		desc := "Invalid token"
		if errors.Is(err, token.ErrInvalidToken) {
			desc = strings.TrimPrefix(err.Error(), token.ErrInvalidToken.Error()+": ")
		}
		fail(protocol.InvalidToken(desc))
		return
	}
	switch jkt := claims.BoundKey(); {
	case jkt == "" && scheme == "DPoP":
		fail(protocol.InvalidToken("The access token is not DPoP-bound; use the Bearer scheme"))
		return
	case jkt != "" && scheme != "DPoP":
		// RFC 9449 §7.2: a bound token presented as a bearer token is refused.
		h.writeDPoPChallenge(w, protocol.InvalidToken("The access token is DPoP-bound; use the DPoP scheme with a proof"))
		return
	case jkt != "":
		proof, perr := h.checkDPoP(r, raw)
		if perr == nil && proof == nil {
			perr = invalidProof("A DPoP proof is required")
		}
		if perr != nil {
			h.setDPoPNonce(w)
			perr.Status = http.StatusUnauthorized
			h.writeDPoPChallenge(w, perr)
			return
		}
		if proof.JKT != jkt {
			h.writeDPoPChallenge(w, invalidProof("The DPoP proof is not by the key the access token is bound to"))
			return
		}
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

// accessToken reads an Authorization header of the Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1)
// scheme; scheme is "Bearer" or "DPoP".
func accessToken(r *http.Request) (tok, scheme string, ok bool) {
	s, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return "", "", false
	}
	switch {
	case strings.EqualFold(s, "Bearer"):
		return tok, "Bearer", true
	case strings.EqualFold(s, "DPoP"):
		return tok, "DPoP", true
	}
	return "", "", false
}

// writeDPoPChallenge answers 401 with a DPoP challenge naming the error and the accepted algorithms
// (RFC 9449 §7.1); a resource server's nonce request is such a 401 too, error="use_dpop_nonce" (§9).
func (h *Handler) writeDPoPChallenge(w http.ResponseWriter, e *protocol.Error) {
	e.Status = http.StatusUnauthorized
	w.Header().Set("WWW-Authenticate", `DPoP realm="`+h.issuer+`", error="`+e.Code+`", error_description="`+
		strings.ReplaceAll(e.Description, `"`, `'`)+`", algs="`+strings.Join(DPoPAlgs, " ")+`"`)
	protocol.WriteJSON(w, e)
}
