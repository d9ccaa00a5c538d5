package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// connections serves /connections: database connections, their options (the password policy,
// signup, brute-force protection) and the applications each is enabled for.
type connections struct {
	st      store.Store // a connection's users are deleted with it, in one transaction
	now     func() time.Time
	secrets ConnectionSecrets // upstream connections (connections_upstream.go)
	// callbackURL is the node's /login/callback: a samlp connection's ACS and entity id derive from it.
	callbackURL string
}

func (h *Handler) connectionRoutes() []route {
	g := &connections{st: h.st, now: h.now, secrets: h.opts.ConnectionSecrets,
		callbackURL: strings.TrimSuffix(h.opts.Issuer, "/") + "/login/callback"}
	read := []string{"read:connections"}
	update := []string{"update:connections"}
	return []route{
		{method: "GET", path: "/connections", scopes: read, fn: g.list},
		{method: "POST", path: "/connections", scopes: []string{"create:connections"}, desc: "Create a connection", fn: g.create},
		{method: "GET", path: "/connections/{id}", scopes: read, fn: g.get},
		{method: "PATCH", path: "/connections/{id}", scopes: update, desc: "Update a connection", fn: g.update},
		{method: "DELETE", path: "/connections/{id}", scopes: []string{"delete:connections"}, desc: "Delete a connection", fn: g.delete},
		{method: "GET", path: "/connections/{id}/clients", scopes: read, fn: g.clients},
		{method: "GET", path: "/connections/{id}/keys", scopes: []string{"read:connections_keys"}, fn: g.keys},
		{method: "POST", path: "/connections/{id}/keys/rotate", scopes: []string{"update:connections_keys"}, desc: "Rotate connection keys", fn: g.rotateKeys},
		{method: "PATCH", path: "/connections/{id}/clients", scopes: update, desc: "Update enabled clients for a connection", fn: g.setClients},
		{method: "DELETE", path: "/connections/{id}/users", scopes: []string{"delete:users"}, desc: "Delete a connection user", fn: g.deleteUser},
	}
}

// nfConnectionByID is Auth0's 404 for a connection the path names.
var nfConnectionByID = &apiError{http.StatusNotFound, "inexistent_connection", "The connection does not exist"}

// connectionView is a connection as the Management API shows it, with enabled_clients (deprecated
// by Auth0 in favour of /connections/{id}/clients, still returned and accepted).
type connectionView struct {
	*domain.Connection
	EnabledClients []string `json:"enabled_clients"`
}

func viewConnection(c *domain.Connection) connectionView {
	ec := c.EnabledClients
	if ec == nil {
		ec = []string{}
	}
	return connectionView{Connection: c, EnabledClients: ec}
}

func (pr projection) connection(c *domain.Connection) any { return pr.apply(viewConnection(c)) }

// list serves offset and checkpoint paging; strategy (repeatable or comma-separated) and name
// filter.
func (g *connections) list(c *call) (int, any, error) {
	q := c.r.URL.Query()
	checkpoint := q.Has("from") || q.Has("take")
	p, pr, err := c.listQuery()
	if err != nil {
		return 0, nil, err
	}
	var offset int
	if checkpoint {
		if offset, p.PerPage, err = c.parseCheckpoint(); err != nil {
			return 0, nil, err
		}
	}
	var f store.ConnectionFilter
	for _, s := range q["strategy"] {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.Strategy = append(f.Strategy, part)
			}
		}
	}
	f.Name = q.Get("name")
	pg, skip := p.Page, 0
	if checkpoint {
		pg, skip = pageAt(offset, p.PerPage)
	}
	list, total, err := g.listConnections(c, f, pg, q.Get("domain_alias"))
	if err != nil {
		return 0, nil, err
	}
	items := views(list[min(skip, len(list)):], pr.connection)
	if !checkpoint {
		return http.StatusOK, p.list("connections", items, total), nil
	}
	out := map[string]any{"connections": items}
	if next := offset + len(items); len(items) > 0 && next < total {
		out["next"] = encodeCursor(next)
	}
	return http.StatusOK, out, nil
}

func (g *connections) load(c *call) (*domain.Connection, error) {
	return load(c.ctx(), g.st.GetConnection, c.r.PathValue("id"), nfConnectionByID)
}

func (g *connections) get(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.connection(conn), nil
}

