package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// resourceServer is an API as the Management API shows it.
type resourceServer struct {
	ID                  string  `json:"id"`
	Name                string  `json:"name"`
	Identifier          string  `json:"identifier"`
	IsSystem            bool    `json:"is_system"`
	Scopes              []scope `json:"scopes"`
	SigningAlg          string  `json:"signing_alg"`
	EnforcePolicies     bool    `json:"enforce_policies"`
	TokenDialect        string  `json:"token_dialect"`
	TokenLifetime       int     `json:"token_lifetime"`
	TokenLifetimeForWeb int     `json:"token_lifetime_for_web"`
	AllowOfflineAccess  bool    `json:"allow_offline_access"`
	SkipConsent         bool    `json:"skip_consent_for_verifiable_first_party_clients"`
}

type scope struct {
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// permissionsInToken reports whether the dialect adds the permissions claim (Auth0's "Add
// Permissions in the Access Token").
func (rs resourceServer) PermissionsInToken() bool {
	return strings.HasSuffix(rs.TokenDialect, "_authz")
}

type clientGrant struct {
	ID       string   `json:"id"`
	ClientID string   `json:"client_id"`
	Audience string   `json:"audience"`
	Scope    []string `json:"scope"`
}

func (h *Handler) apiRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"apis", h.page(h.apis))
	mux.Handle("GET "+Path+"apis/new", h.page(h.newAPI))
	mux.Handle("POST "+Path+"apis/new", h.page(h.createAPI))
	mux.Handle("GET "+Path+"apis/{id}", h.page(h.apiSettings))
	mux.Handle("POST "+Path+"apis/{id}", h.page(h.saveAPI))
	mux.Handle("GET "+Path+"apis/{id}/permissions", h.page(h.apiPermissions))
	mux.Handle("POST "+Path+"apis/{id}/permissions", h.page(h.addAPIPermission))
	mux.Handle("POST "+Path+"apis/{id}/permissions/remove", h.page(h.removeAPIPermission))
	mux.Handle("GET "+Path+"apis/{id}/m2m", h.page(h.apiM2M))
	mux.Handle("POST "+Path+"apis/{id}/m2m", h.page(h.saveAPIGrant))
	mux.Handle("GET "+Path+"apis/{id}/delete", h.page(h.confirmDeleteAPI))
	mux.Handle("POST "+Path+"apis/{id}/delete", h.page(h.deleteAPI))
}

type apiListData struct {
	Search string
	Rows   []resourceServer
	Pager  pager
}

// apis lists the APIs; the Management API has no name filter for them, so a search filters the
// tenant's list (bounded walk).
func (h *Handler) apis(w http.ResponseWriter, r *http.Request, v *viewer) {
	search, page := listParams(r)
	all, err := walk[resourceServer](r, v.api, "resource-servers", "resource_servers")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	if search != "" {
		needle := strings.ToLower(search)
		all = slices.DeleteFunc(all, func(rs resourceServer) bool {
			return !strings.Contains(strings.ToLower(rs.Name), needle) && !strings.Contains(strings.ToLower(rs.Identifier), needle)
		})
	}
	rows := pageOf(all, page)
	d := apiListData{Search: search, Rows: rows, Pager: newPager(Path+"apis", url.Values{"q": {search}}, page, len(rows), len(all))}
	h.render(w, r, http.StatusOK, "apis", &layoutData{Title: "APIs", Nav: "apis", Flash: flashFor(r), Data: d}, v)
}

type newAPIData struct {
	Name, Identifier, SigningAlg string
}

func (h *Handler) newAPI(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "api_new", &layoutData{Title: "Create API", Nav: "apis", Data: newAPIData{SigningAlg: "RS256"}}, v)
}

func (h *Handler) createAPI(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := newAPIData{Name: r.PostFormValue("name"), Identifier: strings.TrimSpace(r.PostFormValue("identifier")), SigningAlg: r.PostFormValue("signing_alg")}
	var created resourceServer
	err := v.api.do(r.Context(), "POST", "resource-servers", map[string]any{
		"name": strings.TrimSpace(d.Name), "identifier": d.Identifier, "signing_alg": d.SigningAlg}, &created)
	if err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.render(w, r, status, "api_new", &layoutData{Title: "Create API", Nav: "apis", Error: msg, Data: d}, v)
		}
		return
	}
	redirect(w, r, Path+"apis/"+url.PathEscape(created.ID)+"/permissions", "created")
}

// apiTab is what every tab of one API reads.
type apiTab struct {
	API      resourceServer
	Base     string // /admin/apis/{id}
	Tab      string
	CanWrite bool
	Form     apiForm
	// Permissions tab
	NewValue, NewDescription string
	// Machine-to-Machine tab
	Apps []m2mApp
	// Signing Secret tab (HS256 APIs)
	Secret apiSecretTab
}

