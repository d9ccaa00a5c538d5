package mgmt

// An organization's members, the roles they hold in it, its enabled connections, and a user's
// organizations (/organizations/{id}/members, …/enabled_connections, /users/{id}/organizations).

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// orgMember is a member as GET /organizations/{id}/members lists them; roles only when asked with
// fields=roles.
type orgMember struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Picture string `json:"picture,omitempty"`
	Roles   []any  `json:"roles,omitempty"`
}

func (g *organizations) listMembers(c *call) (int, any, error) {
	cp, cur, err := c.keyCheckpoint()
	if err != nil {
		return 0, nil, err
	}
	p, err := c.parsePaging()
	if err != nil && !cp {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	withRoles := false
	for _, f := range strings.Split(c.r.URL.Query().Get("fields"), ",") {
		withRoles = withRoles || strings.TrimSpace(f) == "roles"
	}
	ctx := c.ctx()
	view := func(list []*domain.User) ([]any, error) {
		items := make([]any, 0, len(list))
		for _, u := range list {
			m := orgMember{UserID: u.UserID, Email: u.Email, Name: u.Name, Picture: u.Picture}
			if withRoles {
				roles, _, err := g.st.ListOrganizationMemberRoles(ctx, id, u.UserID, store.Page{PerPage: 100})
				if err != nil {
					return nil, err
				}
				m.Roles = []any{}
				for _, r := range roles {
					m.Roles = append(m.Roles, map[string]string{"id": r.ID, "name": r.Name})
				}
			}
			items = append(items, m)
		}
		return items, nil
	}
	if cp {
		list, next, err := g.st.ListOrganizationMembersAfter(ctx, id, cur)
		if err != nil {
			return 0, nil, err
		}
		items, err := view(list)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, checkpointList("members", items, next), nil
	}
	list, total, err := g.st.ListOrganizationMembers(ctx, id, p.Page)
	if err != nil {
		return 0, nil, err
	}
	items, err := view(list)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("members", items, total), nil
}

func decodeIDList(c *call, field string) ([]string, error) {
	var b map[string]*[]string
	if err := c.decode(&b); err != nil {
		return nil, err
	}
	for k := range b {
		if k != field {
			return nil, refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Additional properties not allowed: %s'.", k)
		}
	}
	list := b[field]
	if list == nil || len(*list) == 0 {
		return nil, domain.Invalidf(field, "Missing required property: %s (at least one id)", field)
	}
	if len(*list) > 10 && field == "members" {
		return nil, domain.Invalidf(field, "at most 10 members at a time")
	}
	for _, v := range *list {
		if v == "" {
			return nil, domain.Invalidf(field, "ids must not be empty")
		}
	}
	return *list, nil
}

// addMembers answers 204. Every user must exist, or nobody is added; a user already a member is
// not an error (Auth0 answers 204 too).
func (g *organizations) addMembers(c *call) (int, any, error) {
	ids, err := decodeIDList(c, "members")
	if err != nil {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.AddOrganizationMembers(c.ctx(), id, ids); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfUser
		}
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (g *organizations) removeMembers(c *call) (int, any, error) {
	ids, err := decodeIDList(c, "members")
	if err != nil {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.st.RemoveOrganizationMembers(c.ctx(), id, ids)
}

// member checks the organization and the membership the path names.
func (g *organizations) member(c *call) (orgID, userID string, err error) {
	if orgID, err = g.id(c); err != nil {
		return "", "", err
	}
	userID = c.r.PathValue("user_id")
	ok, err := g.st.IsOrganizationMember(c.ctx(), orgID, userID)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", nfOrgMember
	}
	return orgID, userID, nil
}

func (g *organizations) listMemberRoles(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	orgID, userID, err := g.member(c)
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.st.ListOrganizationMemberRoles(c.ctx(), orgID, userID, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("roles", views(list, asIs), total), nil
}

// editMemberRoles adds or removes roles of a member, answering 204. Every role must exist.
func (g *organizations) editMemberRoles(op func(store.OrganizationStore, context.Context, string, string, []string) error) handler {
	return func(c *call) (int, any, error) {
		ids, err := decodeIDList(c, "roles")
		if err != nil {
			return 0, nil, err
		}
		orgID, userID, err := g.member(c)
		if err != nil {
			return 0, nil, err
		}
		ctx := c.ctx()
		for _, r := range ids {
			if _, err := load(ctx, g.st.GetRole, r, nfRole); err != nil {
				return 0, nil, err
			}
		}
		if err := op(g.st, ctx, orgID, userID, ids); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, nil, nfOrgMember
			}
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	}
}

// connection builds an enabled connection from the body, onto prev for a PATCH. Auth0's rule: a
// connection that lets members sign up must also assign membership on login.
func (b orgConnectionBody) connection(orgID string, prev *domain.OrganizationConnection) (*domain.OrganizationConnection, error) {
	oc := &domain.OrganizationConnection{OrganizationID: orgID, ShowAsButton: true}
	if prev != nil {
		oc = prev
		if b.ConnectionID != nil {
			return nil, domain.Invalidf("connection_id", "cannot be changed")
		}
	} else {
		if b.ConnectionID == nil || *b.ConnectionID == "" {
			return nil, domain.Invalidf("connection_id", "Missing required property: connection_id")
		}
		oc.ConnectionID = *b.ConnectionID
	}
	if b.AssignMembershipOnLogin != nil {
		oc.AssignMembershipOnLogin = *b.AssignMembershipOnLogin
	}
	if b.ShowAsButton != nil {
		oc.ShowAsButton = *b.ShowAsButton
	}
	if b.IsSignupEnabled != nil {
		oc.IsSignupEnabled = *b.IsSignupEnabled
	}
	if oc.IsSignupEnabled && !oc.AssignMembershipOnLogin {
		return nil, domain.Invalidf("is_signup_enabled", "requires assign_membership_on_login")
	}
	return oc, nil
}

func orgConnectionView(oc *domain.OrganizationConnection) any {
	return map[string]any{
		"connection_id": oc.ConnectionID, "assign_membership_on_login": oc.AssignMembershipOnLogin,
		"show_as_button": oc.ShowAsButton, "is_signup_enabled": oc.IsSignupEnabled,
		"connection": map[string]string{"name": oc.ConnectionName, "strategy": oc.Strategy},
	}
}

func (g *organizations) listConnections(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	list, err := g.st.ListOrganizationConnections(c.ctx(), id)
	if err != nil {
		return 0, nil, err
	}
	total := len(list)
	start := min(p.Offset(), total)
	page := list[start:min(start+p.Limit(), total)]
	return http.StatusOK, p.list("enabled_connections", views(page, orgConnectionView), total), nil
}

func (g *organizations) addConnection(c *call) (int, any, error) {
	var b orgConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	oc, err := b.connection(id, nil)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.AddOrganizationConnection(c.ctx(), oc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfConnection
		}
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "conflict", "The connection is already enabled for this organization."))
	}
	return http.StatusCreated, orgConnectionView(oc), nil
}

