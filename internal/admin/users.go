package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// user is a user as the Management API shows it.
type user struct {
	UserID        string `json:"user_id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Nickname      string `json:"nickname"`
	Picture       string `json:"picture"`
	Blocked       bool   `json:"blocked"`
	CreatedAt     string `json:"created_at"`
	LastLogin     string `json:"last_login"`
	LastIP        string `json:"last_ip"`
	LoginsCount   int    `json:"logins_count"`
}

type role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// permission is a role's or user's permission; Sources say where a user's comes from.
type permission struct {
	ResourceServerIdentifier string             `json:"resource_server_identifier"`
	PermissionName           string             `json:"permission_name"`
	ResourceServerName       string             `json:"resource_server_name"`
	Description              string             `json:"description"`
	Sources                  []permissionSource `json:"sources"`
}

type permissionSource struct {
	SourceID   string `json:"source_id"`
	SourceName string `json:"source_name"`
	SourceType string `json:"source_type"` // ROLE or DIRECT
}

// Key is how a permission travels in a form: its API's identifier and its name, which contain no
// white space, separated by one space.
func (p permission) Key() string { return p.ResourceServerIdentifier + " " + p.PermissionName }

// Direct reports whether the user holds the permission directly (not only through a role).
func (p permission) Direct() bool {
	return len(p.Sources) == 0 || slices.ContainsFunc(p.Sources, func(s permissionSource) bool { return s.SourceType == "DIRECT" })
}

func parsePermissionKey(k string) (map[string]string, bool) {
	id, name, ok := strings.Cut(k, " ")
	if !ok || id == "" || name == "" {
		return nil, false
	}
	return map[string]string{"resource_server_identifier": id, "permission_name": name}, true
}

// When shows an API timestamp (ISO 8601) as people read it, in UTC.
func when(iso string) string {
	t, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		return iso
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// Created and LastSeen are the user's timestamps for the pages.
func (u user) Created() string  { return when(u.CreatedAt) }
func (u user) LastSeen() string { return when(u.LastLogin) }

func (h *Handler) userRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"users", h.page(h.users))
	mux.Handle("GET "+Path+"users/new", h.page(h.newUser))
	mux.Handle("POST "+Path+"users/new", h.page(h.createUser))
	mux.Handle("GET "+Path+"users/{id}", h.page(h.userDetails))
	mux.Handle("POST "+Path+"users/{id}/profile", h.page(h.saveProfile))
	mux.Handle("POST "+Path+"users/{id}/blocked", h.page(h.setBlocked))
	mux.Handle("POST "+Path+"users/{id}/verify", h.page(h.markVerified))
	mux.Handle("POST "+Path+"users/{id}/sessions", h.page(h.endSessions))
	mux.Handle("POST "+Path+"users/{id}/reset-link", h.page(h.resetLink))
	mux.Handle("POST "+Path+"users/{id}/reset-email", h.page(h.resetEmail))
	mux.Handle("GET "+Path+"users/{id}/roles", h.page(h.userRolesTab))
	mux.Handle("POST "+Path+"users/{id}/roles", h.page(h.assignUserRole))
	mux.Handle("POST "+Path+"users/{id}/roles/remove", h.page(h.removeUserRole))
	mux.Handle("GET "+Path+"users/{id}/permissions", h.page(h.userPermissionsTab))
	mux.Handle("POST "+Path+"users/{id}/permissions", h.page(h.addUserPermission))
	mux.Handle("POST "+Path+"users/{id}/permissions/remove", h.page(h.removeUserPermission))
	mux.Handle("GET "+Path+"users/{id}/delete", h.page(h.confirmDeleteUser))
	mux.Handle("POST "+Path+"users/{id}/delete", h.page(h.deleteUser))
}

type userListData struct {
	Search string
	Rows   []user
	Pager  pager
}

// plainSearch is what a search box's text may be to become an email prefix search.
var plainSearch = regexp.MustCompile(`^[^\s"()\[\]{}^~:*?\\]+$`)

// userQuery turns the search box into the Management API's q: a plain word is an email prefix
// (email:jane*); anything with a field or quotes is passed as typed, so the API's own message
// explains what it does not support.
func userQuery(search string) string {
	if plainSearch.MatchString(search) {
		return "email:" + search + "*"
	}
	return search
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, v *viewer) {
	search, page := listParams(r)
	q := url.Values{"include_totals": {"true"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)},
		"fields": {"user_id,email,email_verified,name,blocked,logins_count,last_login,created_at"}}
	if search != "" {
		q.Set("q", userQuery(search))
	}
	var out struct {
		Users []user `json:"users"`
		Total int    `json:"total"`
	}
	d := userListData{Search: search}
	lay := &layoutData{Title: "Users", Nav: "users", Flash: flashFor(r), Data: &d}
	if err := v.api.do(r.Context(), "GET", "users?"+q.Encode(), nil, &out); err != nil {
		status, msg, ok := h.refusal(w, r, v, err)
		if ok {
			lay.Error = msg
			h.render(w, r, status, "users", lay, v)
		}
		return
	}
	d.Rows = out.Users
	d.Pager = newPager(Path+"users", url.Values{"q": {search}}, page, len(out.Users), out.Total)
	h.render(w, r, http.StatusOK, "users", lay, v)
}

type newUserData struct {
	Email, Name string
	Verified    bool
}

func (h *Handler) newUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "user_new", &layoutData{Title: "Create user", Nav: "users", Data: newUserData{}}, v)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := newUserData{Email: strings.TrimSpace(r.PostFormValue("email")), Name: r.PostFormValue("name"), Verified: r.PostFormValue("email_verified") == "on"}
	body := map[string]any{"connection": "Username-Password-Authentication", "email": d.Email,
		"password": r.PostFormValue("password"), "email_verified": d.Verified}
	if n := strings.TrimSpace(d.Name); n != "" {
		body["name"] = n
	}
	var created user
	if err := v.api.do(r.Context(), "POST", "users", body, &created); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.render(w, r, status, "user_new", &layoutData{Title: "Create user", Nav: "users", Error: msg, Data: d}, v)
		}
		return
	}
	redirect(w, r, Path+"users/"+url.PathEscape(created.UserID), "created")
}