func (h *Handler) loadAPI(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (apiTab, bool) {
	var rs resourceServer
	if err := v.api.do(r.Context(), "GET", "resource-servers/"+url.PathEscape(r.PathValue("id")), nil, &rs); err != nil {
		h.apiFailed(w, r, v, err)
		return apiTab{}, false
	}
	return apiTab{API: rs, Base: Path + "apis/" + url.PathEscape(rs.ID), Tab: tab, CanWrite: v.Can("update:resource_servers") && !rs.IsSystem,
		Form: apiFormFrom(rs)}, true
}

func (h *Handler) renderAPI(w http.ResponseWriter, r *http.Request, v *viewer, status int, d apiTab, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "api", &layoutData{Title: d.API.Name, Nav: "apis", Error: msg, Flash: flash, Data: d}, v)
}

// apiForm is the Settings tab as typed.
type apiForm struct {
	Name, SigningAlg, TokenLifetime, TokenLifetimeForWeb string
	RBAC, PermissionsInToken, Offline, SkipConsent       bool
}

func apiFormFrom(rs resourceServer) apiForm {
	return apiForm{Name: rs.Name, SigningAlg: rs.SigningAlg, TokenLifetime: strconv.Itoa(rs.TokenLifetime),
		TokenLifetimeForWeb: strconv.Itoa(rs.TokenLifetimeForWeb), RBAC: rs.EnforcePolicies,
		PermissionsInToken: rs.PermissionsInToken(), Offline: rs.AllowOfflineAccess, SkipConsent: rs.SkipConsent}
}

func (h *Handler) apiSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadAPI(w, r, v, "settings"); ok {
		h.renderAPI(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) saveAPI(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "settings")
	if !ok {
		return
	}
	f := apiForm{Name: r.PostFormValue("name"), SigningAlg: r.PostFormValue("signing_alg"),
		TokenLifetime: r.PostFormValue("token_lifetime"), TokenLifetimeForWeb: r.PostFormValue("token_lifetime_for_web"),
		RBAC: r.PostFormValue("enforce_policies") == "on", PermissionsInToken: r.PostFormValue("permissions_in_token") == "on",
		Offline: r.PostFormValue("allow_offline_access") == "on", SkipConsent: r.PostFormValue("skip_consent") == "on"}
	d.Form = f
	lifetime, err1 := strconv.Atoi(strings.TrimSpace(f.TokenLifetime))
	web, err2 := strconv.Atoi(strings.TrimSpace(f.TokenLifetimeForWeb))
	if err1 != nil || err2 != nil {
		h.renderAPI(w, r, v, http.StatusBadRequest, d, "Token lifetimes must be whole numbers of seconds.")
		return
	}
	// The dialect keeps its profile (Auth0's or RFC 9068's) and gains or loses the permissions claim.
	dialect := strings.TrimSuffix(d.API.TokenDialect, "_authz")
	if dialect == "" {
		dialect = "access_token"
	}
	if f.PermissionsInToken {
		dialect += "_authz"
	}
	body := map[string]any{"name": strings.TrimSpace(f.Name), "signing_alg": f.SigningAlg, "token_lifetime": lifetime,
		"token_lifetime_for_web": web, "enforce_policies": f.RBAC, "token_dialect": dialect,
		"allow_offline_access": f.Offline, "skip_consent_for_verifiable_first_party_clients": f.SkipConsent}
	if err := v.api.do(r.Context(), "PATCH", "resource-servers/"+url.PathEscape(d.API.ID), body, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderAPI(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}

func (h *Handler) apiPermissions(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadAPI(w, r, v, "permissions"); ok {
		h.renderAPI(w, r, v, http.StatusOK, d, "")
	}
}

// addAPIPermission adds one permission. The API's permission list is replaced whole (Auth0's
// PATCH scopes), so the page sends the list it read plus the new one; the API checks the rest.
func (h *Handler) addAPIPermission(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "permissions")
	if !ok {
		return
	}
	d.NewValue, d.NewDescription = strings.TrimSpace(r.PostFormValue("value")), strings.TrimSpace(r.PostFormValue("description"))
	if d.NewValue == "" {
		h.renderAPI(w, r, v, http.StatusBadRequest, d, "Permission is required, e.g. read:own_data.")
		return
	}
	scopes := append(slices.Clone(d.API.Scopes), scope{Value: d.NewValue, Description: d.NewDescription})
	h.patchScopes(w, r, v, d, scopes, "perm-added")
}

func (h *Handler) removeAPIPermission(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "permissions")
	if !ok {
		return
	}
	value := r.PostFormValue("value")
	scopes := slices.DeleteFunc(slices.Clone(d.API.Scopes), func(s scope) bool { return s.Value == value })
	h.patchScopes(w, r, v, d, scopes, "perm-removed")
}