// connectionOptionsBody is options as a caller sends them: pointers, so that an omitted
// brute_force_protection keeps its secure default.
type connectionOptionsBody struct {
	PasswordPolicy            *string                           `json:"passwordPolicy"`
	PasswordComplexityOptions *domain.PasswordComplexityOptions `json:"password_complexity_options"`
	PasswordHistory           *domain.PasswordHistoryOptions    `json:"password_history"`
	PasswordNoPersonalInfo    *domain.EnableOption              `json:"password_no_personal_info"`
	PasswordDictionary        *domain.PasswordDictionaryOptions `json:"password_dictionary"`
	DisableSignup             *bool                             `json:"disable_signup"`
	RequiresUsername          *bool                             `json:"requires_username"`
	BruteForceProtection      *bool                             `json:"brute_force_protection"`
	StrategyVersion           *int                              `json:"strategy_version"`
	DisableSelfServiceChange  *bool                             `json:"disable_self_service_change_password"`
	upstreamOptionsBody
	samlOptionsBody
}

// options builds the whole options object: Auth0 replaces options as a whole on PATCH. Brute-force
// protection stays on unless the caller turns it off explicitly (Gatehouse policy: an update that
// only meant to change the password policy must not drop it silently).
func (b *connectionOptionsBody) options() domain.ConnectionOptions {
	o := domain.ConnectionOptions{
		PasswordComplexityOptions: b.PasswordComplexityOptions, PasswordHistory: b.PasswordHistory,
		PasswordNoPersonalInfo: b.PasswordNoPersonalInfo, PasswordDictionary: b.PasswordDictionary,
		BruteForceProtection: true, UpstreamOptions: b.upstreamOptionsBody.options(), SAMLOptions: b.samlOptionsBody.options(),
	}
	if b.PasswordPolicy != nil {
		o.PasswordPolicy = *b.PasswordPolicy
	}
	if b.DisableSignup != nil {
		o.DisableSignup = *b.DisableSignup
	}
	if b.RequiresUsername != nil {
		o.RequiresUsername = *b.RequiresUsername
	}
	if b.BruteForceProtection != nil {
		o.BruteForceProtection = *b.BruteForceProtection
	}
	if b.StrategyVersion != nil {
		o.StrategyVersion = *b.StrategyVersion
	}
	if b.DisableSelfServiceChange != nil {
		o.DisableSelfServiceChangePassword = *b.DisableSelfServiceChange
	}
	return o
}

// connectionBody is what POST and PATCH /connections take. name and strategy are refused on PATCH
// (Auth0 does not change them).
type connectionBody struct {
	Name               *string                `json:"name"`
	Strategy           *string                `json:"strategy"`
	DisplayName        *string                `json:"display_name"`
	Options            *connectionOptionsBody `json:"options"`
	EnabledClients     *[]string              `json:"enabled_clients"`
	IsDomainConnection *bool                  `json:"is_domain_connection"`
	Realms             *[]string              `json:"realms"`
	Metadata           *map[string]string     `json:"metadata"`
	ShowAsButton       *bool                  `json:"show_as_button"`
}

func (b *connectionBody) apply(conn *domain.Connection) {
	if b.DisplayName != nil {
		conn.DisplayName = *b.DisplayName
	}
	if b.Options != nil {
		conn.Options = b.Options.options()
	}
	if b.EnabledClients != nil {
		conn.EnabledClients = dedupe(*b.EnabledClients)
	}
	if b.IsDomainConnection != nil {
		conn.IsDomainConnection = *b.IsDomainConnection
	}
	if b.Realms != nil {
		conn.Realms = *b.Realms
	}
	if b.Metadata != nil {
		conn.Metadata = *b.Metadata
	}
	if b.ShowAsButton != nil {
		conn.ShowAsButton = b.ShowAsButton
	}
}

func dedupe(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func (g *connections) create(c *call) (int, any, error) {
	var b connectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Name == nil:
		return 0, nil, domain.Invalidf("name", "Missing required property: name")
	case b.Strategy == nil:
		return 0, nil, domain.Invalidf("strategy", "Missing required property: strategy")
	}
	now := g.now().UTC()
	conn := &domain.Connection{ID: domain.NewConnectionID(), Name: *b.Name, Strategy: *b.Strategy,
		Options: domain.ConnectionOptions{BruteForceProtection: true}, CreatedAt: now}
	b.apply(conn)
	domain.ApplyConnectionDefaults(conn)
	if err := g.loadMetadata(c, conn); err != nil {
		return 0, nil, err
	}
	if err := conn.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.checkClients(c, conn.EnabledClients); err != nil {
		return 0, nil, err
	}
	if err := g.saveUpstream(c, conn); err != nil {
		return 0, nil, err
	}
	err := g.st.CreateConnection(c.ctx(), conn)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfClient // a client deleted between the check and the write
	}
	if err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "connection_conflict", "A connection with the same name already exists"))
	}
	return http.StatusCreated, viewConnection(conn), nil
}

