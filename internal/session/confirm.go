package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/web"
)

// OIDCLogoutPath is where the logout confirmation form posts back to.
const OIDCLogoutPath = "/oidc/logout"

// MsgLogoutFormExpired is shown when the confirmation's CSRF token is missing or wrong.
const MsgLogoutFormExpired = "Your form has expired or was not sent from this page. Please try again."

// logoutCSRF is the confirmation form's token: HMAC-SHA256 keyed by the session cookie's secret over
// the session id. Only the browser holding that cookie can have been served it, it dies with the
// session, and nothing extra is stored. The label keeps it distinct from any other MAC under the
// same key.
func (m *Manager) logoutCSRF(r *http.Request, s *domain.Session) string {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(c.Value))
	mac.Write([]byte("gatehouse logout confirmation\x00"))
	mac.Write([]byte(s.ID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// logoutCSRFValid compares a submitted token with the expected one in constant time.
func (m *Manager) logoutCSRFValid(r *http.Request, s *domain.Session, submitted string) bool {
	want := m.logoutCSRF(r, s)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(submitted)) == 1
}

// confirmed decides a logout request that names no client: with neither id_token_hint nor
// client_id nothing vouches that the user asked to log out, so the OP asks (RP-Initiated Logout 1.0
// §3; Auth0 shows the same prompt). It reports true when the session may end now — the user
// submitted the confirmation form with a valid token, or there is no session to end — and otherwise
// answers the request itself with the confirmation page.
func (h *LogoutHandler) confirmed(w http.ResponseWriter, r *http.Request, q protocol.Params) bool {
	ctx := r.Context()
	s, err := h.o.Sessions.Current(ctx, r)
	if err != nil {
		h.internal(w, r, err)
		return false
	}
	if s == nil {
		return true
	}
	submitted, isSubmission := q["csrf"]
	isSubmission = isSubmission && r.Method == http.MethodPost
	if isSubmission && h.o.Sessions.logoutCSRFValid(r, s, submitted) {
		return true
	}
	data := web.LogoutConfirmData{Base: h.base(ctx), Action: OIDCLogoutPath, CSRF: h.o.Sessions.logoutCSRF(r, s)}
	for _, name := range []string{"post_logout_redirect_uri", "state", "ui_locales"} {
		if v := q[name]; v != "" {
			data.Fields = append(data.Fields, web.FormField{Name: name, Value: v})
		}
	}
	status := http.StatusOK
	if isSubmission {
		h.logger.InfoContext(ctx, "logout confirmation refused: CSRF token missing or wrong")
		data.Error, status = MsgLogoutFormExpired, http.StatusForbidden
	}
	if target := q["post_logout_redirect_uri"]; target != "" {
		httpserver.SetFormPageCSP(w, target) // the confirmed POST redirects there
	}
	h.render(w, status, web.PageLogoutConfirm, data)
	return false
}
