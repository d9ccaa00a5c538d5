package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// settingsTab is one tab of the Settings pages.
type settingsTab struct{ Slug, Label, Href string }

var settingsTabs = []settingsTab{
	{"general", "General", Path + "settings"},
	{"branding", "Branding", Path + "settings/branding"},
	{"email", "Email provider", Path + "settings/email"},
	{"keys", "Signing keys", Path + "settings/keys"},
}

func (h *Handler) settingsRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"settings", h.page(h.generalSettings))
	mux.Handle("POST "+Path+"settings", h.page(h.saveGeneralSettings))
	mux.Handle("GET "+Path+"settings/email", h.page(h.emailProvider))
	mux.Handle("POST "+Path+"settings/email", h.page(h.saveEmailProvider))
	mux.Handle("GET "+Path+"settings/keys", h.page(h.signingKeys))
	mux.Handle("GET "+Path+"settings/keys/rotate", h.page(h.confirmRotateKeys))
	mux.Handle("POST "+Path+"settings/keys/rotate", h.page(h.rotateKeys))
	mux.Handle("GET "+Path+"settings/keys/{kid}/revoke", h.page(h.confirmRevokeKey))
	mux.Handle("POST "+Path+"settings/keys/{kid}/revoke", h.page(h.revokeKey))
	h.brandingRoutes(mux)
}

// settingsPage is what every Settings tab's template reads besides its own form.
type settingsPage struct {
	Tab      string
	Tabs     []settingsTab
	CanWrite bool
	Form     any
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, v *viewer, status int, page, tab, flash, problem string, canWrite bool, form any) {
	title := "Settings"
	for _, t := range settingsTabs {
		if t.Slug == tab {
			title = "Settings · " + t.Label
		}
	}
	h.render(w, r, status, page, &layoutData{Title: title, Nav: "settings", Flash: flash, Error: problem,
		Data: settingsPage{Tab: tab, Tabs: settingsTabs, CanWrite: canWrite, Form: form}}, v)
}

// changeRefused is the API's own message for a refused change, or "" with the error page written for
// anything else (the API unreachable).
func (h *Handler) changeRefused(w http.ResponseWriter, r *http.Request, v *viewer, err error) (int, string, bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode, ae.Message, true
	}
	h.apiFailed(w, r, v, err)
	return 0, "", false
}

type generalForm struct {
	FriendlyName, SupportEmail, SupportURL, PictureURL string
}

func (h *Handler) generalSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	var s struct {
		FriendlyName string `json:"friendly_name"`
		SupportEmail string `json:"support_email"`
		PictureURL   string `json:"picture_url"`
	}
	if err := v.api.do(r.Context(), "GET", "tenants/settings", nil, &s); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("saved") == "1" {
		flash = "Settings saved."
	}
	h.renderSettings(w, r, v, http.StatusOK, "settings", "general", flash, "", v.Can("update:tenant_settings"),
		generalForm{FriendlyName: s.FriendlyName, SupportEmail: s.SupportEmail, PictureURL: s.PictureURL})
}

func (h *Handler) saveGeneralSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := generalForm{FriendlyName: strings.TrimSpace(r.PostFormValue("friendly_name")),
		SupportEmail: strings.TrimSpace(r.PostFormValue("support_email")), PictureURL: strings.TrimSpace(r.PostFormValue("picture_url"))}
	err := v.api.do(r.Context(), "PATCH", "tenants/settings", map[string]any{
		"friendly_name": f.FriendlyName, "support_email": f.SupportEmail, "picture_url": f.PictureURL}, nil)
	if err == nil {
		http.Redirect(w, r, Path+"settings?saved=1", http.StatusSeeOther)
		return
	}
	if status, msg, ok := h.changeRefused(w, r, v, err); ok {
		h.renderSettings(w, r, v, status, "settings", "general", "", msg, v.Can("update:tenant_settings"), f)
	}
}

// emailForm is the email provider as typed; the SMTP password is never part of it: the API does
// not return it, and a blank field keeps the stored one.
type emailForm struct {
	Exists             bool
	Enabled            bool
	DefaultFromAddress string
	Host, Port, User   string
	HasPassword        bool
}