// checkClients refuses enabled clients that do not exist, naming the first.
func (g *connections) checkClients(c *call, ids []string) error {
	for _, id := range ids {
		if _, err := g.st.GetClient(c.ctx(), id); errors.Is(err, store.ErrNotFound) {
			return domain.Invalidf("enabled_clients", "%q is not a client", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (g *connections) update(c *call) (int, any, error) {
	var b connectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name != nil || b.Strategy != nil {
		field := "name"
		if b.Name == nil {
			field = "strategy"
		}
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Additional properties not allowed: %s'.", field)
	}
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	before := conn.Options.SAMLOptions
	b.apply(conn)
	if err := keepSAMLKey(before, conn); err != nil {
		return 0, nil, err
	}
	domain.ApplyConnectionDefaults(conn)
	if err := g.loadMetadata(c, conn); err != nil {
		return 0, nil, err
	}
	if err := conn.Validate(); err != nil {
		return 0, nil, err
	}
	if b.EnabledClients != nil {
		if err := g.checkClients(c, conn.EnabledClients); err != nil {
			return 0, nil, err
		}
	}
	if err := g.saveUpstream(c, conn); err != nil {
		return 0, nil, err
	}
	if err := g.st.UpdateConnection(c.ctx(), conn); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfConnectionByID
		}
		return 0, nil, err
	}
	return http.StatusOK, viewConnection(conn), nil
}

// delete deletes the connection and its users; Auth0 answers 202 ("The connection is being
// deleted"). The tenant's default directory is refused (Gatehouse policy): every hosted sign-in
// uses it, and deleting it would delete every user at once.
func (g *connections) delete(c *call) (int, any, error) {
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	ts, err := g.st.GetTenantSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	if conn.Name == ts.DefaultDirectory || conn.Name == domain.DefaultConnection {
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "The tenant's default directory connection cannot be deleted.")
	}
	if err := g.st.DeleteConnection(c.ctx(), conn.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfConnectionByID
		}
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// enabledClient is one item of GET /connections/{id}/clients.
type enabledClient struct {
	ClientID string `json:"client_id"`
}

// clients is GET /connections/{id}/clients: checkpoint paging (take, from), {clients, next}.
func (g *connections) clients(c *call) (int, any, error) {
	offset, take, err := c.parseCheckpoint()
	if err != nil {
		return 0, nil, err
	}
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	all := conn.EnabledClients
	start := min(offset, len(all))
	page := all[start:min(start+take, len(all))]
	items := make([]enabledClient, len(page))
	for i, id := range page {
		items[i] = enabledClient{ClientID: id}
	}
	out := map[string]any{"clients": items}
	if next := start + len(page); len(page) > 0 && next < len(all) {
		out["next"] = encodeCursor(next)
	}
	return http.StatusOK, out, nil
}

// setClients is PATCH /connections/{id}/clients: [{client_id, status}], 1 to 50 items → 204.
func (g *connections) setClients(c *call) (int, any, error) {
	var b []struct {
		ClientID *string `json:"client_id"`
		Status   *bool   `json:"status"`
	}
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if len(b) == 0 || len(b) > 50 {
		return 0, nil, domain.Invalidf("", "Expected an array of 1 to 50 items")
	}
	status := make(map[string]bool, len(b))
	for _, it := range b {
		if it.ClientID == nil || it.Status == nil {
			return 0, nil, domain.Invalidf("", "Missing required property: client_id and status")
		}
		status[*it.ClientID] = *it.Status
	}
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	for id, on := range status {
		if on {
			if err := g.checkClients(c, []string{id}); err != nil {
				return 0, nil, err
			}
		}
	}
	err = g.st.SetConnectionClients(c.ctx(), conn.ID, status)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfClient
	}
	return http.StatusNoContent, nil, err
}

// deleteUser is DELETE /connections/{id}/users?email=: the connection's user with that email → 204.
func (g *connections) deleteUser(c *call) (int, any, error) {
	email := c.r.URL.Query().Get("email")
	if email == "" {
		return 0, nil, queryInvalid("email", "Missing required property: email")
	}
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	u, err := g.st.GetUserByEmail(c.ctx(), conn.Name, domain.NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfUser
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.st.DeleteUser(c.ctx(), u.UserID)
}
