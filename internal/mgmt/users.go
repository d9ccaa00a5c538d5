package mgmt

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) userRoutes() []route {
	read := []string{"read:users"}
	return []route{
		{method: "GET", path: "/users", scopes: read, fn: h.listUsers},
		{method: "POST", path: "/users", scopes: []string{"create:users"}, desc: "Create a User", fn: h.createUser},
		{method: "GET", path: "/users/{id}", scopes: read, selfScopes: []string{"read:current_user"}, fn: h.getUser},
		{method: "PATCH", path: "/users/{id}", scopes: []string{"update:users", "update:users_app_metadata"}, selfScopes: []string{"update:current_user_metadata"}, desc: "Update a User", fields: userFieldScopes, fn: h.updateUser},
		{method: "DELETE", path: "/users/{id}", scopes: []string{"delete:users"}, desc: "Delete a User", fn: h.deleteUser},
		{method: "GET", path: "/users-by-email", scopes: read, fn: h.usersByEmail},
		{method: "GET", path: "/users/{id}/roles", scopes: []string{"read:users", "read:roles", "read:role_members"}, fn: h.listUserRoles},
		{method: "POST", path: "/users/{id}/roles", scopes: []string{"update:users", "create:role_members"}, desc: "Assign roles to a user", fn: h.assignUserRoles},
		{method: "DELETE", path: "/users/{id}/roles", scopes: []string{"update:users", "delete:role_members"}, desc: "Remove roles from a user", fn: h.removeUserRoles},
		{method: "GET", path: "/users/{id}/permissions", scopes: read, fn: h.listUserPermissions},
		{method: "POST", path: "/users/{id}/permissions", scopes: []string{"update:users"}, desc: "Assign permissions to a user", fn: h.addUserPermissions},
		{method: "DELETE", path: "/users/{id}/permissions", scopes: []string{"update:users"}, desc: "Remove permissions from a user", fn: h.removeUserPermissions},
	}
}

// userFieldScopes: update:users_app_metadata changes app_metadata and nothing else; a user's own
// token with update:current_user_metadata changes user_metadata and nothing else; every other field
// (password, email, blocked, profile) needs update:users. Auth0's "Manage Users Using the Management
// API", "Get Management API Tokens for Single-Page Applications" and PATCH /api/v2/users/{id}
// describe the scopes this way.
var userFieldScopes = &fieldScopes{
	fields: map[string][]string{
		"app_metadata":  {"update:users", "update:users_app_metadata"},
		"user_metadata": {"update:users", "update:current_user_metadata"},
	},
	others: []string{"update:users"},
}

// userView is a user as the Management API returns it (spec §3.5). domain.User gives the password
// hash no JSON name, so it cannot leak through here.
type userView struct {
	*domain.User
	Identities        []domain.Identity `json:"identities"`
	CreatedAt         string            `json:"created_at,omitempty"`
	UpdatedAt         string            `json:"updated_at,omitempty"`
	LastLogin         string            `json:"last_login,omitempty"`
	LastIP            string            `json:"last_ip,omitempty"`
	LoginsCount       int               `json:"logins_count"`
	LastPasswordReset string            `json:"last_password_reset,omitempty"`
}

func viewUser(u *domain.User) userView {
	return userView{
		User: u, Identities: u.Identities(), CreatedAt: isoTime(u.CreatedAt), UpdatedAt: isoTime(u.UpdatedAt),
		LastLogin: isoTimePtr(u.LastLogin), LastIP: u.LastIP, LoginsCount: u.LoginsCount,
		LastPasswordReset: isoTimePtr(u.LastPasswordReset),
	}
}

func (h *Handler) listUsers(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	pr, ok := c.projection()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	if se := q.Get("search_engine"); se != "" && se != "v3" && se != "v2" {
		c.queryInvalid("search_engine", "%q is not one of v2, v3", se)
		return
	}
	if s := q.Get("sort"); s != "" && s != "created_at:1" {
		// The store lists users in creation order; other orders are not offered rather than faked.
		c.queryInvalid("sort", "only created_at:1 is supported")
		return
	}
	if conn := q.Get("connection"); conn != "" && conn != domain.DefaultConnection {
		c.list(p, "users", nil, 0)
		return
	}
	var uq store.UserQuery
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		var err error
		if uq, err = parseUserQuery(s); err != nil {
			c.queryInvalid("q", "%s", err.Error())
			return
		}
	}
	list, total, err := h.st.SearchUsers(c.r.Context(), uq, p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, u := range list {
		items[i] = pr.apply(viewUser(u))
	}
	c.list(p, "users", items, total)
}

func (h *Handler) loadUser(c *call) (*domain.User, bool) {
	return load(c, h.st.GetUser, c.r.PathValue("id"), nfUser)
}

func (h *Handler) getUser(c *call) {
	pr, ok := c.projection()
	if !ok {
		return
	}
	if u, ok := h.loadUser(c); ok {
		c.json(http.StatusOK, pr.apply(viewUser(u)))
	}
}

func (h *Handler) usersByEmail(c *call) {
	pr, ok := c.projection()
	if !ok {
		return
	}
	email := c.r.URL.Query().Get("email")
	if email == "" {
		c.queryInvalid("email", "Missing required property: email")
		return
	}
	list, err := h.st.ListUsersByEmail(c.r.Context(), domain.NormalizeEmail(email))
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, u := range list {
		items[i] = pr.apply(viewUser(u))
	}
	c.json(http.StatusOK, items)
}

