package mgmt

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// organizations serves /organizations (spec §3.6, §4.4): organizations, their members and the
// roles members hold inside them, their enabled connections and their invitations, and
// /users/{id}/organizations.
type organizations struct {
	st     store.Store
	issuer string
	now    func() time.Time
	mail   *mailtemplate.Renderer
}

var (
	nfOrganization = &apiError{http.StatusNotFound, "", "No organization found by that id or name"}
	nfOrgMember    = &apiError{http.StatusNotFound, "", "The user is not a member of the organization"}
	nfOrgConn      = &apiError{http.StatusNotFound, "", "The connection is not enabled for the organization"}
	nfInvitation   = &apiError{http.StatusNotFound, "", "The invitation does not exist"}
)

func (h *Handler) organizationRoutes() []route {
	g := &organizations{st: h.st, issuer: h.opts.Issuer, now: h.now, mail: mailtemplate.New(h.st, h.opts.Issuer)}
	const base = "/organizations/{id}"
	return []route{
		// Only read:organizations: read:organizations_summary would need a field table saying what a
		// summary leaves out (metadata), which is not decided yet; refusing it over-serves nothing.
		{method: "GET", path: "/organizations", scopes: []string{"read:organizations"}, fn: g.list},
		{method: "POST", path: "/organizations", scopes: []string{"create:organizations"}, desc: "Create an organization", fn: g.create},
		// /organizations/name/{name} and /organizations/{id}/members (…) overlap for an organization
		// named "members": ServeMux cannot order them, so one pattern serves the name lookup and
		// each list route answers it for the names it shadows.
		{method: "GET", path: base + "/{name}", scopes: []string{"read:organizations"}, fn: g.getByName},
		{method: "GET", path: base, scopes: []string{"read:organizations"}, fn: g.get},
		{method: "PATCH", path: base, scopes: []string{"update:organizations"}, desc: "Update an organization", fn: g.update},
		{method: "DELETE", path: base, scopes: []string{"delete:organizations"}, desc: "Delete an organization", fn: g.delete},

		{method: "GET", path: base + "/members", scopes: []string{"read:organization_members", "read:organizations"},
			fn: g.orByName("members", "read:organization_members", g.listMembers)},
		{method: "POST", path: base + "/members", scopes: []string{"create:organization_members"}, desc: "Add organization members", fn: g.addMembers},
		{method: "DELETE", path: base + "/members", scopes: []string{"delete:organization_members"}, desc: "Remove organization members", fn: g.removeMembers},
		{method: "GET", path: base + "/members/{user_id}/roles", scopes: []string{"read:organization_member_roles"}, fn: g.listMemberRoles},
		{method: "POST", path: base + "/members/{user_id}/roles", scopes: []string{"create:organization_member_roles"}, desc: "Assign roles to an organization member",
			fn: g.editMemberRoles(store.OrganizationStore.AddOrganizationMemberRoles)},
		{method: "DELETE", path: base + "/members/{user_id}/roles", scopes: []string{"delete:organization_member_roles"}, desc: "Remove roles from an organization member",
			fn: g.editMemberRoles(store.OrganizationStore.RemoveOrganizationMemberRoles)},

		{method: "GET", path: base + "/enabled_connections", scopes: []string{"read:organization_connections", "read:organizations"},
			fn: g.orByName("enabled_connections", "read:organization_connections", g.listConnections)},
		{method: "POST", path: base + "/enabled_connections", scopes: []string{"create:organization_connections"}, desc: "Enable a connection for an organization", fn: g.addConnection},
		{method: "GET", path: base + "/enabled_connections/{connection_id}", scopes: []string{"read:organization_connections"}, fn: g.getConnection},
		{method: "PATCH", path: base + "/enabled_connections/{connection_id}", scopes: []string{"update:organization_connections"}, desc: "Update an organization's connection", fn: g.updateConnection},
		{method: "DELETE", path: base + "/enabled_connections/{connection_id}", scopes: []string{"delete:organization_connections"}, desc: "Disable a connection for an organization", fn: g.removeConnection},

		{method: "GET", path: base + "/invitations", scopes: []string{"read:organization_invitations", "read:organizations"},
			fn: g.orByName("invitations", "read:organization_invitations", g.listInvitations)},
		{method: "POST", path: base + "/invitations", scopes: []string{"create:organization_invitations"}, desc: "Invite a user to an organization", fn: g.createInvitation},
		{method: "GET", path: base + "/invitations/{invitation_id}", scopes: []string{"read:organization_invitations"}, fn: g.getInvitation},
		{method: "DELETE", path: base + "/invitations/{invitation_id}", scopes: []string{"delete:organization_invitations"}, desc: "Delete an invitation", fn: g.deleteInvitation},

		{method: "GET", path: "/users/{id}/organizations", scopes: []string{"read:users", "read:organizations"}, fn: g.userOrganizations},
	}
}

// orgConnectionBody is an enabled connection as POST and PATCH take it.
type orgConnectionBody struct {
	ConnectionID            *string `json:"connection_id"`
	AssignMembershipOnLogin *bool   `json:"assign_membership_on_login"`
	ShowAsButton            *bool   `json:"show_as_button"`
	IsSignupEnabled         *bool   `json:"is_signup_enabled"`
}

type organizationBody struct {
	Name               *string                      `json:"name"`
	DisplayName        *string                      `json:"display_name"`
	Branding           *domain.OrganizationBranding `json:"branding"`
	Metadata           *map[string]string           `json:"metadata"`
	EnabledConnections *[]orgConnectionBody         `json:"enabled_connections"`
}

