package authflow

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// "Remember this browser": a random value in a cookie, its SHA-256 stored with the user and an
// expiry, so that the Management API's invalidate-remember-browser forgets every browser of a user
// at once (a signed cookie could not be taken back before it expires).
const (
	RememberCookieSecure   = "__Host-gh_mfa_rb"
	RememberCookieInsecure = "gh_mfa_rb"
	// RememberBrowserFor is how long a remembered browser skips the second factor (Auth0's 30 days).
	RememberBrowserFor = 30 * 24 * time.Hour
)

func (h *Handler) rememberCookieName() string {
	if h.secure {
		return RememberCookieSecure
	}
	return RememberCookieInsecure
}

// browserRemembered reports whether this browser's cookie is a live remembered browser of userID.
func (h *Handler) browserRemembered(r *http.Request, userID string) (bool, error) {
	c, err := r.Cookie(h.rememberCookieName())
	if err != nil || len(c.Value) != bindingSecretLen {
		return false, nil
	}
	ok, err := h.store.BrowserRemembered(r.Context(), domain.HashSecret(c.Value), userID, h.now().UTC())
	if err != nil {
		return false, fmt.Errorf("mfa: remembered browser: %w", err)
	}
	return ok, nil
}

// rememberIfAsked remembers the browser when the user ticked the box and the requirement allows it.
func (h *Handler) rememberIfAsked(w http.ResponseWriter, r *http.Request, s *mfaState) bool {
	if !s.tx.MFARemember || r.PostForm.Get("remember") != "1" {
		return true
	}
	value := domain.RandomToken(32)
	if err := h.store.RememberBrowser(r.Context(), domain.HashSecret(value), s.user.UserID, h.now().UTC().Add(RememberBrowserFor)); err != nil {
		h.internalError(w, r, fmt.Errorf("mfa: remember browser: %w", err))
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: h.rememberCookieName(), Value: value, Path: "/", MaxAge: int(RememberBrowserFor.Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
	return true
}
