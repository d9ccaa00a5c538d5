package mgmt

import (
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// users serves /users and /users-by-email: users, their roles and their permissions.
type users struct {
	users  store.UserStore
	roles  store.RoleStore           // roles assigned must exist
	apis   store.ResourceServerStore // permissions are described by their APIs
	hasher password.Hasher
	now    func() time.Time
	tx     transactor         // a new user and its verification mail are written together
	verify VerificationMailer // nil: no verification mail
}

func (h *Handler) userRoutes() []route {
	g := &users{users: h.st, roles: h.st, apis: h.st, hasher: h.opts.Hasher, now: h.now, tx: h.st, verify: h.opts.Verification}
	read := []string{"read:users"}
	return []route{
		{method: "GET", path: "/users", scopes: read, fn: g.list},
		{method: "POST", path: "/users", scopes: []string{"create:users"}, desc: "Create a User", fn: g.create},
		{method: "GET", path: "/users/{id}", scopes: read, selfScopes: []string{"read:current_user"}, fn: g.get},
		{method: "PATCH", path: "/users/{id}", scopes: []string{"update:users", "update:users_app_metadata"}, selfScopes: []string{"update:current_user_metadata"}, desc: "Update a User", fields: userFieldScopes, fn: g.update},
		{method: "DELETE", path: "/users/{id}", scopes: []string{"delete:users"}, desc: "Delete a User", fn: g.delete},
		{method: "GET", path: "/users-by-email", scopes: read, fn: g.byEmail},
		{method: "GET", path: "/users/{id}/roles", scopes: []string{"read:users", "read:roles", "read:role_members"}, fn: ownedList("roles", g.id, g.roleList)},
		// Assigning and removing roles answer 204; adding permissions 201 `{}`, removing them 204
		// (spec §4.4).
		{method: "POST", path: "/users/{id}/roles", scopes: []string{"update:users", "create:role_members"}, desc: "Assign roles to a user",
			fn: edit(g.users, store.UserStore.AssignRolesToUser, g.decodeRoleIDs, g.id, http.StatusNoContent, nil)},
		{method: "DELETE", path: "/users/{id}/roles", scopes: []string{"update:users", "delete:role_members"}, desc: "Remove roles from a user",
			fn: edit(g.users, store.UserStore.RemoveRolesFromUser, g.decodeRoleIDs, g.id, http.StatusNoContent, nil)},
		{method: "GET", path: "/users/{id}/permissions", scopes: read, fn: ownedList("permissions", g.id, g.permissions)},
		{method: "POST", path: "/users/{id}/permissions", scopes: []string{"update:users"}, desc: "Assign permissions to a user",
			fn: edit(g.users, store.UserStore.AddUserPermissions, decodePermissions(g.apis, true), g.id, http.StatusCreated, emptyObject)},
		{method: "DELETE", path: "/users/{id}/permissions", scopes: []string{"update:users"}, desc: "Remove permissions from a user",
			fn: edit(g.users, store.UserStore.RemoveUserPermissions, decodePermissions(g.apis, false), g.id, http.StatusNoContent, nil)},
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

func (g *users) list(c *call) (int, any, error) {
	p, pr, err := c.listQuery()
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	if se := q.Get("search_engine"); se != "" && se != "v3" && se != "v2" {
		return 0, nil, queryInvalid("search_engine", "%q is not one of v2, v3", se)
	}
	if s := q.Get("sort"); s != "" && s != "created_at:1" {
		// The store lists users in creation order; other orders are not offered rather than faked.
		return 0, nil, queryInvalid("sort", "only created_at:1 is supported")
	}
	if conn := q.Get("connection"); conn != "" && conn != domain.DefaultConnection {
		return http.StatusOK, p.list("users", nil, 0), nil
	}
	var uq store.UserQuery
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		if uq, err = parseUserQuery(s); err != nil {
			return 0, nil, queryInvalid("q", "%s", err.Error())
		}
	}
	list, total, err := g.users.SearchUsers(c.ctx(), uq, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("users", views(list, pr.user), total), nil
}

// user is the view of u with the projection applied.
func (pr projection) user(u *domain.User) any { return pr.apply(viewUser(u)) }

func (g *users) load(c *call) (*domain.User, error) {
	return load(c.ctx(), g.users.GetUser, c.r.PathValue("id"), nfUser)
}

// id is the id of the user the path names, or its 404.
func (g *users) id(c *call) (string, error) {
	u, err := g.load(c)
	if err != nil {
		return "", err
	}
	return u.UserID, nil
}

func (g *users) get(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	u, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.user(u), nil
}

func (g *users) byEmail(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	email := c.r.URL.Query().Get("email")
	if email == "" {
		return 0, nil, queryInvalid("email", "Missing required property: email")
	}
	list, err := g.users.ListUsersByEmail(c.ctx(), domain.NormalizeEmail(email))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, views(list, pr.user), nil
}

// userBody is what POST and PATCH /users take (spec §4.4 Users).
type userBody struct {
	Connection    *string         `json:"connection"`
	UserID        *string         `json:"user_id"`
	Email         *string         `json:"email"`
	EmailVerified *bool           `json:"email_verified"`
	VerifyEmail   *bool           `json:"verify_email"` // whether to mail a verification link (create; an email change)
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

// decodeUser reads a user body, whose connection (required on create) can only be the database
// connection Gatehouse has.
func decodeUser(c *call, create bool) (userBody, error) {
	var b userBody
	if err := c.decode(&b); err != nil {
		return b, err
	}
	switch {
	case b.Connection == nil && create:
		return b, domain.Invalidf("connection", "Missing required property: connection")
	case b.Connection != nil && *b.Connection != domain.DefaultConnection:
		return b, refuse(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
	}
	return b, nil
}

// weakPassword refuses a new password that breaks the strength rule.
func weakPassword(pw string) error {
	if e := domain.ValidatePassword("password", pw); e != nil {
		return refuse(http.StatusBadRequest, "invalid_password", "PasswordStrengthError: Password is too weak")
	}
	return nil
}

func (g *users) create(c *call) (int, any, error) {
	b, err := decodeUser(c, true)
	if err != nil {
		return 0, nil, err
	}
	if b.Email == nil {
		return 0, nil, domain.Invalidf("email", "Missing required property: email")
	}
	if b.Password == nil {
		return 0, nil, domain.Invalidf("password", "Missing required property: password")
	}
	if err := weakPassword(*b.Password); err != nil {
		return 0, nil, err
	}
	now := g.now().UTC()
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
		return 0, nil, err
	}
	hash, err := g.hasher.Hash(*b.Password)
	if err != nil {
		return 0, nil, err
	}
	u.PasswordHash = hash
	mail, err := g.mailsVerification(c, b.VerifyEmail, u)
	if err != nil {
		return 0, nil, err
	}
	err = g.tx.WithTx(c.ctx(), func(tx store.Store) error {
		if err := tx.CreateUser(c.ctx(), u); err != nil {
			return err
		}
		if !mail {
			return nil
		}
		_, err := g.verify.QueueVerification(c.ctx(), tx, u, nil)
		return err
	})
	if err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "auth0_idp_error", "The user already exists."))
	}
	if mail {
		g.verify.Kick()
	}
	return http.StatusCreated, viewUser(u), nil
}

// mailsVerification decides, as Auth0 does, whether a new user is mailed a verification link:
// verify_email when the request says, else when the address is not verified and the
// verify_email template is enabled.
func (g *users) mailsVerification(c *call, verifyEmail *bool, u *domain.User) (bool, error) {
	switch {
	case g.verify == nil || u.Email == "":
		return false, nil
	case verifyEmail != nil:
		return *verifyEmail, nil
	case u.EmailVerified:
		return false, nil
	}
	return g.verify.VerifyEmailEnabled(c.ctx())
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

func (g *users) update(c *call) (int, any, error) {
	b, err := decodeUser(c, false)
	if err != nil {
		return 0, nil, err
	}
	if b.UserID != nil {
		return 0, nil, domain.Invalidf("user_id", "user_id cannot be changed")
	}
	var hash string
	if b.Password != nil {
		err := weakPassword(*b.Password)
		if err == nil {
			hash, err = g.hasher.Hash(*b.Password)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	u, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	now := g.now().UTC()
	emailChanged := b.Email != nil && domain.NormalizeEmail(*b.Email) != u.Email
	if emailChanged {
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
		return 0, nil, err
	}
	u.UpdatedAt = now
	// As Auth0: a new, unverified address is mailed a verification link when verify_email says so.
	mail := emailChanged && !u.EmailVerified && b.VerifyEmail != nil && *b.VerifyEmail && g.verify != nil
	err = g.tx.WithTx(c.ctx(), func(tx store.Store) error {
		if err := tx.UpdateUser(c.ctx(), u); err != nil {
			return err
		}
		if !mail {
			return nil
		}
		_, err := g.verify.QueueVerification(c.ctx(), tx, u, nil)
		return err
	})
	if err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "email_conflict", "The specified new email already exists"))
	}
	if mail {
		g.verify.Kick()
	}
	return http.StatusOK, viewUser(u), nil
}

func (g *users) delete(c *call) (int, any, error) {
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.users.DeleteUser(c.ctx(), id)
}