// organizationView shows metadata as {} when there is none, as Auth0 does.
func organizationView(o *domain.Organization) any {
	v := struct {
		*domain.Organization
		Metadata map[string]string `json:"metadata"`
	}{Organization: o, Metadata: o.Metadata}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	return v
}

func organizationNameTaken(name string) error {
	return refuse(http.StatusConflict, "conflict", "An organization with the name %q already exists.", name)
}

// checkpoint reports whether the request pages by from/take, and reads the cursor: the key of the
// last item of the previous page, opaque to the client.
func (c *call) keyCheckpoint() (bool, store.Cursor, error) {
	q := c.r.URL.Query()
	if !q.Has("from") && !q.Has("take") {
		return false, store.Cursor{}, nil
	}
	cur := store.Cursor{Take: 50}
	if s := q.Get("take"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return true, cur, queryInvalid("take", "Expected an integer between 1 and 100")
		}
		cur.Take = n
	}
	if s := q.Get("from"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) < 2 || b[0] != 'k' {
			return true, cur, queryInvalid("from", "Invalid checkpoint")
		}
		cur.After = string(b[1:])
	}
	return true, cur, nil
}

func encodeKeyCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("k" + key))
}

func checkpointList(key string, items []any, next string) any {
	out := map[string]any{key: items}
	if next != "" {
		out["next"] = encodeKeyCursor(next)
	}
	return out
}

func (g *organizations) list(c *call) (int, any, error) {
	cp, cur, err := c.keyCheckpoint()
	if err != nil {
		return 0, nil, err
	}
	if cp {
		list, next, err := g.st.ListOrganizationsAfter(c.ctx(), cur)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, checkpointList("organizations", views(list, organizationView), next), nil
	}
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.st.ListOrganizations(c.ctx(), p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("organizations", views(list, organizationView), total), nil
}

func (g *organizations) load(c *call) (*domain.Organization, error) {
	return load(c.ctx(), g.st.GetOrganization, c.r.PathValue("id"), nfOrganization)
}

func (g *organizations) id(c *call) (string, error) {
	o, err := g.load(c)
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

func (g *organizations) get(c *call) (int, any, error) {
	o, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, organizationView(o), nil
}

// getByName serves GET /organizations/name/{name}; any other /organizations/{id}/{x} is no route.
func (g *organizations) getByName(c *call) (int, any, error) {
	if c.r.PathValue("id") != "name" {
		return 0, nil, errNoRoute
	}
	return g.byName(c, c.r.PathValue("name"))
}

// orByName serves a list route, or the name lookup of an organization named like the list.
func (g *organizations) orByName(name, scope string, list handler) handler {
	return func(c *call) (int, any, error) {
		if c.r.PathValue("id") == "name" {
			if !hasAnyScope(c.who.scopes, []string{"read:organizations"}) {
				return 0, nil, refuse(http.StatusForbidden, codeInsufficientScope, "Insufficient scope, expected any of: read:organizations")
			}
			return g.byName(c, name)
		}
		if !hasAnyScope(c.who.scopes, []string{scope}) {
			return 0, nil, refuse(http.StatusForbidden, codeInsufficientScope, "Insufficient scope, expected any of: %s", scope)
		}
		return list(c)
	}
}

func (g *organizations) byName(c *call, name string) (int, any, error) {
	o, err := load(c.ctx(), g.st.GetOrganizationByName, name, nfOrganization)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, organizationView(o), nil
}

func (b *organizationBody) apply(o *domain.Organization) {
	if b.Name != nil {
		o.Name = *b.Name
	}
	if b.DisplayName != nil {
		o.DisplayName = *b.DisplayName
	}
	if b.Branding != nil {
		o.Branding = b.Branding
	}
	if b.Metadata != nil {
		o.Metadata = *b.Metadata
	}
}

// create stores the organization and the connections it names in one transaction: a connection
// that does not exist leaves no organization behind.
func (g *organizations) create(c *call) (int, any, error) {
	var b organizationBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name == nil {
		return 0, nil, domain.Invalidf("name", "Missing required property: name")
	}
	o := &domain.Organization{ID: domain.NewOrganizationID(), CreatedAt: g.now().UTC()}
	b.apply(o)
	if err := o.Validate(); err != nil {
		return 0, nil, err
	}
	var conns []*domain.OrganizationConnection
	if b.EnabledConnections != nil {
		for i, cb := range *b.EnabledConnections {
			oc, err := cb.connection(o.ID, nil)
			if err != nil {
				return 0, nil, err
			}
			for _, prev := range conns[:i] {
				if prev.ConnectionID == oc.ConnectionID {
					return 0, nil, domain.Invalidf("enabled_connections", "lists connection %s twice", oc.ConnectionID)
				}
			}
			conns = append(conns, oc)
		}
	}
	ctx := c.ctx()
	err := g.st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateOrganization(ctx, o); err != nil {
			return onConflict(err, organizationNameTaken(o.Name))
		}
		for _, oc := range conns {
			if err := tx.AddOrganizationConnection(ctx, oc); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nfConnection
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, organizationView(o), nil
}

func (g *organizations) update(c *call) (int, any, error) {
	var b organizationBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.EnabledConnections != nil {
		return 0, nil, domain.Invalidf("enabled_connections", "cannot be changed here; use /organizations/{id}/enabled_connections")
	}
	o, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	b.apply(o)
	if err := o.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.st.UpdateOrganization(c.ctx(), o); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfOrganization
		}
		return 0, nil, onConflict(err, organizationNameTaken(o.Name))
	}
	return http.StatusOK, organizationView(o), nil
}

func (g *organizations) delete(c *call) (int, any, error) {
	id, err := g.id(c)
	if err == nil {
		err = g.st.DeleteOrganization(c.ctx(), id)
	}
	return http.StatusNoContent, nil, err
}
