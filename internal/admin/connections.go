package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Authentication › Database: the tenant's username-password connections (strategy auth0), their
// password policy and sign-up settings, and which applications may use each.

// connection is a connection as GET /connections shows it. Options is kept whole: PATCH replaces
// options entirely, so a save merges the fields the page shows into what the API returned.
type connection struct {
	ID             string                     `json:"id"`
	Name           string                     `json:"name"`
	Strategy       string                     `json:"strategy"`
	DisplayName    string                     `json:"display_name"`
	EnabledClients []string                   `json:"enabled_clients"`
	Options        map[string]json.RawMessage `json:"options"`
}

// passwordPolicies are Auth0's levels, each with its rule in words.
var passwordPolicies = []struct{ Value, Label, Rule string }{
	{"none", "None", "At least 1 character of any kind."},
	{"low", "Low", "At least 6 characters."},
	{"fair", "Fair", "At least 8 characters including a lower-case letter, an upper-case letter and a number."},
	{"good", "Good", "At least 8 characters including at least 3 of: lower-case letter, upper-case letter, number, special character (!@#$%^&*)."},
	{"excellent", "Excellent", "At least 10 characters including at least 3 of the four kinds, and no more than 2 identical characters in a row (not aaa)."},
}

func (h *Handler) connectionRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"connections", h.page(h.connections))
	mux.Handle("GET "+Path+"connections/{id}", h.page(h.connectionSettings))
	mux.Handle("POST "+Path+"connections/{id}", h.page(h.saveConnection))
	mux.Handle("GET "+Path+"connections/{id}/applications", h.page(h.connectionApps))
	mux.Handle("POST "+Path+"connections/{id}/applications", h.page(h.saveConnectionApps))
	mux.Handle("GET "+Path+"connections/{id}/delete", h.page(h.confirmDeleteConnection))
	mux.Handle("POST "+Path+"connections/{id}/delete", h.page(h.deleteConnection))
}

type connectionListData struct {
	Search string
	Rows   []connection
	Pager  pager
}

func (h *Handler) connections(w http.ResponseWriter, r *http.Request, v *viewer) {
	search, page := listParams(r)
	all, err := walk[connection](r, v.api, "connections?strategy=auth0", "connections")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	if search != "" {
		needle := strings.ToLower(search)
		all = slices.DeleteFunc(all, func(c connection) bool { return !strings.Contains(strings.ToLower(c.Name), needle) })
	}
	rows := pageOf(all, page)
	d := connectionListData{Search: search, Rows: rows, Pager: newPager(Path+"connections", url.Values{"q": {search}}, page, len(rows), len(all))}
	h.render(w, r, http.StatusOK, "connections", &layoutData{Title: "Database Connections", Nav: "connections", Flash: flashFor(r), Data: d}, v)
}

// connectionForm is the Settings tab as typed.
type connectionForm struct {
	PasswordPolicy                  string
	MinLength                       string
	HistoryEnabled                  bool
	HistorySize                     string
	NoPersonalInfo                  bool
	DictionaryEnabled               bool
	Dictionary                      string // one word per line
	DisableSignup, RequiresUsername bool
	BruteForce                      bool
}

// connectionTab is what every tab of one connection reads.
type connectionTab struct {
	Conn     connection
	Base     string
	Tab      string
	CanWrite bool
	Form     connectionForm
	Policies any
	Apps     []connectionApp
	// DashboardID is this dashboard's own client, marked on the Applications tab.
	DashboardID string
}

type connectionApp struct {
	ClientID, Name, AppType string
	Enabled                 bool
}

func option[T any](o map[string]json.RawMessage, key string) (T, bool) {
	var v T
	raw, ok := o[key]
	if !ok || json.Unmarshal(raw, &v) != nil {
		return v, false
	}
	return v, true
}

