package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Authentication › Social & Enterprise: connections to other identity providers (oidc, oauth2 and
// the social presets). A list, a create form, the settings of one (the client secret write-only:
// an empty field keeps it) and the applications that offer it. Every read and write is the
// Management API's /connections, as for database connections.

// providerStrategies are the strategies these pages create, with how each is named here.
var providerStrategies = []struct{ Value, Label string }{
	{"oidc", "OpenID Connect (enterprise)"},
	{"oauth2", "Custom OAuth 2.0"},
	{"github", "GitHub"},
	{"google-oauth2", "Google"},
	{"windowslive", "Microsoft"},
	{"facebook", "Facebook"},
	{"apple", "Apple"},
}

const providersPath = Path + "providers"

func (h *Handler) providerRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+providersPath, h.page(h.providers))
	mux.Handle("GET "+providersPath+"/new", h.page(h.newProvider))
	mux.Handle("POST "+providersPath+"/new", h.page(h.createProvider))
	mux.Handle("GET "+providersPath+"/{id}", h.page(h.providerSettings))
	mux.Handle("POST "+providersPath+"/{id}", h.page(h.saveProvider))
	mux.Handle("GET "+providersPath+"/{id}/applications", h.page(h.providerApps))
	mux.Handle("POST "+providersPath+"/{id}/applications", h.page(h.saveProviderApps))
	h.providerKeyRoutes(mux)
}

// providerForm is the settings form as typed: the options these pages show, by Auth0's names.
type providerForm struct {
	Name, Strategy, DisplayName, ClientID, ClientSecret, Scope string
	DiscoveryURL, AuthorizationURL, TokenURL, ProfileURL       string
	TeamID, KeyID                                              string
	DomainAliases                                              string // one per line
	ShowAsButton                                               bool
}

type providerData struct {
	Form       providerForm
	Strategies any
	Conn       connection
	Base, Tab  string
	CanWrite   bool
	Apps       []connectionApp
	// DashboardID is this dashboard's own client, marked on the Applications tab.
	DashboardID string
	// Keys are an oidc connection's private_key_jwt keys (provider_keys.go), on the Keys tab.
	Keys      []connectionKey
	CanRotate bool
}

func (h *Handler) providers(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := url.Values{}
	for _, s := range providerStrategies {
		q.Add("strategy", s.Value)
	}
	all, err := walk[connection](r, v.api, "connections?"+q.Encode(), "connections")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	_, page := listParams(r)
	rows := pageOf(all, page)
	d := connectionListData{Rows: rows, Pager: newPager(providersPath, url.Values{}, page, len(rows), len(all))}
	h.render(w, r, http.StatusOK, "providers", &layoutData{Title: "Social & Enterprise Connections", Nav: "providers", Flash: flashFor(r), Data: d}, v)
}

func (h *Handler) newProvider(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := providerData{Form: providerForm{Strategy: "oidc", ShowAsButton: true}, Strategies: providerStrategies, CanWrite: v.Can("create:connections")}
	h.render(w, r, http.StatusOK, "provider_new", &layoutData{Title: "New Connection", Nav: "providers", Data: d}, v)
}

func providerFormFrom(r *http.Request) providerForm {
	t := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return providerForm{Name: t("name"), Strategy: t("strategy"), DisplayName: t("display_name"), ClientID: t("client_id"),
		ClientSecret: r.PostFormValue("client_secret"), Scope: t("scope"), DiscoveryURL: t("discovery_url"),
		AuthorizationURL: t("authorizationURL"), TokenURL: t("tokenURL"), ProfileURL: t("profileURL"), TeamID: t("team_id"),
		KeyID: t("kid"), DomainAliases: r.PostFormValue("domain_aliases"), ShowAsButton: r.PostFormValue("show_as_button") == "on"}
}

// options writes the form's fields over opts (the connection's current options on a save):
// a field left empty removes the option, except the client secret, which an empty field keeps.
func (f providerForm) options(opts map[string]any) map[string]any {
	setOption(opts, "client_id", f.ClientID)
	setOption(opts, "scope", f.Scope)
	setOption(opts, "discovery_url", f.DiscoveryURL)
	setOption(opts, "authorizationURL", f.AuthorizationURL)
	setOption(opts, "tokenURL", f.TokenURL)
	setOption(opts, "profileURL", f.ProfileURL)
	setOption(opts, "team_id", f.TeamID)
	setOption(opts, "kid", f.KeyID)
	if f.ClientSecret != "" {
		opts["client_secret"] = f.ClientSecret
	}
	setDomainAliases(opts, f.DomainAliases)
	return opts
}

func (h *Handler) createProvider(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := providerFormFrom(r)
	body := map[string]any{"name": f.Name, "strategy": f.Strategy, "show_as_button": f.ShowAsButton, "options": f.options(map[string]any{})}
	if f.DisplayName != "" {
		body["display_name"] = f.DisplayName
	}
	var created connection
	if err := v.api.do(r.Context(), "POST", "connections", body, &created); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			f.ClientSecret = "" // never sent back to the browser
			d := providerData{Form: f, Strategies: providerStrategies, CanWrite: v.Can("create:connections")}
			h.render(w, r, status, "provider_new", &layoutData{Title: "New Connection", Nav: "providers", Error: msg, Data: d}, v)
		}
		return
	}
	redirect(w, r, providersPath+"/"+url.PathEscape(created.ID)+"/applications", "created")
}

