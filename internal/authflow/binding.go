package authflow

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Browser-binding cookie names. The transaction stores only the SHA-256 of the cookie's random value,
// so a transaction id that leaks (a shared link, a Referer, a log) is useless in another browser.
const (
	TxCookieSecure   = "__Host-gh_tx"
	TxCookieInsecure = "gh_tx"
)

const bindingSecretLen = 43 // base64url of 32 random bytes

func (h *Handler) txCookieName() string {
	if h.secure {
		return TxCookieSecure
	}
	return TxCookieInsecure
}

// bindingSecret returns the browser's binding secret, or "" when it has none.
func (h *Handler) bindingSecret(r *http.Request) string {
	c, err := r.Cookie(h.txCookieName())
	if err != nil || len(c.Value) != bindingSecretLen {
		return ""
	}
	return c.Value
}

// ensureBinding returns the browser's binding secret, creating one when it has none, and (re)sets the
// cookie so that it outlives the transaction being started. One secret serves every transaction a
// browser starts, so two tabs signing in at once both work.
func (h *Handler) ensureBinding(w http.ResponseWriter, r *http.Request) string {
	secret := h.bindingSecret(r)
	if secret == "" {
		secret = domain.RandomToken(32)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     h.txCookieName(),
		Value:    secret,
		Path:     "/",
		MaxAge:   int(domain.LoginTransactionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return secret
}

// boundTo reports whether the request comes from the browser that started tx, and returns that
// browser's secret. The comparison is constant-time.
func (h *Handler) boundTo(tx *domain.LoginTransaction, r *http.Request) (string, bool) {
	secret := h.bindingSecret(r)
	if secret == "" || !domain.SecretMatches(tx.BrowserBindingHash, secret) {
		return "", false
	}
	return secret, true
}

// csrfToken is the per-transaction form token: HMAC-SHA256 keyed by the browser's binding secret over
// the transaction id. Only the browser holding the cookie can have been served it, and it differs for
// every transaction; nothing extra is stored.
func csrfToken(bindingSecret, txID string) string {
	m := hmac.New(sha256.New, []byte(bindingSecret))
	m.Write([]byte("gatehouse login form\x00"))
	m.Write([]byte(txID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfValid compares a submitted token with the expected one in constant time.
func csrfValid(bindingSecret, txID, submitted string) bool {
	want := csrfToken(bindingSecret, txID)
	return subtle.ConstantTimeCompare([]byte(want), []byte(submitted)) == 1
}
