package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func (h *Handler) roleRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"roles", h.page(h.roles))
	mux.Handle("GET "+Path+"roles/new", h.page(h.newRole))
	mux.Handle("POST "+Path+"roles/new", h.page(h.createRole))
	mux.Handle("GET "+Path+"roles/{id}", h.page(h.roleSettings))
	mux.Handle("POST "+Path+"roles/{id}", h.page(h.saveRole))
	mux.Handle("GET "+Path+"roles/{id}/permissions", h.page(h.rolePermissionsTab))
	mux.Handle("POST "+Path+"roles/{id}/permissions", h.page(h.addRolePermissions))
	mux.Handle("POST "+Path+"roles/{id}/permissions/remove", h.page(h.removeRolePermission))
	mux.Handle("GET "+Path+"roles/{id}/users", h.page(h.roleUsersTab))
	mux.Handle("POST "+Path+"roles/{id}/users", h.page(h.addRoleUser))
	mux.Handle("POST "+Path+"roles/{id}/users/remove", h.page(h.removeRoleUser))
	mux.Handle("GET "+Path+"roles/{id}/delete", h.page(h.confirmDeleteRole))
	mux.Handle("POST "+Path+"roles/{id}/delete", h.page(h.deleteRole))
}

type roleListData struct {
	Search string
	Rows   []role
	Pager  pager
}

// roles lists the roles; the search is the API's name_filter.
func (h *Handler) roles(w http.ResponseWriter, r *http.Request, v *viewer) {
	search, page := listParams(r)
	q := url.Values{"include_totals": {"true"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
	if search != "" {
		q.Set("name_filter", search)
	}
	var out struct {
		Roles []role `json:"roles"`
		Total int    `json:"total"`
	}
	if err := v.api.do(r.Context(), "GET", "roles?"+q.Encode(), nil, &out); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	d := roleListData{Search: search, Rows: out.Roles, Pager: newPager(Path+"roles", url.Values{"q": {search}}, page, len(out.Roles), out.Total)}
	h.render(w, r, http.StatusOK, "roles", &layoutData{Title: "Roles", Nav: "roles", Flash: flashFor(r), Data: d}, v)
}

func (h *Handler) newRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "role_new", &layoutData{Title: "Create role", Nav: "roles", Data: role{}}, v)
}

func (h *Handler) createRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := role{Name: r.PostFormValue("name"), Description: r.PostFormValue("description")}
	var created role
	if err := v.api.do(r.Context(), "POST", "roles", map[string]any{"name": strings.TrimSpace(d.Name), "description": d.Description}, &created); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.render(w, r, status, "role_new", &layoutData{Title: "Create role", Nav: "roles", Error: msg, Data: d}, v)
		}
		return
	}
	redirect(w, r, Path+"roles/"+url.PathEscape(created.ID)+"/permissions", "created")
}

// roleTab is what every tab of one role reads.
type roleTab struct {
	Role     role
	Form     role // the Settings form as typed
	Base     string
	Tab      string
	CanWrite bool
	// Permissions tab
	Permissions []permission
	APIs        []resourceServer // every API, for the picker
	API         resourceServer   // the API whose permissions are offered
	Available   []scope          // its permissions the role lacks
	// Users tab
	Users   []user
	Pager   pager
	AddUser string
}

