package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Branding › Email Templates: the tenant's own version of each mail Gatehouse sends, through
// /api/v2/email-templates/{name}. A template never configured answers 404 there and is sent with
// Gatehouse's built-in text.

// emailTemplateKinds are the seven templates in Auth0's order, named and explained as its
// dashboard does.
var emailTemplateKinds = []struct{ Name, Label, About string }{
	{"verify_email", "Verification Email (using Link)", "Sent after sign-up, with a link that verifies the address."},
	{"reset_email", "Change Password (using Link)", "Sent when a user asks to reset their password, with a link to choose a new one."},
	{"welcome_email", "Welcome Email", "Sent once a user has signed up (after verifying, when verification is required)."},
	{"blocked_account", "Blocked Account Email", "Sent when brute-force protection blocks sign-in to an account, with a link to unblock it."},
	{"user_invitation", "User Invitation", "Sent to invite a user to set their password and join."},
	{"change_password", "Change Password (legacy)", "Auth0's older password change mail."},
	{"password_reset", "Password Change Confirmation", "Sent after a password has been changed."},
}

func emailTemplateKind(name string) (label, about string, ok bool) {
	for _, k := range emailTemplateKinds {
		if k.Name == name {
			return k.Label, k.About, true
		}
	}
	return "", "", false
}

// emailTemplate is a template as the API shows it.
type emailTemplate struct {
	Template             string `json:"template"`
	Body                 string `json:"body"`
	From                 string `json:"from"`
	Subject              string `json:"subject"`
	ResultURL            string `json:"resultUrl"`
	URLLifetimeInSeconds *int64 `json:"urlLifetimeInSeconds"`
	Enabled              bool   `json:"enabled"`
}

func (h *Handler) emailTemplateRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"email-templates", h.page(h.emailTemplates))
	mux.Handle("GET "+Path+"email-templates/{name}", h.page(h.emailTemplateEditor))
	mux.Handle("POST "+Path+"email-templates/{name}", h.page(h.saveEmailTemplate))
}

type emailTemplateRow struct {
	Name, Label, About, Subject string
	Configured, Enabled         bool
}

// getEmailTemplate reads one template; configured is false for the 404 of one never set.
func getEmailTemplate(r *http.Request, a *api, name string) (t emailTemplate, configured bool, err error) {
	err = a.do(r.Context(), "GET", "email-templates/"+url.PathEscape(name), nil, &t)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		return emailTemplate{}, false, nil
	}
	return t, err == nil, err
}

func (h *Handler) emailTemplates(w http.ResponseWriter, r *http.Request, v *viewer) {
	rows := make([]emailTemplateRow, 0, len(emailTemplateKinds))
	for _, k := range emailTemplateKinds {
		t, configured, err := getEmailTemplate(r, v.api, k.Name)
		if err != nil {
			h.apiFailed(w, r, v, err)
			return
		}
		rows = append(rows, emailTemplateRow{Name: k.Name, Label: k.Label, About: k.About, Subject: t.Subject, Configured: configured, Enabled: t.Enabled})
	}
	h.render(w, r, http.StatusOK, "email_templates", &layoutData{Title: "Email Templates", Nav: "email-templates", Flash: flashFor(r), Data: rows}, v)
}

// emailTemplateForm is the editor as typed.
type emailTemplateForm struct {
	Name, Label, About  string
	Configured, Enabled bool
	From, Subject, Body string
	ResultURL, Lifetime string
	CanWrite            bool
}

func (h *Handler) renderEmailTemplate(w http.ResponseWriter, r *http.Request, v *viewer, status int, f emailTemplateForm, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	f.CanWrite = v.Can("update:email_templates")
	h.render(w, r, status, "email_template", &layoutData{Title: f.Label, Nav: "email-templates", Flash: flash, Error: msg, Data: f}, v)
}

func (h *Handler) emailTemplateEditor(w http.ResponseWriter, r *http.Request, v *viewer) {
	name := r.PathValue("name")
	label, about, ok := emailTemplateKind(name)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "There is no such email template.")
		return
	}
	t, configured, err := getEmailTemplate(r, v.api, name)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	f := emailTemplateForm{Name: name, Label: label, About: about, Configured: configured, Enabled: t.Enabled || !configured,
		From: t.From, Subject: t.Subject, Body: t.Body, ResultURL: t.ResultURL}
	if t.URLLifetimeInSeconds != nil {
		f.Lifetime = strconv.FormatInt(*t.URLLifetimeInSeconds, 10)
	}
	h.renderEmailTemplate(w, r, v, http.StatusOK, f, "")
}

// saveEmailTemplate replaces the template (PUT) the first time, and updates it (PATCH) after; the
// API checks the Liquid, the sender and the subject and its message is shown as it is.
func (h *Handler) saveEmailTemplate(w http.ResponseWriter, r *http.Request, v *viewer) {
	name := r.PathValue("name")
	label, about, ok := emailTemplateKind(name)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "There is no such email template.")
		return
	}
	f := emailTemplateForm{Name: name, Label: label, About: about, Configured: r.PostFormValue("configured") == "1",
		Enabled: r.PostFormValue("enabled") == "on", From: strings.TrimSpace(r.PostFormValue("from")),
		Subject: r.PostFormValue("subject"), Body: r.PostFormValue("body"),
		ResultURL: strings.TrimSpace(r.PostFormValue("result_url")), Lifetime: strings.TrimSpace(r.PostFormValue("url_lifetime"))}
	body := map[string]any{"template": name, "syntax": "liquid", "enabled": f.Enabled, "from": f.From,
		"subject": f.Subject, "body": f.Body, "resultUrl": f.ResultURL}
	if f.Lifetime != "" {
		n, err := strconv.ParseInt(f.Lifetime, 10, 64)
		if err != nil {
			h.renderEmailTemplate(w, r, v, http.StatusBadRequest, f, "The link lifetime must be a whole number of seconds.")
			return
		}
		body["urlLifetimeInSeconds"] = n
	}
	method := "PATCH"
	if !f.Configured {
		method = "PUT"
	}
	if err := v.api.do(r.Context(), method, "email-templates/"+url.PathEscape(name), body, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderEmailTemplate(w, r, v, status, f, msg)
		}
		return
	}
	redirect(w, r, Path+"email-templates/"+url.PathEscape(name), "saved")
}