func (h *Handler) patchScopes(w http.ResponseWriter, r *http.Request, v *viewer, d apiTab, scopes []scope, flash string) {
	if scopes == nil {
		scopes = []scope{}
	}
	if err := v.api.do(r.Context(), "PATCH", "resource-servers/"+url.PathEscape(d.API.ID), map[string]any{"scopes": scopes}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderAPI(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/permissions", flash)
}

// m2mApp is one application on the Machine-to-Machine tab, with its grant for this API.
type m2mApp struct {
	client
	TypeLabel string
	Grant     *clientGrant
}

func (a m2mApp) Has(s string) bool { return a.Grant != nil && slices.Contains(a.Grant.Scope, s) }

// apiM2M lists the applications that may use client credentials (Machine to Machine ones, and any
// other with the grant type on) and which of this API's permissions each is granted.
func (h *Handler) apiM2M(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "m2m")
	if !ok {
		return
	}
	if d.Apps, ok = h.m2mApps(w, r, v, d.API); ok {
		d.CanWrite = v.Can("create:client_grants") && v.Can("update:client_grants") && v.Can("delete:client_grants")
		h.renderAPI(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) m2mApps(w http.ResponseWriter, r *http.Request, v *viewer, rs resourceServer) ([]m2mApp, bool) {
	clients, err := walk[client](r, v.api, "clients?fields=client_id,name,app_type,grant_types&include_fields=true", "clients")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return nil, false
	}
	grants, err := walk[clientGrant](r, v.api, "client-grants?audience="+url.QueryEscape(rs.Identifier), "client_grants")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return nil, false
	}
	var apps []m2mApp
	for _, c := range clients {
		a := m2mApp{client: c, TypeLabel: appTypeLabel(c.AppType)}
		for i := range grants {
			if grants[i].ClientID == c.ClientID {
				a.Grant = &grants[i]
			}
		}
		if a.Grant != nil || c.AppType == "non_interactive" || slices.Contains(c.GrantTypes, "client_credentials") {
			apps = append(apps, a)
		}
	}
	return apps, true
}

// saveAPIGrant authorizes one application for this API with the permissions ticked (a client
// grant), changes its permissions, or removes the grant.
func (h *Handler) saveAPIGrant(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "m2m")
	if !ok {
		return
	}
	apps, ok := h.m2mApps(w, r, v, d.API)
	if !ok {
		return
	}
	d.Apps = apps
	d.CanWrite = v.Can("create:client_grants") && v.Can("update:client_grants") && v.Can("delete:client_grants")
	id := r.PostFormValue("client_id")
	i := slices.IndexFunc(apps, func(a m2mApp) bool { return a.ClientID == id })
	if i < 0 {
		h.renderAPI(w, r, v, http.StatusBadRequest, d, "That application cannot use client credentials: turn on its Client Credentials grant type first.")
		return
	}
	scopes := r.PostForm["scope"]
	if scopes == nil {
		scopes = []string{}
	}
	authorized := r.PostFormValue("authorized") == "on"
	if !authorized && apps[i].Grant != nil && !h.recentSignIn(w, r, v, "remove the access of "+apps[i].Name+" to "+d.API.Name, d.Base+"/m2m") {
		return
	}
	var err error
	switch g := apps[i].Grant; {
	case authorized && g == nil:
		err = v.api.do(r.Context(), "POST", "client-grants", map[string]any{"client_id": id, "audience": d.API.Identifier, "scope": scopes}, nil)
	case authorized:
		err = v.api.do(r.Context(), "PATCH", "client-grants/"+url.PathEscape(g.ID), map[string]any{"scope": scopes}, nil)
	case g != nil:
		err = v.api.do(r.Context(), "DELETE", "client-grants/"+url.PathEscape(g.ID), nil, nil)
	}
	if err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderAPI(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/m2m", "grant-saved")
}

func (h *Handler) confirmDeleteAPI(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "settings")
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "API", Name: d.API.Name,
		Consequence: "Applications can no longer get access tokens for " + d.API.Identifier + ", and its machine-to-machine grants go with it.",
		Action:      d.Base + "/delete", Back: d.Base, Nav: "apis", Allowed: v.Can("delete:resource_servers") && !d.API.IsSystem})
}

func (h *Handler) deleteAPI(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadAPI(w, r, v, "settings")
	if !ok {
		return
	}
	if !h.recentSignIn(w, r, v, "delete the API "+d.API.Name, d.Base+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "resource-servers/"+url.PathEscape(d.API.ID), nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "API", Name: d.API.Name, Action: d.Base + "/delete", Back: d.Base, Nav: "apis"})
		}
		return
	}
	redirect(w, r, Path+"apis", "deleted")
}