func (g *organizations) loadConnection(c *call) (*domain.OrganizationConnection, error) {
	id, err := g.id(c)
	if err != nil {
		return nil, err
	}
	oc, err := g.st.GetOrganizationConnection(c.ctx(), id, c.r.PathValue("connection_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nfOrgConn
	}
	return oc, err
}

func (g *organizations) getConnection(c *call) (int, any, error) {
	oc, err := g.loadConnection(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orgConnectionView(oc), nil
}

func (g *organizations) updateConnection(c *call) (int, any, error) {
	var b orgConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	prev, err := g.loadConnection(c)
	if err != nil {
		return 0, nil, err
	}
	oc, err := b.connection(prev.OrganizationID, prev)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.UpdateOrganizationConnection(c.ctx(), oc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfOrgConn
		}
		return 0, nil, err
	}
	return http.StatusOK, orgConnectionView(oc), nil
}

func (g *organizations) removeConnection(c *call) (int, any, error) {
	oc, err := g.loadConnection(c)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.RemoveOrganizationConnection(c.ctx(), oc.OrganizationID, oc.ConnectionID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfOrgConn
		}
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (g *organizations) userOrganizations(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.st.ListUserOrganizations(c.ctx(), c.r.PathValue("id"), p.Page)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfUser
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("organizations", views(list, organizationView), total), nil
}