func connectionFormFrom(c connection) connectionForm {
	// An absent policy is Auth0's null, which means none.
	f := connectionForm{PasswordPolicy: "none"}
	if p, ok := option[string](c.Options, "passwordPolicy"); ok && p != "" {
		f.PasswordPolicy = p
	}
	if cx, ok := option[struct {
		MinLength int `json:"min_length"`
	}](c.Options, "password_complexity_options"); ok && cx.MinLength > 0 {
		f.MinLength = strconv.Itoa(cx.MinLength)
	}
	hist, _ := option[struct {
		Enable bool `json:"enable"`
		Size   int  `json:"size"`
	}](c.Options, "password_history")
	f.HistoryEnabled = hist.Enable
	if hist.Size > 0 {
		f.HistorySize = strconv.Itoa(hist.Size)
	} else {
		f.HistorySize = "5"
	}
	npi, _ := option[struct {
		Enable bool `json:"enable"`
	}](c.Options, "password_no_personal_info")
	f.NoPersonalInfo = npi.Enable
	dict, _ := option[struct {
		Enable     bool     `json:"enable"`
		Dictionary []string `json:"dictionary"`
	}](c.Options, "password_dictionary")
	f.DictionaryEnabled, f.Dictionary = dict.Enable, strings.Join(dict.Dictionary, "\n")
	f.DisableSignup, _ = option[bool](c.Options, "disable_signup")
	f.RequiresUsername, _ = option[bool](c.Options, "requires_username")
	f.BruteForce, _ = option[bool](c.Options, "brute_force_protection")
	return f
}

