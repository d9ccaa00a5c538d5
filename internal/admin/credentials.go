package admin

import (
	"net/http"
	"net/url"
	"strings"
)

func (h *Handler) credentialRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"applications/{id}/credentials", h.page(h.credentials))
	mux.Handle("POST "+Path+"applications/{id}/rotate-secret", h.page(h.rotateSecret))
	mux.Handle("GET "+Path+"applications/{id}/quickstart", h.page(h.quickstart))
	mux.Handle("GET "+Path+"applications/{id}/delete", h.page(h.confirmDeleteApplication))
	mux.Handle("POST "+Path+"applications/{id}/delete", h.page(h.deleteApplication))
}

// appTab is what the Credentials and Quickstart tabs read.
type appTab struct {
	App        client
	TypeLabel  string
	Domain     string
	ActionPath string // /admin/applications/{id}
	Confirm    bool   // the rotate confirmation step
	NewSecret  string // the rotated secret, shown once on the answer to the rotation
	EnvBlock   string
	Public     bool // token_endpoint_auth_method none: no secret
	CanRotate  bool
	CanDelete  bool
}

func (h *Handler) appTab(c client, v *viewer) appTab {
	return appTab{App: c, TypeLabel: appTypeLabel(c.AppType), Domain: h.domain(),
		ActionPath: Path + "applications/" + url.PathEscape(c.ClientID),
		Public:     c.TokenEndpointAuthMethod == "none",
		CanRotate:  v.Can("update:client_keys"), CanDelete: v.Can("delete:clients")}
}

// domain is the issuer's host, the AUTH0_DOMAIN of Auth0's quickstarts.
func (h *Handler) domain() string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(h.opts.Issuer, "https://"), "http://"), "/")
}

// credentials is the Credentials tab: how the app authenticates, and its secret's rotation. A
// secret is stored hashed, so it cannot be shown again; rotating issues a new one, shown once,
// after a confirmation step.
func (h *Handler) credentials(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	d := h.appTab(c, v)
	d.Confirm = r.URL.Query().Get("confirm") == "rotate"
	h.render(w, r, http.StatusOK, "credentials", &layoutData{Title: c.Name + " · Credentials", Nav: "applications", Data: d}, v)
}

func (h *Handler) rotateSecret(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	d := h.appTab(c, v)
	if !h.recentSignIn(w, r, v, "rotate the Client Secret of "+c.Name, d.ActionPath+"/credentials?confirm=rotate") {
		return
	}
	var rotated client
	if err := v.api.do(r.Context(), "POST", "clients/"+url.PathEscape(c.ClientID)+"/rotate-secret", nil, &rotated); err != nil {
		status, msg, ok := h.refusal(w, r, v, err)
		if ok {
			h.render(w, r, status, "credentials", &layoutData{Title: c.Name + " · Credentials", Nav: "applications", Error: msg, Data: d}, v)
		}
		return
	}
	// The new secret exists in clear only in this answer: shown now, never put in a URL or cookie.
	d.NewSecret = rotated.ClientSecret
	d.EnvBlock = h.envBlock(rotated)
	h.render(w, r, http.StatusOK, "credentials", &layoutData{Title: c.Name + " · Credentials", Nav: "applications",
		Flash: "The secret was rotated. The old one no longer works.", Data: d}, v)
}

// quickstart is the app's .env.local block of the seed guide's step 2, and what else to register.
func (h *Handler) quickstart(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	d := h.appTab(c, v)
	d.EnvBlock = h.envBlock(c)
	h.render(w, r, http.StatusOK, "quickstart", &layoutData{Title: c.Name + " · Quickstart", Nav: "applications", Data: d}, v)
}

func (h *Handler) confirmDeleteApplication(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "application", Name: c.Name,
		Consequence: "Users can no longer sign in to it, and its tokens stop being refreshed. Its grants go with it.",
		Action:      Path + "applications/" + url.PathEscape(c.ClientID) + "/delete", Back: Path + "applications/" + url.PathEscape(c.ClientID),
		Nav: "applications", Allowed: v.Can("delete:clients")})
}

func (h *Handler) deleteApplication(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	self := Path + "applications/" + url.PathEscape(c.ClientID)
	if !h.recentSignIn(w, r, v, "delete the application "+c.Name, self+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "clients/"+url.PathEscape(c.ClientID), nil, nil); err != nil {
		status, msg, ok := h.refusal(w, r, v, err)
		if ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "application", Name: c.Name, Action: self + "/delete", Back: self,
				Nav: "applications", Allowed: v.Can("delete:clients")})
		}
		return
	}
	redirect(w, r, Path+"applications", "deleted")
}

// deleteData is the confirmation page every deletion goes through.
type deleteData struct {
	Kind, Name, Consequence string
	Action, Back, Nav       string
	Allowed                 bool
}

func (h *Handler) renderConfirmDelete(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string, d deleteData) {
	h.render(w, r, status, "confirm_delete", &layoutData{Title: "Delete " + d.Name, Nav: d.Nav, Error: msg, Data: d}, v)
}