func (h *Handler) loadProvider(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (providerData, bool) {
	var c struct {
		connection
		ShowAsButton bool `json:"show_as_button"`
	}
	if err := v.api.do(r.Context(), "GET", "connections/"+url.PathEscape(r.PathValue("id")), nil, &c); err != nil {
		h.apiFailed(w, r, v, err)
		return providerData{}, false
	}
	if c.Strategy == "samlp" && tab == "settings" { // a SAML connection's settings are its own page
		http.Redirect(w, r, samlPath+"/"+url.PathEscape(c.ID), http.StatusSeeOther)
		return providerData{}, false
	}
	if c.Options == nil {
		c.Options = map[string]json.RawMessage{}
	}
	s := func(k string) string { x, _ := option[string](c.Options, k); return x }
	aliases, _ := option[[]string](c.Options, "domain_aliases")
	f := providerForm{Name: c.Name, Strategy: c.Strategy, DisplayName: c.DisplayName, ClientID: s("client_id"), Scope: s("scope"),
		DiscoveryURL: s("discovery_url"), AuthorizationURL: s("authorizationURL"), TokenURL: s("tokenURL"), ProfileURL: s("profileURL"),
		TeamID: s("team_id"), KeyID: s("kid"), DomainAliases: strings.Join(aliases, "\n"), ShowAsButton: c.ShowAsButton}
	return providerData{Form: f, Strategies: providerStrategies, Conn: c.connection, Base: providersPath + "/" + url.PathEscape(c.ID), Tab: tab,
		CanWrite: v.Can("update:connections"), DashboardID: h.opts.ClientID}, true
}

func (h *Handler) renderProvider(w http.ResponseWriter, r *http.Request, v *viewer, status int, d providerData, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "provider", &layoutData{Title: d.Conn.Name, Nav: "providers", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) providerSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadProvider(w, r, v, "settings"); ok {
		h.renderProvider(w, r, v, http.StatusOK, d, "")
	}
}

// saveProvider PATCHes display_name, show_as_button and the options, the ones this page does not
// show sent back as the API returned them.
func (h *Handler) saveProvider(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadProvider(w, r, v, "settings")
	if !ok {
		return
	}
	f := providerFormFrom(r)
	f.Name, f.Strategy = d.Form.Name, d.Form.Strategy
	opts := map[string]any{}
	for k, raw := range d.Conn.Options {
		opts[k] = raw
	}
	body := map[string]any{"display_name": f.DisplayName, "show_as_button": f.ShowAsButton, "options": f.options(opts)}
	if err := v.api.do(r.Context(), "PATCH", "connections/"+url.PathEscape(d.Conn.ID), body, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			f.ClientSecret = ""
			d.Form = f
			h.renderProvider(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}

func (h *Handler) providerApps(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadProvider(w, r, v, "applications")
	if !ok {
		return
	}
	tab := connectionTab{Conn: d.Conn}
	if h.loadConnectionApps(w, r, v, &tab) {
		d.Apps = tab.Apps
		h.renderProvider(w, r, v, http.StatusOK, d, "")
	}
}

// saveProviderApps enables the ticked applications, as the database connection's tab does.
func (h *Handler) saveProviderApps(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadProvider(w, r, v, "applications")
	if !ok {
		return
	}
	tab := connectionTab{Conn: d.Conn}
	if !h.loadConnectionApps(w, r, v, &tab) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	want := map[string]bool{}
	for _, id := range r.PostForm["client"] {
		want[id] = true
	}
	var changes []map[string]any
	for i, a := range tab.Apps {
		if want[a.ClientID] != a.Enabled {
			changes = append(changes, map[string]any{"client_id": a.ClientID, "status": want[a.ClientID]})
		}
		tab.Apps[i].Enabled = want[a.ClientID]
	}
	d.Apps = tab.Apps
	for len(changes) > 0 {
		batch := changes[:min(50, len(changes))]
		changes = changes[len(batch):]
		if err := v.api.do(r.Context(), "PATCH", "connections/"+url.PathEscape(d.Conn.ID)+"/clients", batch, nil); err != nil {
			if status, msg, ok := h.refusal(w, r, v, err); ok {
				h.renderProvider(w, r, v, status, d, msg)
			}
			return
		}
	}
	redirect(w, r, d.Base+"/applications", "saved")
}

// setOption writes v as option k, or removes k when v is empty: a form field left empty removes
// its option.
func setOption(opts map[string]any, k, v string) {
	if v == "" {
		delete(opts, k)
	} else {
		opts[k] = v
	}
}

// setDomainAliases writes the form's domain aliases (one a line) as the domain_aliases option,
// removing it when there are none.
func setDomainAliases(opts map[string]any, lines string) {
	aliases := []string{}
	for _, line := range strings.Split(lines, "\n") {
		if a := strings.TrimSpace(line); a != "" {
			aliases = append(aliases, a)
		}
	}
	if len(aliases) > 0 {
		opts["domain_aliases"] = aliases
	} else {
		delete(opts, "domain_aliases")
	}
}
