package mgmt

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	actiontrigger "github.com/gatehouse/gatehouse/internal/trigger"
)

// users serves /users and /users-by-email: users, their roles and their permissions.
type users struct {
	st     store.Store // the user and what it ends (refresh tokens, sessions) change in one transaction
	users  store.UserStore
	roles  store.RoleStore           // roles assigned must exist
	apis   store.ResourceServerStore // permissions are described by their APIs
	hasher password.Hasher
	now    func() time.Time
	verify VerificationMailer // nil: no verification mail
	// idTokens checks link_with tokens; idpTokens opens the providers' tokens (identities.go).
	idTokens  IDTokenVerifier
	idpTokens IdPTokenOpener
	// postChangePassword is told of a password set by PATCH; nil: no Actions.
	postChangePassword actiontrigger.PostChangePasswordRunner
}

func (h *Handler) userRoutes() []route {
	g := &users{st: h.st, users: h.st, roles: h.st, apis: h.st, hasher: h.opts.Hasher, now: h.now, verify: h.opts.Verification,
		idTokens: h.opts.IDTokens, idpTokens: h.opts.IdPTokens, postChangePassword: h.opts.PostChangePassword}
	read := []string{"read:users"}
	return append(g.identityRoutes(), []route{
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
	}...)
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
		return 0, nil, queryInvalid("search_engine", "must be v2 or v3")
	}
	var uq store.UserQuery
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		if uq, err = parseUserQuery(s); err != nil {
			return 0, nil, queryInvalid("q", "%s", err.Error())
		}
	}
	if s := q.Get("sort"); s != "" {
		if uq.Sort, err = parseUserSort(s); err != nil {
			return 0, nil, queryInvalid("sort", "%s", err.Error())
		}
	}
	if conn := q.Get("connection"); conn != "" {
		uq.Terms = append(uq.Terms, store.UserQueryTerm{Field: "connection", Value: conn})
	}
	if p.Offset()+p.Limit() > maxUserResults {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidPaging,
			"You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation")
	}
	// Counting a large tenant costs more than the page itself: only when asked, and, as Auth0's
	// search, no further than the 1,000 results it pages through (a tenant or search with more
	// reports a total of 1,000; Auth0's import/export extension shows such a count as "1000+").
	uq.SkipCount, uq.CountCap = !p.IncludeTotals, maxUserResults
	list, total, err := g.users.SearchUsers(c.ctx(), uq, p.Page)
	if err != nil {
		return 0, nil, err
	}
	items, err := g.views(c, pr, list)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("users", items, total), nil
}

// maxUserResults is how far GET /users pages, as Auth0: the first 1,000 results (exports go further).
const maxUserResults = 1000

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
	v, err := g.view(c, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.apply(v), nil
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
	items, err := g.views(c, pr, list)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, items, nil
}