// userTab is what every tab of one user reads.
type userTab struct {
	User      user
	Base      string
	Tab       string
	CanWrite  bool
	ResetLink string // a password-change ticket, shown once
	Profile   profileForm
	// Roles tab
	Roles, OtherRoles []role
	// Permissions tab
	Permissions []permission
	Available   []permission // permissions of every API the user does not hold directly
	// MFA tab
	Methods []authMethod
}

func (h *Handler) loadUser(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (userTab, bool) {
	var u user
	if err := v.api.do(r.Context(), "GET", "users/"+url.PathEscape(r.PathValue("id")), nil, &u); err != nil {
		h.apiFailed(w, r, v, err)
		return userTab{}, false
	}
	return userTab{User: u, Base: Path + "users/" + url.PathEscape(u.UserID), Tab: tab, CanWrite: v.Can("update:users"),
		Profile: profileForm{Email: u.Email, Name: u.Name, Nickname: u.Nickname}}, true
}

func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, v *viewer, status int, d userTab, msg string) {
	title := d.User.Email
	if title == "" {
		title = d.User.UserID
	}
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "user", &layoutData{Title: title, Nav: "users", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) userDetails(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadUser(w, r, v, "details"); ok {
		h.renderUser(w, r, v, http.StatusOK, d, "")
	}
}

// patchUser sends one change of a user and goes back to the tab, or shows the API's refusal.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, v *viewer, d userTab, body map[string]any, flash string) {
	if err := v.api.do(r.Context(), "PATCH", "users/"+url.PathEscape(d.User.UserID), body, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderUser(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, flash)
}

// profileForm is the Details tab's profile as typed.
type profileForm struct{ Email, Name, Nickname string }

// saveProfile changes a user's email, name and nickname. The email is sent only when it changed:
// the API marks a new address unverified, and an unchanged one must not lose its verification.
func (h *Handler) saveProfile(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	d.Profile = profileForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Nickname: strings.TrimSpace(r.PostFormValue("nickname"))}
	body := map[string]any{"name": d.Profile.Name, "nickname": d.Profile.Nickname}
	if !strings.EqualFold(d.Profile.Email, d.User.Email) {
		body["email"] = d.Profile.Email
	}
	h.patchUser(w, r, v, d, body, "saved")
}

