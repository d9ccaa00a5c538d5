package admin

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
)

// Multi-factor authentication: the tenant's factors and policy (Security › Multi-factor
// authentication, over /guardian/factors and /guardian/policies) and a user's authentication
// methods (the user's MFA tab, over /users/{id}/authentication-methods and
// /users/{id}/multifactor/actions/invalidate-remember-browser). Each part is editable only with
// its own scope; the API decides, and its refusal is shown.

func (h *Handler) mfaRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"security/mfa", h.page(h.mfaSettings))
	mux.Handle("POST "+Path+"security/mfa", h.page(h.saveMFASettings))
	mux.Handle("GET "+Path+"users/{id}/mfa", h.page(h.userMFATab))
	mux.Handle("POST "+Path+"users/{id}/mfa/delete", h.page(h.deleteUserMethod))
	mux.Handle("POST "+Path+"users/{id}/mfa/delete-all", h.page(h.deleteUserMethods))
	mux.Handle("POST "+Path+"users/{id}/mfa/forget-browsers", h.page(h.forgetBrowsers))
}

// guardianFactor is one of /guardian/factors.
type guardianFactor struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// mfaFactorRow is a factor as the settings page shows it.
type mfaFactorRow struct {
	Name, Label, Hint string
	Enabled           bool
	Supported         bool
}

var factorLabels = map[string][2]string{
	"otp":               {"One-time password", "An authenticator app (Google Authenticator, 1Password, Authy…)."},
	"email":             {"Email", "A code mailed to the user's verified address."},
	"webauthn-roaming":  {"Security keys", "A USB, NFC or Bluetooth key (WebAuthn)."},
	"webauthn-platform": {"Device biometrics", "The device's fingerprint, face or screen lock (WebAuthn)."},
	"recovery-code":     {"Recovery code", "A one-time code that stands in for a lost factor."},
	"sms":               {"Phone message", "Not available on this server."},
	"push-notification": {"Push notification", "Not available on this server."},
	"duo":               {"Duo Security", "Not available on this server."},
}

// supportedFactors are those the API lets be turned on.
var supportedFactors = []string{"otp", "email", "webauthn-roaming", "webauthn-platform", "recovery-code"}

type mfaSettingsData struct {
	Factors   []mfaFactorRow
	Policy    string // "never", "all-applications" or "confidence-score"
	CanFactor bool   // update:guardian_factors
	CanPolicy bool   // update:mfa_policies
}

func (h *Handler) loadMFASettings(w http.ResponseWriter, r *http.Request, v *viewer) (mfaSettingsData, bool) {
	var factors []guardianFactor
	var policies []string
	ctx := r.Context()
	if err := v.api.do(ctx, "GET", "guardian/factors", nil, &factors); err != nil {
		h.apiFailed(w, r, v, err)
		return mfaSettingsData{}, false
	}
	if err := v.api.do(ctx, "GET", "guardian/policies", nil, &policies); err != nil {
		h.apiFailed(w, r, v, err)
		return mfaSettingsData{}, false
	}
	d := mfaSettingsData{Policy: "never", CanFactor: v.Can("update:guardian_factors"), CanPolicy: v.Can("update:mfa_policies")}
	if len(policies) > 0 {
		d.Policy = policies[0]
	}
	for _, f := range factors {
		l := factorLabels[f.Name]
		d.Factors = append(d.Factors, mfaFactorRow{Name: f.Name, Label: l[0], Hint: l[1], Enabled: f.Enabled, Supported: slices.Contains(supportedFactors, f.Name)})
	}
	return d, true
}

func (h *Handler) mfaSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadMFASettings(w, r, v); ok {
		h.render(w, r, http.StatusOK, "security_mfa", &layoutData{Title: "Multi-factor authentication", Nav: "security", Flash: flashFor(r), Data: d}, v)
	}
}

