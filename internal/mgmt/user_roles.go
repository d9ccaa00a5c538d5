package mgmt

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roleList is a page of the user's roles.
func (g *users) roleList(ctx context.Context, id string, p store.Page) ([]any, int, error) {
	list, total, err := g.users.ListUserRoles(ctx, id, p)
	return views(list, asIs), total, err
}

// decodeRoleIDs reads {roles:[role_id…]} and checks every role exists.
func (g *users) decodeRoleIDs(c *call) ([]string, error) {
	var b struct {
		Roles *[]string `json:"roles"`
	}
	if err := c.decode(&b); err != nil {
		return nil, err
	}
	if b.Roles == nil || len(*b.Roles) == 0 {
		return nil, domain.Invalidf("roles", "Missing required property: roles (at least one role id)")
	}
	for _, id := range *b.Roles {
		if _, err := g.roles.GetRole(c.ctx(), id); errors.Is(err, store.ErrNotFound) {
			return nil, refuse(http.StatusNotFound, nfRole.code, "The role %s does not exist.", id)
		} else if err != nil {
			return nil, err
		}
	}
	return *b.Roles, nil
}

// permissions is a page of the user's direct and role-derived permissions, with their sources
// (spec §3.4).
func (g *users) permissions(ctx context.Context, id string, p store.Page) ([]any, int, error) {
	list, total, err := g.users.ListUserPermissions(ctx, id, p)
	apis := newAPICache(ctx, g.apis)
	return views(list, func(up store.UserPermission) any { return apis.view(up.Permission, up.Sources) }), total, err
}
