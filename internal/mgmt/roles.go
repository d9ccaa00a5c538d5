package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roles serves /roles: roles, their permissions (described by their APIs) and their members.
type roles struct {
	roles store.RoleStore
	apis  store.ResourceServerStore
	tx    transactor // assigning users checks and assigns them in one transaction
	now   func() time.Time
}

func (h *Handler) roleRoutes() []route {
	g := &roles{roles: h.st, apis: h.st, tx: h.st, now: h.now}
	return []route{
		{method: "GET", path: "/roles", scopes: []string{"read:roles"}, fn: g.list},
		{method: "POST", path: "/roles", scopes: []string{"create:roles"}, desc: "Create a role", fn: g.create},
		{method: "GET", path: "/roles/{id}", scopes: []string{"read:roles"}, fn: g.get},
		{method: "PATCH", path: "/roles/{id}", scopes: []string{"update:roles"}, desc: "Update a role", fn: g.update},
		{method: "DELETE", path: "/roles/{id}", scopes: []string{"delete:roles"}, desc: "Delete a role", fn: g.delete},
		{method: "GET", path: "/roles/{id}/permissions", scopes: []string{"read:roles"}, fn: ownedList("permissions", g.id, g.permissions)},
		// Adding answers 201 `{}`, removing 204 (spec §4.4).
		{method: "POST", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, desc: "Add permissions to a role",
			fn: edit(g.roles, store.RoleStore.AddRolePermissions, decodePermissions(g.apis, true), g.id, http.StatusCreated, emptyObject)},
		{method: "DELETE", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, desc: "Remove permissions from a role",
			fn: edit(g.roles, store.RoleStore.RemoveRolePermissions, decodePermissions(g.apis, false), g.id, http.StatusNoContent, nil)},
		{method: "GET", path: "/roles/{id}/users", scopes: []string{"read:users", "read:roles", "read:role_members"}, fn: g.listUsers},
		{method: "POST", path: "/roles/{id}/users", scopes: []string{"update:roles", "create:role_members"}, desc: "Assign users to a role", fn: g.assignUsers},
	}
}

type roleBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (g *roles) list(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.roles.ListRoles(c.ctx(), c.r.URL.Query().Get("name_filter"), p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("roles", views(list, asIs), total), nil
}

func (g *roles) load(c *call) (*domain.Role, error) {
	return load(c.ctx(), g.roles.GetRole, c.r.PathValue("id"), nfRole)
}

// id is the id of the role the path names, or its 404.
func (g *roles) id(c *call) (string, error) {
	r, err := g.load(c)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

func (g *roles) get(c *call) (int, any, error) {
	r, err := g.load(c)
	return http.StatusOK, r, err
}

// nameTaken is the 409 for a role name already in use.
func nameTaken(r *domain.Role) error {
	return refuse(http.StatusConflict, "conflict", "A role with the name %q already exists", r.Name)
}

// create answers 200, not 201, and `"description": null` when none was given, as Auth0 does
// (spec §3.4, §4.4).
func (g *roles) create(c *call) (int, any, error) {
	var b roleBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.Name == nil {
		return 0, nil, domain.Invalidf("name", "Missing required property: name")
	}
	r := &domain.Role{ID: domain.NewRoleID(), Name: *b.Name, CreatedAt: g.now().UTC()}
	if b.Description != nil {
		r.Description = *b.Description
	}
	if err := r.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.roles.CreateRole(c.ctx(), r); err != nil {
		return 0, nil, onConflict(err, nameTaken(r))
	}
	var desc any = r.Description
	if b.Description == nil {
		desc = nil
	}
	return http.StatusOK, map[string]any{"id": r.ID, "name": r.Name, "description": desc}, nil
}

func (g *roles) update(c *call) (int, any, error) {
	var b roleBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	r, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	if b.Name != nil {
		r.Name = *b.Name
	}
	if b.Description != nil {
		r.Description = *b.Description
	}
	if err := r.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.roles.UpdateRole(c.ctx(), r); err != nil {
		return 0, nil, onConflict(err, nameTaken(r))
	}
	return http.StatusOK, r, nil
}

// delete answers 200 `{}` (spec §4.4).
func (g *roles) delete(c *call) (int, any, error) {
	id, err := g.id(c)
	if err == nil {
		err = g.roles.DeleteRole(c.ctx(), id)
	}
	return http.StatusOK, emptyObject, err
}

// permissions is a page of the role's permissions, each described by its API.
func (g *roles) permissions(ctx context.Context, id string, p store.Page) ([]any, int, error) {
	list, total, err := g.roles.ListRolePermissions(ctx, id, p)
	apis := newAPICache(ctx, g.apis)
	return views(list, func(p domain.Permission) any { return apis.view(p, nil) }), total, err
}