func (h *Handler) emailProvider(w http.ResponseWriter, r *http.Request, v *viewer) {
	var p struct {
		Enabled            bool   `json:"enabled"`
		DefaultFromAddress string `json:"default_from_address"`
		Credentials        struct {
			SMTPHost string `json:"smtp_host"`
			SMTPPort int    `json:"smtp_port"`
			SMTPUser string `json:"smtp_user"`
		} `json:"credentials"`
	}
	f := emailForm{Enabled: true, Port: "587"}
	err := v.api.do(r.Context(), "GET", "emails/provider", nil, &p)
	var ae *APIError
	switch {
	case err == nil:
		f = emailForm{Exists: true, Enabled: p.Enabled, DefaultFromAddress: p.DefaultFromAddress, Host: p.Credentials.SMTPHost,
			Port: strconv.Itoa(p.Credentials.SMTPPort), User: p.Credentials.SMTPUser, HasPassword: p.Credentials.SMTPUser != ""}
	case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
		// None configured yet: the form creates it.
	default:
		h.apiFailed(w, r, v, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("saved") == "1" {
		flash = "Email provider saved."
	}
	h.renderSettings(w, r, v, http.StatusOK, "settings_email", "email", flash, "", v.Can("update:email_provider"), f)
}

func (h *Handler) saveEmailProvider(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := emailForm{Exists: r.PostFormValue("exists") == "1", Enabled: r.PostFormValue("enabled") == "on",
		DefaultFromAddress: strings.TrimSpace(r.PostFormValue("default_from_address")),
		Host:               strings.TrimSpace(r.PostFormValue("smtp_host")), Port: strings.TrimSpace(r.PostFormValue("smtp_port")),
		User: strings.TrimSpace(r.PostFormValue("smtp_user"))}
	f.HasPassword = f.Exists && f.User != ""
	render := func(status int, msg string) {
		h.renderSettings(w, r, v, status, "settings_email", "email", "", msg, v.Can("update:email_provider"), f)
	}
	port, err := strconv.Atoi(f.Port)
	if err != nil {
		render(http.StatusBadRequest, "The SMTP port must be a number, such as 587.")
		return
	}
	creds := map[string]any{"smtp_host": f.Host, "smtp_port": port, "smtp_user": f.User}
	if pass := r.PostFormValue("smtp_pass"); pass != "" {
		creds["smtp_pass"] = pass
	}
	body := map[string]any{"name": "smtp", "enabled": f.Enabled, "default_from_address": f.DefaultFromAddress, "credentials": creds}
	method := "PATCH"
	if !f.Exists {
		method = "POST"
	}
	if err := v.api.do(r.Context(), method, "emails/provider", body, nil); err != nil {
		if status, msg, ok := h.changeRefused(w, r, v, err); ok {
			render(status, msg)
		}
		return
	}
	http.Redirect(w, r, Path+"settings/email?saved=1", http.StatusSeeOther)
}

// signingKey is a signing key as GET /keys/signing shows it (never private material).
type signingKey struct {
	KID          string `json:"kid"`
	Fingerprint  string `json:"fingerprint"`
	Current      bool   `json:"current"`
	Next         bool   `json:"next"`
	Previous     bool   `json:"previous"`
	Revoked      bool   `json:"revoked"`
	CurrentSince string `json:"current_since"`
	CurrentUntil string `json:"current_until"`
	RevokedAt    string `json:"revoked_at"`
}

// State names where the key is in its life.
func (k signingKey) State() string {
	switch {
	case k.Current:
		return "Current"
	case k.Next:
		return "Next"
	case k.Revoked:
		return "Revoked"
	case k.Previous:
		return "Previous"
	}
	return "—"
}

type keysForm struct {
	Keys      []signingKey
	CanRotate bool
	CanRevoke bool
}

func (h *Handler) signingKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	var keys []signingKey
	if err := v.api.do(r.Context(), "GET", "keys/signing", nil, &keys); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	flash := ""
	switch {
	case r.URL.Query().Get("rotated") == "1":
		flash = "Keys rotated: the next key now signs, and the previous one still verifies tokens it signed until you revoke it."
	case r.URL.Query().Get("revoked") != "":
		flash = "Key revoked: tokens it signed are no longer accepted."
	}
	h.renderSettings(w, r, v, http.StatusOK, "settings_keys", "keys", flash, "", false,
		keysForm{Keys: keys, CanRotate: v.Can("create:signing_keys") && v.Can("update:signing_keys"), CanRevoke: v.Can("update:signing_keys")})
}

// keyConfirm is the confirmation step before rotating or revoking: what will happen, in words.
type keyConfirm struct {
	Heading, Body, Action, Button string
}

func (h *Handler) confirmRotateKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "settings_confirm", &layoutData{Title: "Rotate signing keys", Nav: "settings", Data: keyConfirm{
		Heading: "Rotate the signing keys?",
		Body: "The next key becomes current and signs every new token; the current key becomes previous and keeps verifying " +
			"the tokens it signed. Applications that cache the JWKS pick the new key up from /.well-known/jwks.json.",
		Action: Path + "settings/keys/rotate", Button: "Rotate keys"}}, v)
}

func (h *Handler) rotateKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, Path+"settings/keys/rotate", http.StatusSeeOther)
		return
	}
	if err := v.api.do(r.Context(), "POST", "keys/signing/rotate", nil, nil); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, Path+"settings/keys?rotated=1", http.StatusSeeOther)
}

func (h *Handler) confirmRevokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	kid := r.PathValue("kid")
	var k signingKey
	if err := v.api.do(r.Context(), "GET", "keys/signing/"+url.PathEscape(kid), nil, &k); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "settings_confirm", &layoutData{Title: "Revoke a signing key", Nav: "settings", Data: keyConfirm{
		Heading: "Revoke key " + k.KID + "?",
		Body: "Tokens this key signed stop being accepted at once: users and applications holding them must sign in or " +
			"request a token again. Revoke a previous key once its tokens have expired, or at once if it may have leaked.",
		Action: Path + "settings/keys/" + url.PathEscape(k.KID) + "/revoke", Button: "Revoke key"}}, v)
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	kid := r.PathValue("kid")
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, Path+"settings/keys/"+url.PathEscape(kid)+"/revoke", http.StatusSeeOther)
		return
	}
	if err := v.api.do(r.Context(), "PUT", "keys/signing/"+url.PathEscape(kid)+"/revoke", nil, nil); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, Path+"settings/keys?revoked=1", http.StatusSeeOther)
}
