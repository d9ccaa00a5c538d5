package admin

import (
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// An HS256 API's signing secret: the key its access tokens are signed and verified with, kept
// sealed at rest and shown back by the Management API (GET /api/v2/resource-servers/{id}), as Auth0
// shows it. Anyone holding it can mint tokens for the API, so the dashboard shows it only to an
// administrator who may change the API, after a fresh sign-in, on the answer to a POST (never in a
// URL); rotating it (PATCH signing_secret with a new generated one) goes through the same steps.

func (h *Handler) apiSecretRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"apis/{id}/signing-secret", h.page(h.apiSecret))
	mux.Handle("POST "+Path+"apis/{id}/signing-secret/reveal", h.page(h.revealAPISecret))
	mux.Handle("POST "+Path+"apis/{id}/signing-secret/rotate", h.page(h.rotateAPISecret))
}

// apiSecretTab is what the Signing Secret tab adds to apiTab.
type apiSecretTab struct {
	Confirm string // "reveal" or "rotate": the confirmation step
	Secret  string // shown on the answer to a reveal or a rotation only
	Rotated bool
	Allowed bool // may see and rotate it: an administrator who may update the API
}

func (h *Handler) loadAPISecretTab(w http.ResponseWriter, r *http.Request, v *viewer) (apiTab, bool) {
	d, ok := h.loadAPI(w, r, v, "secret")
	if !ok {
		return d, false
	}
	if d.API.SigningAlg != "HS256" {
		h.renderAPI(w, r, v, http.StatusNotFound, d, "This API signs with "+d.API.SigningAlg+": it has no signing secret. Only HS256 APIs do.")
		return d, false
	}
	d.Secret = apiSecretTab{Allowed: d.CanWrite}
	return d, true
}

func (h *Handler) apiSecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPISecretTab(w, r, v)
	if !ok {
		return
	}
	if c := r.URL.Query().Get("confirm"); c == "reveal" || c == "rotate" {
		d.Secret.Confirm = c
	}
	h.renderAPI(w, r, v, http.StatusOK, d, "")
}

// secretStep checks what revealing and rotating share: the permission, then a sign-in within
// reauthAfter (else the page that sends the person to sign in again and back to confirm).
func (h *Handler) secretStep(w http.ResponseWriter, r *http.Request, v *viewer, d apiTab, what, step string) bool {
	if !d.Secret.Allowed {
		h.renderAPI(w, r, v, http.StatusForbidden, d, "Your role may not see or rotate this API's signing secret.")
		return false
	}
	return h.recentSignIn(w, r, v, what+" the signing secret of "+d.API.Name, d.Base+"/signing-secret?confirm="+step)
}

func (h *Handler) revealAPISecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPISecretTab(w, r, v)
	if !ok || !h.secretStep(w, r, v, d, "see", "reveal") {
		return
	}
	var rs struct {
		SigningSecret string `json:"signing_secret"`
	}
	if err := v.api.do(r.Context(), "GET", "resource-servers/"+url.PathEscape(d.API.ID), nil, &rs); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	if rs.SigningSecret == "" {
		h.renderAPI(w, r, v, http.StatusConflict, d, "The signing secret cannot be read (was it sealed under another master key?). Rotate it to set a new one.")
		return
	}
	d.Secret.Secret = rs.SigningSecret
	h.renderAPI(w, r, v, http.StatusOK, d, "")
}

func (h *Handler) rotateAPISecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPISecretTab(w, r, v)
	if !ok || !h.secretStep(w, r, v, d, "rotate", "rotate") {
		return
	}
	secret := domain.NewSigningSecret()
	if err := v.api.do(r.Context(), "PATCH", "resource-servers/"+url.PathEscape(d.API.ID), map[string]any{"signing_secret": secret}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderAPI(w, r, v, status, d, msg)
		}
		return
	}
	d.Secret.Secret, d.Secret.Rotated = secret, true
	h.renderAPI(w, r, v, http.StatusOK, d, "")
}