// userBody is what POST and PATCH /users take (spec §4.4 Users).
type userBody struct {
	Connection    *string         `json:"connection"`
	UserID        *string         `json:"user_id"`
	Email         *string         `json:"email"`
	EmailVerified *bool           `json:"email_verified"`
	VerifyEmail   *bool           `json:"verify_email"` // accepted; Gatehouse sends no email
	Password      *string         `json:"password"`
	Username      *string         `json:"username"`
	PhoneNumber   *string         `json:"phone_number"`
	PhoneVerified *bool           `json:"phone_verified"`
	Name          *string         `json:"name"`
	Nickname      *string         `json:"nickname"`
	GivenName     *string         `json:"given_name"`
	FamilyName    *string         `json:"family_name"`
	Picture       *string         `json:"picture"`
	Blocked       *bool           `json:"blocked"`
	AppMetadata   *map[string]any `json:"app_metadata"`
	UserMetadata  *map[string]any `json:"user_metadata"`
	ClientID      *string         `json:"client_id"` // accepted on PATCH, as Auth0 does; unused
}

func (b *userBody) applyProfile(u *domain.User) {
	for _, f := range []struct {
		dst *string
		src *string
	}{{&u.Username, b.Username}, {&u.PhoneNumber, b.PhoneNumber}, {&u.Name, b.Name}, {&u.Nickname, b.Nickname},
		{&u.GivenName, b.GivenName}, {&u.FamilyName, b.FamilyName}, {&u.Picture, b.Picture}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if b.EmailVerified != nil {
		u.EmailVerified = *b.EmailVerified
	}
	if b.Blocked != nil {
		u.Blocked = *b.Blocked
	}
}

// checkConnection accepts only the database connection Gatehouse has.
func checkConnection(c *call, conn *string, required bool) bool {
	if conn == nil {
		if required {
			c.invalid("connection", "Missing required property: connection")
			return false
		}
		return true
	}
	if *conn != domain.DefaultConnection {
		c.errorf(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
		return false
	}
	return true
}

func (h *Handler) createUser(c *call) {
	var b userBody
	if !c.decode(&b) {
		return
	}
	if !checkConnection(c, b.Connection, true) {
		return
	}
	if b.Email == nil {
		c.invalid("email", "Missing required property: email")
		return
	}
	if b.Password == nil {
		c.invalid("password", "Missing required property: password")
		return
	}
	if e := domain.ValidatePassword("password", *b.Password); e != nil {
		c.errorf(http.StatusBadRequest, "invalid_password", "PasswordStrengthError: Password is too weak")
		return
	}
	now := h.now().UTC()
	u := &domain.User{UserID: domain.NewUserID(), Email: *b.Email, Connection: domain.DefaultConnection, CreatedAt: now, UpdatedAt: now}
	if b.UserID != nil {
		// Auth0 takes the identity's id and prefixes the provider (spec §3.5).
		u.UserID = *b.UserID
		if !strings.Contains(u.UserID, "|") {
			u.UserID = "auth0|" + u.UserID
		}
	}
	b.applyProfile(u)
	if b.AppMetadata != nil {
		u.AppMetadata = mergeMetadata(nil, *b.AppMetadata)
	}
	if b.UserMetadata != nil {
		u.UserMetadata = mergeMetadata(nil, *b.UserMetadata)
	}
	domain.ApplyUserDefaults(u)
	if err := u.Validate(); err != nil {
		c.fail(err)
		return
	}
	hash, err := h.opts.Hasher.Hash(*b.Password)
	if err != nil {
		c.fail(err)
		return
	}
	u.PasswordHash = hash
	if err := h.st.CreateUser(c.r.Context(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "auth0_idp_error", "The user already exists.")
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusCreated, viewUser(u))
}

// mergeMetadata merges patch into base at the top level; a key set to null is removed (spec §3.5).
func mergeMetadata(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (h *Handler) updateUser(c *call) {
	var b userBody
	if !c.decode(&b) {
		return
	}
	if !checkConnection(c, b.Connection, false) {
		return
	}
	if b.UserID != nil {
		c.invalid("user_id", "user_id cannot be changed")
		return
	}
	var hash string
	if b.Password != nil {
		if e := domain.ValidatePassword("password", *b.Password); e != nil {
			c.errorf(http.StatusBadRequest, "invalid_password", "PasswordStrengthError: Password is too weak")
			return
		}
		var err error
		if hash, err = h.opts.Hasher.Hash(*b.Password); err != nil {
			c.fail(err)
			return
		}
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	now := h.now().UTC()
	if b.Email != nil && domain.NormalizeEmail(*b.Email) != u.Email {
		u.Email = domain.NormalizeEmail(*b.Email)
		u.EmailVerified = false // a new address is unverified unless the caller says otherwise
	}
	b.applyProfile(u)
	if b.AppMetadata != nil {
		u.AppMetadata = mergeMetadata(u.AppMetadata, *b.AppMetadata)
	}
	if b.UserMetadata != nil {
		u.UserMetadata = mergeMetadata(u.UserMetadata, *b.UserMetadata)
	}
	if hash != "" {
		u.PasswordHash = hash
		u.LastPasswordReset = &now
	}
	if err := u.Validate(); err != nil {
		c.fail(err)
		return
	}
	u.UpdatedAt = now
	if err := h.st.UpdateUser(c.r.Context(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "email_conflict", "The specified new email already exists")
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusOK, viewUser(u))
}

func (h *Handler) deleteUser(c *call) {
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	if err := h.st.DeleteUser(c.r.Context(), u.UserID); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}
