package oauth

import (
	"errors"
	"net/http"
	"strings"

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
		h.userinfoError(w, "", "Missing access token")
		return
	}
	claims, err := h.tokens.VerifyUserinfo(ctx, raw)
	if err != nil {
		desc := "Invalid token"
		if errors.Is(err, token.ErrInvalidToken) {
			desc = strings.TrimPrefix(err.Error(), token.ErrInvalidToken.Error()+": ")
		}
		h.userinfoError(w, "invalid_token", desc)
		return
	}
	if c, err := h.config.Client(ctx, claims.Client()); err == nil {
		h.allowOrigin(w, r, c)
	}
	user, err := h.store.GetUser(ctx, claims.Subject)
	if errors.Is(err, store.ErrNotFound) {
		h.userinfoError(w, "invalid_token", "Unknown user")
		return
	}
	if err != nil {
		h.log.ErrorContext(ctx, "userinfo: read user", "err", err)
		writeNoStore(w)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "Internal error"})
		return
	}
	if user.Blocked {
		h.userinfoError(w, "invalid_token", "user is blocked")
		return
	}
	writeNoStore(w)
	writeJSON(w, http.StatusOK, token.UserClaims(user, claims.Scope, nil))
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

// userinfoError answers 401 with an RFC 6750 §3 challenge (no error code when no token was sent)
// and the JSON body Auth0 SDKs display.
func (h *Handler) userinfoError(w http.ResponseWriter, code, desc string) {
	challenge := `Bearer realm="` + h.issuer + `"`
	body := map[string]string{"error": "invalid_token", "error_description": desc}
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + strings.ReplaceAll(desc, `"`, `'`) + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeNoStore(w)
	writeJSON(w, http.StatusUnauthorized, body)
}
