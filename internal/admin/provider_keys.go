package admin

import (
	"net/http"
	"net/url"
)

// The Keys tab of an oidc connection: the private_key_jwt keys its client assertions are signed
// with (Auth0's connection keys), certificates only, and a rotation. Both go through the
// Management API (GET /connections/{id}/keys, POST …/keys/rotate), with its scopes.

// connectionKey is one key as GET /connections/{id}/keys shows it.
type connectionKey struct {
	KID          string `json:"kid"`
	Cert         string `json:"cert"`
	Fingerprint  string `json:"fingerprint"`
	Current      bool   `json:"current"`
	CurrentSince string `json:"current_since"`
	Next         bool   `json:"next"`
	Previous     bool   `json:"previous"`
	Algorithm    string `json:"algorithm"`
}

func (h *Handler) providerKeyRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+providersPath+"/{id}/keys", h.page(h.providerKeys))
	mux.Handle("POST "+providersPath+"/{id}/keys/rotate", h.page(h.rotateProviderKeys))
}

// loadProviderKeys is the connection's Keys tab, or false once an answer was written.
func (h *Handler) loadProviderKeys(w http.ResponseWriter, r *http.Request, v *viewer) (providerData, bool) {
	d, ok := h.loadProvider(w, r, v, "keys")
	if !ok {
		return d, false
	}
	if d.Conn.Strategy != "oidc" {
		http.Redirect(w, r, d.Base, http.StatusSeeOther)
		return d, false
	}
	var keys []connectionKey
	if err := v.api.do(r.Context(), "GET", "connections/"+url.PathEscape(d.Conn.ID)+"/keys", nil, &keys); err != nil {
		h.apiFailed(w, r, v, err)
		return d, false
	}
	d.Keys, d.CanRotate = keys, v.Can("update:connections_keys")
	return d, true
}

func (h *Handler) providerKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadProviderKeys(w, r, v); ok {
		h.renderProvider(w, r, v, http.StatusOK, d, "")
	}
}

// rotateProviderKeys publishes a new next key, or makes the published one current (the API's
// rule, upstream.RotateClientKey), and shows the keys again.
func (h *Handler) rotateProviderKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadProviderKeys(w, r, v)
	if !ok {
		return
	}
	if err := v.api.do(r.Context(), "POST", "connections/"+url.PathEscape(d.Conn.ID)+"/keys/rotate", map[string]any{}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderProvider(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/keys", "keys-rotated")
}