func (h *Handler) setBlocked(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	blocked := r.PostFormValue("blocked") == "true"
	flash := "unblocked"
	if blocked {
		flash = "blocked"
	}
	h.patchUser(w, r, v, d, map[string]any{"blocked": blocked}, flash)
}

func (h *Handler) markVerified(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadUser(w, r, v, "details"); ok {
		h.patchUser(w, r, v, d, map[string]any{"email_verified": true}, "verified")
	}
}

// endSessions signs the user out everywhere (DELETE /api/v2/users/{id}/sessions): their sessions
// end, and the apps they signed in to are told over the back channel.
func (h *Handler) endSessions(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "users/"+url.PathEscape(d.User.UserID)+"/sessions", nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderUser(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "signed-out")
}

// resetLink creates a password-change ticket (POST /api/v2/tickets/password-change) and shows its
// link once, for the administrator to hand to the user.
func (h *Handler) resetLink(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	var out struct {
		Ticket string `json:"ticket"`
	}
	if err := v.api.do(r.Context(), "POST", "tickets/password-change", map[string]any{"user_id": d.User.UserID}, &out); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderUser(w, r, v, status, d, msg)
		}
		return
	}
	d.ResetLink = out.Ticket
	h.renderUser(w, r, v, http.StatusOK, d, "")
}

// resetEmail mails the user a reset link through the tenant's own reset flow
// (/dbconnections/change_password, what Auth0's dashboard does too). That endpoint is public and
// answers the same for any address, so it grants the dashboard nothing; the page offers it only to
// those whose role may create password-change tickets.
func (h *Handler) resetEmail(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	if !v.Can("create:user_tickets") {
		h.renderUser(w, r, v, http.StatusForbidden, d, "Your role may not send password resets (create:user_tickets).")
		return
	}
	if d.User.Email == "" {
		h.renderUser(w, r, v, http.StatusBadRequest, d, "This user has no email address.")
		return
	}
	if err := h.sendResetMail(r.Context(), v, d.User.Email); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "dashboard: reset mail", "err", err)
		h.renderUser(w, r, v, http.StatusBadGateway, d, "The reset email could not be sent. Try again in a moment, or create a reset link instead.")
		return
	}
	redirect(w, r, d.Base, "reset-sent")
}