func (h *Handler) loadConnection(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (connectionTab, bool) {
	var c connection
	if err := v.api.do(r.Context(), "GET", "connections/"+url.PathEscape(r.PathValue("id")), nil, &c); err != nil {
		h.apiFailed(w, r, v, err)
		return connectionTab{}, false
	}
	if c.Options == nil {
		c.Options = map[string]json.RawMessage{}
	}
	return connectionTab{Conn: c, Base: Path + "connections/" + url.PathEscape(c.ID), Tab: tab,
		CanWrite: v.Can("update:connections"), Form: connectionFormFrom(c), Policies: passwordPolicies,
		DashboardID: h.opts.ClientID}, true
}

func (h *Handler) renderConnection(w http.ResponseWriter, r *http.Request, v *viewer, status int, d connectionTab, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "connection", &layoutData{Title: d.Conn.Name, Nav: "connections", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) connectionSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadConnection(w, r, v, "settings"); ok {
		h.renderConnection(w, r, v, http.StatusOK, d, "")
	}
}

// saveConnection merges the form into the connection's current options and PATCHes them whole;
// options this page does not show are sent back as the API returned them.
func (h *Handler) saveConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadConnection(w, r, v, "settings")
	if !ok {
		return
	}
	f := connectionForm{PasswordPolicy: r.PostFormValue("password_policy"), MinLength: strings.TrimSpace(r.PostFormValue("min_length")),
		HistoryEnabled: r.PostFormValue("history_enable") == "on", HistorySize: strings.TrimSpace(r.PostFormValue("history_size")),
		NoPersonalInfo: r.PostFormValue("no_personal_info") == "on", DictionaryEnabled: r.PostFormValue("dictionary_enable") == "on",
		Dictionary: r.PostFormValue("dictionary"), DisableSignup: r.PostFormValue("disable_signup") == "on",
		RequiresUsername: r.PostFormValue("requires_username") == "on", BruteForce: r.PostFormValue("brute_force_protection") == "on"}
	d.Form = f
	fail := func(status int, msg string) { h.renderConnection(w, r, v, status, d, msg) }
	number := func(s, what string) (int, bool) {
		if s == "" {
			return 0, true
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fail(http.StatusBadRequest, what+" must be a whole number.")
			return 0, false
		}
		return n, true
	}
	minLen, ok := number(f.MinLength, "Minimum length")
	if !ok {
		return
	}
	size, ok := number(f.HistorySize, "Password history size")
	if !ok {
		return
	}
	words := []string{}
	for _, line := range strings.Split(f.Dictionary, "\n") {
		if w := strings.TrimSpace(line); w != "" {
			words = append(words, w)
		}
	}
	opts := map[string]any{}
	for k, raw := range d.Conn.Options {
		opts[k] = raw
	}
	opts["passwordPolicy"] = f.PasswordPolicy
	if minLen > 0 {
		opts["password_complexity_options"] = map[string]any{"min_length": minLen}
	} else {
		delete(opts, "password_complexity_options")
	}
	hist := map[string]any{"enable": f.HistoryEnabled}
	if size > 0 {
		hist["size"] = size
	}
	opts["password_history"] = hist
	opts["password_no_personal_info"] = map[string]any{"enable": f.NoPersonalInfo}
	opts["password_dictionary"] = map[string]any{"enable": f.DictionaryEnabled, "dictionary": words}
	opts["disable_signup"] = f.DisableSignup
	opts["requires_username"] = f.RequiresUsername
	opts["brute_force_protection"] = f.BruteForce
	if err := v.api.do(r.Context(), "PATCH", "connections/"+url.PathEscape(d.Conn.ID), map[string]any{"options": opts}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			fail(status, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}

// enabledClientIDs reads GET /connections/{id}/clients, following its checkpoint (bounded).
func enabledClientIDs(r *http.Request, a *api, id string) (map[string]bool, error) {
	on := map[string]bool{}
	from := ""
	for range 50 {
		var out struct {
			Clients []struct {
				ClientID string `json:"client_id"`
			} `json:"clients"`
			Next string `json:"next"`
		}
		q := url.Values{"take": {"100"}}
		if from != "" {
			q.Set("from", from)
		}
		if err := a.do(r.Context(), "GET", "connections/"+url.PathEscape(id)+"/clients?"+q.Encode(), nil, &out); err != nil {
			return nil, err
		}
		for _, c := range out.Clients {
			on[c.ClientID] = true
		}
		if out.Next == "" || len(out.Clients) == 0 {
			break
		}
		from = out.Next
	}
	return on, nil
}

func (h *Handler) loadConnectionApps(w http.ResponseWriter, r *http.Request, v *viewer, d *connectionTab) bool {
	on, err := enabledClientIDs(r, v.api, d.Conn.ID)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	all, err := walk[struct {
		ClientID string `json:"client_id"`
		Name     string `json:"name"`
		AppType  string `json:"app_type"`
	}](r, v.api, "clients?fields=client_id,name,app_type&include_fields=true", "clients")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.Apps = d.Apps[:0]
	for _, c := range all {
		d.Apps = append(d.Apps, connectionApp{ClientID: c.ClientID, Name: c.Name, AppType: c.AppType, Enabled: on[c.ClientID]})
	}
	return true
}

func (h *Handler) connectionApps(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadConnection(w, r, v, "applications")
	if ok && h.loadConnectionApps(w, r, v, &d) {
		h.renderConnection(w, r, v, http.StatusOK, d, "")
	}
}

// saveConnectionApps sends PATCH /connections/{id}/clients with only the applications whose box
// changed, in batches of the API's 50.
func (h *Handler) saveConnectionApps(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadConnection(w, r, v, "applications")
	if !ok || !h.loadConnectionApps(w, r, v, &d) {
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
	for i, a := range d.Apps {
		if want[a.ClientID] != a.Enabled {
			changes = append(changes, map[string]any{"client_id": a.ClientID, "status": want[a.ClientID]})
		}
		d.Apps[i].Enabled = want[a.ClientID]
	}
	for len(changes) > 0 {
		batch := changes[:min(50, len(changes))]
		changes = changes[len(batch):]
		if err := v.api.do(r.Context(), "PATCH", "connections/"+url.PathEscape(d.Conn.ID)+"/clients", batch, nil); err != nil {
			if status, msg, ok := h.refusal(w, r, v, err); ok {
				h.renderConnection(w, r, v, status, d, msg)
			}
			return
		}
	}
	redirect(w, r, d.Base+"/applications", "saved")
}

func (h *Handler) confirmDeleteConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadConnection(w, r, v, "settings")
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "connection", Name: d.Conn.Name,
		Consequence: "Its users are deleted with it and can no longer sign in.",
		Action:      d.Base + "/delete", Back: d.Base, Nav: "connections", Allowed: v.Can("delete:connections")})
}

func (h *Handler) deleteConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadConnection(w, r, v, "settings")
	if !ok {
		return
	}
	if !h.recentSignIn(w, r, v, "delete the connection "+d.Conn.Name, d.Base+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "connections/"+url.PathEscape(d.Conn.ID), nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "connection", Name: d.Conn.Name, Action: d.Base + "/delete",
				Back: d.Base, Nav: "connections", Allowed: v.Can("delete:connections")})
		}
		return
	}
	redirect(w, r, Path+"connections", "deleted")
}

// connectionAndEmailTemplateRoutes registers Authentication › Database and Branding › Email
// Templates.
func (h *Handler) connectionAndEmailTemplateRoutes(mux *http.ServeMux) {
	h.connectionRoutes(mux)
	h.providerRoutes(mux)
	h.samlRoutes(mux)
	h.emailTemplateRoutes(mux)
}