func (h *Handler) loadRole(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (roleTab, bool) {
	var rl role
	if err := v.api.do(r.Context(), "GET", "roles/"+url.PathEscape(r.PathValue("id")), nil, &rl); err != nil {
		h.apiFailed(w, r, v, err)
		return roleTab{}, false
	}
	return roleTab{Role: rl, Form: rl, Base: Path + "roles/" + url.PathEscape(rl.ID), Tab: tab, CanWrite: v.Can("update:roles")}, true
}

func (h *Handler) renderRole(w http.ResponseWriter, r *http.Request, v *viewer, status int, d roleTab, msg string) {
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "role", &layoutData{Title: d.Role.Name, Nav: "roles", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) roleSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadRole(w, r, v, "settings"); ok {
		h.renderRole(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) saveRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "settings")
	if !ok {
		return
	}
	d.Form = role{Name: r.PostFormValue("name"), Description: r.PostFormValue("description")}
	if err := v.api.do(r.Context(), "PATCH", "roles/"+url.PathEscape(d.Role.ID), map[string]any{"name": strings.TrimSpace(d.Form.Name), "description": d.Form.Description}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderRole(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}

func (h *Handler) rolePermissionsTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "permissions")
	if !ok {
		return
	}
	if h.fillRolePermissions(w, r, v, &d, r.URL.Query().Get("api")) {
		h.renderRole(w, r, v, http.StatusOK, d, "")
	}
}

// fillRolePermissions reads the role's permissions and offers those of one API (apiID, or the
// first API other than the Management API) that the role lacks, as Auth0's "Add Permissions"
// dialog does.
func (h *Handler) fillRolePermissions(w http.ResponseWriter, r *http.Request, v *viewer, d *roleTab, apiID string) bool {
	var err error
	if d.Permissions, err = walk[permission](r, v.api, "roles/"+url.PathEscape(d.Role.ID)+"/permissions", "permissions"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	if d.APIs, err = walk[resourceServer](r, v.api, "resource-servers", "resource_servers"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	// Tenant APIs first: the Management API's hundred permissions are rarely what a role wants.
	slices.SortStableFunc(d.APIs, func(a, b resourceServer) int {
		switch {
		case a.IsSystem == b.IsSystem:
			return 0
		case b.IsSystem:
			return -1
		}
		return 1
	})
	i := slices.IndexFunc(d.APIs, func(a resourceServer) bool { return a.ID == apiID })
	if i < 0 && len(d.APIs) > 0 {
		i = 0
	}
	if i >= 0 {
		d.API = d.APIs[i]
		for _, s := range d.API.Scopes {
			if !slices.ContainsFunc(d.Permissions, func(p permission) bool {
				return p.ResourceServerIdentifier == d.API.Identifier && p.PermissionName == s.Value
			}) {
				d.Available = append(d.Available, s)
			}
		}
	}
	return true
}

func (h *Handler) editRolePermissions(w http.ResponseWriter, r *http.Request, v *viewer, method, flash string) {
	d, ok := h.loadRole(w, r, v, "permissions")
	if !ok {
		return
	}
	var perms []map[string]string
	for _, k := range r.PostForm["permission"] {
		if p, ok := parsePermissionKey(k); ok {
			perms = append(perms, p)
		}
	}
	apiID := r.PostFormValue("api")
	if len(perms) == 0 {
		if h.fillRolePermissions(w, r, v, &d, apiID) {
			h.renderRole(w, r, v, http.StatusBadRequest, d, "Choose at least one permission.")
		}
		return
	}
	if err := v.api.do(r.Context(), method, "roles/"+url.PathEscape(d.Role.ID)+"/permissions", map[string]any{"permissions": perms}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok && h.fillRolePermissions(w, r, v, &d, apiID) {
			h.renderRole(w, r, v, status, d, msg)
		}
		return
	}
	back := d.Base + "/permissions"
	if apiID != "" {
		back += "?api=" + url.QueryEscape(apiID)
		http.Redirect(w, r, back+"&done="+flash, http.StatusSeeOther)
		return
	}
	redirect(w, r, back, flash)
}

func (h *Handler) addRolePermissions(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editRolePermissions(w, r, v, "POST", "perms-added")
}

func (h *Handler) removeRolePermission(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editRolePermissions(w, r, v, "DELETE", "perm-removed")
}

func (h *Handler) roleUsersTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "users")
	if !ok {
		return
	}
	if h.fillRoleUsers(w, r, v, &d) {
		h.renderRole(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) fillRoleUsers(w http.ResponseWriter, r *http.Request, v *viewer, d *roleTab) bool {
	_, page := listParams(r)
	var out struct {
		Users []user `json:"users"`
		Total int    `json:"total"`
	}
	q := url.Values{"include_totals": {"true"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
	if err := v.api.do(r.Context(), "GET", "roles/"+url.PathEscape(d.Role.ID)+"/users?"+q.Encode(), nil, &out); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.Users, d.Pager = out.Users, newPager(d.Base+"/users", nil, page, len(out.Users), out.Total)
	return true
}

// addRoleUser assigns the role to the user with the email typed (looked up through
// /users-by-email).
func (h *Handler) addRoleUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "users")
	if !ok {
		return
	}
	d.AddUser = strings.TrimSpace(r.PostFormValue("email"))
	fail := func(status int, msg string) {
		if h.fillRoleUsers(w, r, v, &d) {
			h.renderRole(w, r, v, status, d, msg)
		}
	}
	if d.AddUser == "" {
		fail(http.StatusBadRequest, "Type the email address of the user to add.")
		return
	}
	var found []user
	if err := v.api.do(r.Context(), "GET", "users-by-email?"+url.Values{"email": {d.AddUser}}.Encode(), nil, &found); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			fail(status, msg)
		}
		return
	}
	if len(found) == 0 {
		fail(http.StatusNotFound, "No user has the email address "+d.AddUser+".")
		return
	}
	ids := make([]string, len(found))
	for i, u := range found {
		ids[i] = u.UserID
	}
	if err := v.api.do(r.Context(), "POST", "roles/"+url.PathEscape(d.Role.ID)+"/users", map[string]any{"users": ids}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			fail(status, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/users", "user-added")
}

// removeRoleUser takes the role from one user (DELETE /users/{id}/roles: the API has no
// DELETE /roles/{id}/users).
func (h *Handler) removeRoleUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "users")
	if !ok {
		return
	}
	uid := r.PostFormValue("user_id")
	if err := v.api.do(r.Context(), "DELETE", "users/"+url.PathEscape(uid)+"/roles", map[string]any{"roles": []string{d.Role.ID}}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok && h.fillRoleUsers(w, r, v, &d) {
			h.renderRole(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/users", "user-removed")
}

func (h *Handler) confirmDeleteRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "settings")
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "role", Name: d.Role.Name,
		Consequence: "Every user holding it loses its permissions at their next token.",
		Action:      d.Base + "/delete", Back: d.Base, Nav: "roles", Allowed: v.Can("delete:roles")})
}

func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadRole(w, r, v, "settings")
	if !ok {
		return
	}
	if !h.recentSignIn(w, r, v, "delete the role "+d.Role.Name, d.Base+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "roles/"+url.PathEscape(d.Role.ID), nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "role", Name: d.Role.Name, Action: d.Base + "/delete", Back: d.Base, Nav: "roles"})
		}
		return
	}
	redirect(w, r, Path+"roles", "deleted")
}