func (h *Handler) sendResetMail(ctx context.Context, v *viewer, email string) error {
	b, _ := json.Marshal(map[string]string{"client_id": h.opts.ClientID, "email": email, "connection": "Username-Password-Authentication"})
	req, err := http.NewRequestWithContext(ctx, "POST", h.opts.Issuer+"dbconnections/change_password", strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if v.api.clientIP.IsValid() {
		// The reset flow's limits count the administrator's address, not the node's own.
		req.RemoteAddr = netip.AddrPortFrom(v.api.clientIP, 0).String()
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("change_password answered %d", resp.StatusCode)
	}
	return nil
}

func (h *Handler) userRolesTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "roles")
	if !ok {
		return
	}
	if h.fillUserRoles(w, r, v, &d) {
		h.renderUser(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) fillUserRoles(w http.ResponseWriter, r *http.Request, v *viewer, d *userTab) bool {
	var err error
	if d.Roles, err = walk[role](r, v.api, "users/"+url.PathEscape(d.User.UserID)+"/roles", "roles"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	all, err := walk[role](r, v.api, "roles", "roles")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.OtherRoles = slices.DeleteFunc(all, func(a role) bool {
		return slices.ContainsFunc(d.Roles, func(b role) bool { return a.ID == b.ID })
	})
	return true
}

func (h *Handler) editUserRoles(w http.ResponseWriter, r *http.Request, v *viewer, method, flash string) {
	d, ok := h.loadUser(w, r, v, "roles")
	if !ok {
		return
	}
	ids := r.PostForm["role_id"]
	if len(ids) == 0 {
		if h.fillUserRoles(w, r, v, &d) {
			h.renderUser(w, r, v, http.StatusBadRequest, d, "Choose a role.")
		}
		return
	}
	if err := v.api.do(r.Context(), method, "users/"+url.PathEscape(d.User.UserID)+"/roles", map[string]any{"roles": ids}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok && h.fillUserRoles(w, r, v, &d) {
			h.renderUser(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/roles", flash)
}

func (h *Handler) assignUserRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editUserRoles(w, r, v, "POST", "role-assigned")
}

func (h *Handler) removeUserRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editUserRoles(w, r, v, "DELETE", "role-removed")
}

func (h *Handler) userPermissionsTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "permissions")
	if !ok {
		return
	}
	if h.fillUserPermissions(w, r, v, &d) {
		h.renderUser(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) fillUserPermissions(w http.ResponseWriter, r *http.Request, v *viewer, d *userTab) bool {
	var err error
	if d.Permissions, err = walk[permission](r, v.api, "users/"+url.PathEscape(d.User.UserID)+"/permissions", "permissions"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	all, err := apiPermissions(r, v)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.Available = slices.DeleteFunc(all, func(a permission) bool {
		return slices.ContainsFunc(d.Permissions, func(b permission) bool { return a.Key() == b.Key() && b.Direct() })
	})
	return true
}

// apiPermissions lists the permissions of every API but the Management API (whose permissions are
// given through the dashboard roles, not one by one).
func apiPermissions(r *http.Request, v *viewer) ([]permission, error) {
	apis, err := walk[resourceServer](r, v.api, "resource-servers", "resource_servers")
	if err != nil {
		return nil, err
	}
	var out []permission
	for _, a := range apis {
		if a.IsSystem {
			continue
		}
		for _, s := range a.Scopes {
			out = append(out, permission{ResourceServerIdentifier: a.Identifier, ResourceServerName: a.Name, PermissionName: s.Value, Description: s.Description})
		}
	}
	return out, nil
}

func (h *Handler) editUserPermissions(w http.ResponseWriter, r *http.Request, v *viewer, method, flash string) {
	d, ok := h.loadUser(w, r, v, "permissions")
	if !ok {
		return
	}
	var perms []map[string]string
	for _, k := range r.PostForm["permission"] {
		if p, ok := parsePermissionKey(k); ok {
			perms = append(perms, p)
		}
	}
	if len(perms) == 0 {
		if h.fillUserPermissions(w, r, v, &d) {
			h.renderUser(w, r, v, http.StatusBadRequest, d, "Choose at least one permission.")
		}
		return
	}
	if err := v.api.do(r.Context(), method, "users/"+url.PathEscape(d.User.UserID)+"/permissions", map[string]any{"permissions": perms}, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok && h.fillUserPermissions(w, r, v, &d) {
			h.renderUser(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/permissions", flash)
}

func (h *Handler) addUserPermission(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editUserPermissions(w, r, v, "POST", "perms-added")
}

func (h *Handler) removeUserPermission(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editUserPermissions(w, r, v, "DELETE", "perm-removed")
}

func (h *Handler) confirmDeleteUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "user", Name: d.User.Email,
		Consequence: "They can no longer sign in, and their roles and permissions go with them.",
		Action:      d.Base + "/delete", Back: d.Base, Nav: "users", Allowed: v.Can("delete:users")})
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadUser(w, r, v, "details")
	if !ok {
		return
	}
	if !h.recentSignIn(w, r, v, "delete the user "+d.User.Email, d.Base+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "users/"+url.PathEscape(d.User.UserID), nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "user", Name: d.User.Email, Action: d.Base + "/delete", Back: d.Base, Nav: "users"})
		}
		return
	}
	redirect(w, r, Path+"users", "deleted")
}