// saveMFASettings sends only what changed: a factor turned on or off (PUT /guardian/factors/{name})
// and the policy (PUT /guardian/policies), so a person allowed one of the two can save it alone.
func (h *Handler) saveMFASettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadMFASettings(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	fail := func(err error) {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		if d2, ok := h.loadMFASettings(w, r, v); ok {
			h.render(w, r, ae.StatusCode, "security_mfa", &layoutData{Title: "Multi-factor authentication", Nav: "security", Error: ae.Message, Data: d2}, v)
		}
	}
	for _, f := range d.Factors {
		want := r.PostForm.Get("factor_"+f.Name) == "on"
		if want == f.Enabled {
			continue
		}
		if err := v.api.do(ctx, "PUT", "guardian/factors/"+url.PathEscape(f.Name), map[string]bool{"enabled": want}, nil); err != nil {
			fail(err)
			return
		}
	}
	if p := r.PostForm.Get("policy"); p != "" && p != d.Policy {
		body := []string{}
		if p != "never" {
			body = []string{p}
		}
		if err := v.api.do(ctx, "PUT", "guardian/policies", body, nil); err != nil {
			fail(err)
			return
		}
	}
	redirect(w, r, Path+"security/mfa", "saved")
}

// authMethod is one of /users/{id}/authentication-methods.
type authMethod struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Confirmed  bool   `json:"confirmed"`
	CreatedAt  string `json:"created_at"`
	LastAuthAt string `json:"last_auth_at"`
}

// Label names the method's type for people.
func (m authMethod) Label() string {
	switch m.Type {
	case "totp":
		return "Authenticator app"
	case "email":
		return "Email"
	case "recovery-code":
		return "Recovery code"
	case "webauthn-roaming":
		return "Security key"
	case "webauthn-platform":
		return "Device biometrics"
	case "passkey":
		return "Passkey"
	}
	return m.Type
}

// Created and LastUsed are the dates shown.
func (m authMethod) Created() string  { return dateOf(m.CreatedAt) }
func (m authMethod) LastUsed() string { return dateOf(m.LastAuthAt) }

func dateOf(iso string) string {
	if len(iso) >= 10 {
		return iso[:10]
	}
	return iso
}

func (h *Handler) userMFATab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "mfa")
	if !ok {
		return
	}
	if err := v.api.do(r.Context(), "GET", "users/"+url.PathEscape(d.User.UserID)+"/authentication-methods", nil, &d.Methods); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	h.renderUser(w, r, v, http.StatusOK, d, "")
}

// userMFAChange sends one change of the MFA tab and goes back to it, or shows the API's refusal.
func (h *Handler) userMFAChange(w http.ResponseWriter, r *http.Request, v *viewer, method, path, flash string) {
	d, ok := h.loadUser(w, r, v, "mfa")
	if !ok {
		return
	}
	base := "users/" + url.PathEscape(d.User.UserID)
	if err := v.api.do(r.Context(), method, base+path, nil, nil); err != nil {
		status, msg, ok := h.refusal(w, r, v, err)
		if !ok {
			return
		}
		_ = v.api.do(r.Context(), "GET", base+"/authentication-methods", nil, &d.Methods)
		h.renderUser(w, r, v, status, d, msg)
		return
	}
	redirect(w, r, d.Base+"/mfa", flash)
}

func (h *Handler) deleteUserMethod(w http.ResponseWriter, r *http.Request, v *viewer) {
	id := r.PostFormValue("method_id")
	if id == "" {
		h.fail(w, r, http.StatusBadRequest, "No authentication method was named.")
		return
	}
	h.userMFAChange(w, r, v, "DELETE", "/authentication-methods/"+url.PathEscape(id), "method-deleted")
}

func (h *Handler) deleteUserMethods(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.userMFAChange(w, r, v, "DELETE", "/authentication-methods", "methods-deleted")
}

func (h *Handler) forgetBrowsers(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.userMFAChange(w, r, v, "POST", "/multifactor/actions/invalidate-remember-browser", "browsers-forgotten")
}