// userBody is what POST and PATCH /users take (spec §4.4 Users).
type userBody struct {
	Connection    *string         `json:"connection"`
	UserID        *string         `json:"user_id"`
	Email         *string         `json:"email"`
	EmailVerified *bool           `json:"email_verified"`
	VerifyEmail   *bool           `json:"verify_email"` // whether to mail a verification link (create; an email change)
	Password      *string         `json:"password"`
	PasswordHash  *string         `json:"password_hash"` // create only: a bcrypt hash, upgraded at the first sign-in
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

// decodeUser reads a user body; connection is required on create and must name a database
// connection.
func (g *users) decodeUser(c *call, create bool) (userBody, *domain.Connection, error) {
	var b userBody
	if err := c.decode(&b); err != nil {
		return b, nil, err
	}
	if b.Connection == nil {
		if create {
			return b, nil, domain.Invalidf("connection", "Missing required property: connection")
		}
		return b, nil, nil
	}
	conn, err := g.st.GetConnectionByName(c.ctx(), *b.Connection)
	if errors.Is(err, store.ErrNotFound) {
		return b, nil, refuse(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
	}
	return b, conn, err
}

// policyRefusal is the Management API's answer to a password the connection's policy refuses:
// 400 invalid_password, "PasswordStrengthError: Password is too weak" and its siblings.
func policyRefusal(v *passwordpolicy.Violation) error {
	return refuse(http.StatusBadRequest, "invalid_password", "%s", v.Error())
}

func (g *users) create(c *call) (int, any, error) {
	b, conn, err := g.decodeUser(c, true)
	if err != nil {
		return 0, nil, err
	}
	if b.Email == nil {
		return 0, nil, domain.Invalidf("email", "Missing required property: email")
	}
	switch {
	case b.Password == nil && b.PasswordHash == nil:
		return 0, nil, domain.Invalidf("password", "Missing required property: password")
	case b.Password != nil && b.PasswordHash != nil:
		return 0, nil, domain.Invalidf("password_hash", "password and password_hash cannot be used together")
	}
	if conn.Options.RequiresUsername && (b.Username == nil || *b.Username == "") {
		return 0, nil, domain.Invalidf("username", "Missing required property: username (the connection requires one)")
	}
	now := g.now().UTC()
	u := &domain.User{UserID: domain.NewUserID(), Email: *b.Email, Connection: conn.Name, CreatedAt: now, UpdatedAt: now}
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
	policy := passwordpolicy.New(conn.Options)
	var hash string
	if b.PasswordHash != nil {
		// An imported hash: the password's strength was the old system's to check; bcrypt is
		// verified as it is and replaced with argon2id at the first sign-in.
		if hash, err = password.ImportHash(*b.PasswordHash); err != nil {
			return 0, nil, domain.Invalidf("password_hash", "%s", strings.TrimPrefix(err.Error(), "password: "))
		}
	} else {
		if v := policy.Check(*b.Password, u); v != nil {
			return 0, nil, policyRefusal(v)
		}
		if hash, err = g.hasher.Hash(*b.Password); err != nil {
			return 0, nil, err
		}
	}
	u.PasswordHash = hash
	mail, err := g.mailsVerification(c, b.VerifyEmail, u)
	if err != nil {
		return 0, nil, err
	}
	// The user, its first password-history entry and its verification mail are written together.
	ctx := c.ctx()
	err = g.st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := policy.Remember(ctx, tx, u.UserID, hash, now); err != nil {
			return err
		}
		if !mail {
			return nil
		}
		_, err := g.verify.QueueVerification(ctx, tx, u, nil)
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
	b, _, err := g.decodeUser(c, false)
	if err != nil {
		return 0, nil, err
	}
	if b.PasswordHash != nil {
		return 0, nil, domain.Invalidf("password_hash", "Payload validation error: 'Additional properties not allowed: password_hash'.")
	}
	if b.UserID != nil {
		return 0, nil, domain.Invalidf("user_id", "user_id cannot be changed")
	}
	u, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	if b.Connection != nil && *b.Connection != u.Connection {
		return 0, nil, domain.Invalidf("connection", "a user cannot move to another connection")
	}
	now := g.now().UTC()
	emailChanged := b.Email != nil && domain.NormalizeEmail(*b.Email) != u.Email
	if emailChanged {
		u.Email = domain.NormalizeEmail(*b.Email)
		u.EmailVerified = false // a new address is unverified unless the caller says otherwise
	}
	wasBlocked := u.Blocked
	b.applyProfile(u)
	if b.AppMetadata != nil {
		u.AppMetadata = mergeMetadata(u.AppMetadata, *b.AppMetadata)
	}
	if b.UserMetadata != nil {
		u.UserMetadata = mergeMetadata(u.UserMetadata, *b.UserMetadata)
	}
	if err := u.Validate(); err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	var policy *passwordpolicy.Policy
	passwordChanged := false
	if b.Password != nil {
		conn, err := g.st.GetConnectionByName(ctx, u.Connection)
		if err != nil {
			return 0, nil, err
		}
		policy = passwordpolicy.New(conn.Options)
		// Checked against the profile as it will be saved, so a new name counts too.
		v, err := policy.CheckChange(ctx, *b.Password, u, g.st, g.hasher)
		if err != nil {
			return 0, nil, err
		}
		if v != nil {
			return 0, nil, policyRefusal(v)
		}
		hash, err := g.hasher.Hash(*b.Password)
		if err != nil {
			return 0, nil, err
		}
		u.PasswordHash, u.LastPasswordReset = hash, &now
		passwordChanged = true
	}
	u.UpdatedAt = now
	// As Auth0: a new, unverified address is mailed a verification link when verify_email says so.
	mail := emailChanged && !u.EmailVerified && b.VerifyEmail != nil && *b.VerifyEmail && g.verify != nil
	err = g.st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if policy != nil {
			if err := policy.Remember(ctx, tx, u.UserID, u.PasswordHash, now); err != nil {
				return err
			}
		}
		// Blocking ends what the user holds now, in the same transaction: their refresh tokens stop
		// working and their SSO sessions end, so no silent sign-in outlives the block. A new
		// password does the same, as Auth0 with "end sessions on password change". Each app the
		// user signed in to hears it by back-channel logout.
		initiator := ""
		switch {
		case u.Blocked && !wasBlocked:
			initiator = domain.LogoutInitiatorAccountDeactivated
		case passwordChanged:
			initiator = domain.LogoutInitiatorPasswordChange
		}
		if initiator != "" {
			if err := tx.RevokeUserRefreshTokens(ctx, u.UserID, now); err != nil {
				return err
			}
			if _, err := store.EndUserSessions(ctx, tx, u.UserID, initiator); err != nil {
				return err
			}
		}
		if !mail {
			return nil
		}
		_, err := g.verify.QueueVerification(ctx, tx, u, nil)
		return err
	})
	if err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "email_conflict", "The specified new email already exists"))
	}
	if mail {
		g.verify.Kick()
	}
	if passwordChanged && g.postChangePassword != nil {
		g.postChangePassword.PostChangePassword(ctx, actiontrigger.PostChangePassword{User: u, Connection: u.Connection,
			IP: httpserver.ClientIP(ctx).String(), UserAgent: c.r.UserAgent(), Hostname: c.r.Host, Method: c.r.Method})
	}
	v, err := g.view(c, u)
	return http.StatusOK, v, err
}

func (g *users) delete(c *call) (int, any, error) {
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	// Its sessions end first, in the same transaction, so each app it signed in to hears it by
	// back-channel logout (account-deleted).
	ctx := c.ctx()
	return http.StatusNoContent, nil, g.st.WithTx(ctx, func(tx store.Store) error {
		if _, err := store.EndUserSessions(ctx, tx, id, domain.LogoutInitiatorAccountDeleted); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, id)
	})
}
