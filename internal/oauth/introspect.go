package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// introspection is the RFC 7662 §2.2 answer. An inactive token is {"active":false} and nothing else,
// whatever made it so (unknown, expired, revoked, or not the asker's to see).
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	// Cnf is a DPoP-bound token's key thumbprint (RFC 9449 §6.2); TokenType is then DPoP.
	Cnf *token.Confirmation `json:"cnf,omitempty"`
}

var inactive = introspection{}

// serveIntrospect is POST /oauth/introspect (RFC 7662) for resource servers that prefer asking to
// validating JWTs, and the only way to check an opaque userinfo token or a refresh token. The asker
// authenticates as a confidential client (§2.1) and sees a token only when it concerns it (§4): a
// token issued to it, or an access token for an API it holds a client grant on (a resource server
// asks with its own machine client). Refresh tokens are shown to their own client alone.
func (h *Handler) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx, req, client, ok := h.clientRequest(w, r)
	if !ok {
		return
	}
	if !client.IsConfidential() {
		// §2.1: the endpoint must not become a token-scanning oracle for anyone holding a client id.
		h.writeError(ctx, w, protocol.NewError(http.StatusUnauthorized, "invalid_client", "Token introspection requires client authentication."), false)
		return
	}
	if req.Token == "" {
		h.writeError(ctx, w, protocol.MissingParameter("token"), false)
		return
	}
	var (
		ans introspection
		err error
	)
	// token_type_hint (§2.1) only orders the lookups; both kinds are tried.
	if req.TokenTypeHint == "refresh_token" {
		if ans, err = h.introspectRefresh(ctx, client, req.Token); err == nil && !ans.Active {
			ans, err = h.introspectAccess(ctx, client, req.Token)
		}
	} else if ans, err = h.introspectAccess(ctx, client, req.Token); err == nil && !ans.Active {
		ans, err = h.introspectRefresh(ctx, client, req.Token)
	}
	if err != nil {
		h.writeError(ctx, w, protocol.ServerError(err), false)
		return
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, ans)
}

// introspectAccess answers for an access token: signed or sealed by this issuer, unexpired, for a
// known API or /userinfo (an ID token is not an access token), its user still existing and not
// blocked, and the asker concerned.
func (h *Handler) introspectAccess(ctx context.Context, asker *domain.Client, raw string) (introspection, error) {
	claims, err := h.tokens.VerifyAccessToken(ctx, raw)
	if err != nil {
		return inactive, nil
	}
	concerned := claims.Client() == asker.ClientID
	isAccess := false
	for _, aud := range claims.Audience {
		if aud == h.tokens.UserinfoAudience() {
			isAccess = true
			continue
		}
		api, err := h.config.ResourceServer(ctx, aud)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return inactive, err
		}
		isAccess = true
		if !concerned {
			switch _, err := h.config.ClientGrant(ctx, asker.ClientID, api.Identifier); {
			case err == nil:
				concerned = true
			case !errors.Is(err, store.ErrNotFound):
				return inactive, err
			}
		}
	}
	if !isAccess || !concerned {
		return inactive, nil
	}
	if claims.Opaque {
		if revoked, err := h.store.OpaqueTokenRevoked(ctx, domain.HashSecret(raw)); err != nil || revoked {
			return inactive, err
		}
	}
	if !strings.HasSuffix(claims.Subject, "@clients") {
		if ok, err := h.userActive(ctx, claims.Subject); err != nil || !ok {
			return inactive, err
		}
	}
	ans := introspection{Active: true, Scope: claims.Scope, ClientID: claims.Client(), TokenType: "Bearer",
		Sub: claims.Subject, Aud: claims.Audience, Iss: claims.Issuer, Jti: claims.ID, Cnf: claims.Cnf}
	if claims.Cnf != nil {
		ans.TokenType = "DPoP"
	}
	if claims.ExpiresAt != nil {
		ans.Exp = claims.ExpiresAt.Unix()
	}
	if claims.IssuedAt != nil {
		ans.Iat = claims.IssuedAt.Unix()
	}
	return ans, nil
}

// introspectRefresh answers for a refresh token of the asker: live (not revoked, rotated or expired)
// and its user active.
func (h *Handler) introspectRefresh(ctx context.Context, asker *domain.Client, raw string) (introspection, error) {
	rt, err := h.store.GetRefreshToken(ctx, domain.HashSecret(raw))
	if errors.Is(err, store.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return inactive, err
	}
	if rt.ClientID != asker.ClientID || rt.RevokedAt != nil || rt.RotatedAt != nil || rt.Expired(h.now()) {
		return inactive, nil
	}
	if ok, err := h.userActive(ctx, rt.UserID); err != nil || !ok {
		return inactive, err
	}
	ans := introspection{Active: true, Scope: rt.Scope, ClientID: rt.ClientID, Sub: rt.UserID, Iss: h.issuer,
		Iat: rt.CreatedAt.Unix()}
	if rt.Audience != "" {
		ans.Aud = []string{rt.Audience}
	}
	if rt.ExpiresAt != nil {
		ans.Exp = rt.ExpiresAt.Unix()
	}
	return ans, nil
}

// userActive reports whether the user a token speaks for still exists and is not blocked.
func (h *Handler) userActive(ctx context.Context, userID string) (bool, error) {
	u, err := h.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !u.Blocked, nil
}
