package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) roleRoutes() []route {
	return []route{
		{method: "GET", path: "/roles", scopes: []string{"read:roles"}, fn: h.listRoles},
		{method: "POST", path: "/roles", scopes: []string{"create:roles"}, desc: "Create a role", fn: h.createRole},
		{method: "GET", path: "/roles/{id}", scopes: []string{"read:roles"}, fn: h.getRole},
		{method: "PATCH", path: "/roles/{id}", scopes: []string{"update:roles"}, desc: "Update a role", fn: h.updateRole},
		{method: "DELETE", path: "/roles/{id}", scopes: []string{"delete:roles"}, desc: "Delete a role", fn: h.deleteRole},
		{method: "GET", path: "/roles/{id}/permissions", scopes: []string{"read:roles"}, fn: h.listRolePermissions},
		{method: "POST", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, desc: "Add permissions to a role", fn: h.addRolePermissions},
		{method: "DELETE", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, desc: "Remove permissions from a role", fn: h.removeRolePermissions},
		{method: "GET", path: "/roles/{id}/users", scopes: []string{"read:users", "read:roles", "read:role_members"}, fn: h.listRoleUsers},
		{method: "POST", path: "/roles/{id}/users", scopes: []string{"update:roles", "create:role_members"}, desc: "Assign users to a role", fn: h.assignRoleUsers},
	}
}

type roleBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (h *Handler) listRoles(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	list, total, err := h.st.ListRoles(c.r.Context(), c.r.URL.Query().Get("name_filter"), p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, r := range list {
		items[i] = r
	}
	c.list(p, "roles", items, total)
}

func (h *Handler) loadRole(c *call) (*domain.Role, bool) {
	return load(c, h.st.GetRole, c.r.PathValue("id"), nfRole)
}

func (h *Handler) getRole(c *call) {
	if r, ok := h.loadRole(c); ok {
		c.json(http.StatusOK, r)
	}
}

// createRole answers 200, not 201, and `"description": null` when none was given, as Auth0 does
// (spec §3.4, §4.4).
func (h *Handler) createRole(c *call) {
	var b roleBody
	if !c.decode(&b) {
		return
	}
	if b.Name == nil {
		c.invalid("name", "Missing required property: name")
		return
	}
	r := &domain.Role{ID: domain.NewRoleID(), Name: *b.Name, CreatedAt: h.now().UTC()}
	if b.Description != nil {
		r.Description = *b.Description
	}
	if err := r.Validate(); err != nil {
		c.fail(err)
		return
	}
	if err := h.st.CreateRole(c.r.Context(), r); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "A role with the name %q already exists", r.Name)
			return
		}
		c.fail(err)
		return
	}
	var desc any = r.Description
	if b.Description == nil {
		desc = nil
	}
	c.json(http.StatusOK, map[string]any{"id": r.ID, "name": r.Name, "description": desc})
}

func (h *Handler) updateRole(c *call) {
	var b roleBody
	if !c.decode(&b) {
		return
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	if b.Name != nil {
		r.Name = *b.Name
	}
	if b.Description != nil {
		r.Description = *b.Description
	}
	if err := r.Validate(); err != nil {
		c.fail(err)
		return
	}
	if err := h.st.UpdateRole(c.r.Context(), r); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "A role with the name %q already exists", r.Name)
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusOK, r)
}

// deleteRole answers 200 `{}` (spec §4.4).
func (h *Handler) deleteRole(c *call) {
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	if err := h.st.DeleteRole(c.r.Context(), r.ID); err != nil {
		c.fail(err)
		return
	}
	c.empty(http.StatusOK)
}

// permissionView is a permission as role and user permission lists show it (spec §3.4).
type permissionView struct {
	PermissionName           string                    `json:"permission_name"`
	Description              string                    `json:"description"`
	ResourceServerName       string                    `json:"resource_server_name"`
	ResourceServerIdentifier string                    `json:"resource_server_identifier"`
	Sources                  []domain.PermissionSource `json:"sources,omitempty"`
}

// apiCache looks APIs up by identifier once per request.
type apiCache struct {
	ctx context.Context
	st  store.ResourceServerStore
	m   map[string]*domain.ResourceServer
}

func newAPICache(ctx context.Context, st store.ResourceServerStore) *apiCache {
	return &apiCache{ctx: ctx, st: st, m: map[string]*domain.ResourceServer{}}
}

func (a *apiCache) get(identifier string) (*domain.ResourceServer, error) {
	if rs, ok := a.m[identifier]; ok {
		return rs, nil
	}
	rs, err := a.st.GetResourceServerByIdentifier(a.ctx, identifier)
	if errors.Is(err, store.ErrNotFound) {
		rs, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.m[identifier] = rs
	return rs, nil
}

func (a *apiCache) view(p domain.Permission, sources []domain.PermissionSource) permissionView {
	v := permissionView{PermissionName: p.PermissionName, ResourceServerIdentifier: p.ResourceServerIdentifier, Sources: sources}
	if rs, _ := a.get(p.ResourceServerIdentifier); rs != nil {
		v.ResourceServerName = rs.Name
		for _, s := range rs.Scopes {
			if s.Value == p.PermissionName {
				v.Description = s.Description
			}
		}
	}
	return v
}

type permissionsBody struct {
	Permissions *[]domain.Permission `json:"permissions"`
}

// decodePermissions reads {permissions:[…]} and checks that each permission is defined by its API.
func (h *Handler) decodePermissions(c *call, mustExist bool) ([]domain.Permission, bool) {
	var b permissionsBody
	if !c.decode(&b) {
		return nil, false
	}
	if b.Permissions == nil || len(*b.Permissions) == 0 {
		c.invalid("permissions", "Missing required property: permissions (at least one permission)")
		return nil, false
	}
	apis := newAPICache(c.r.Context(), h.st)
	for i, p := range *b.Permissions {
		f := "permissions[" + strconv.Itoa(i) + "]"
		if p.ResourceServerIdentifier == "" || p.PermissionName == "" {
			c.invalid(f, "resource_server_identifier and permission_name are required")
			return nil, false
		}
		if !mustExist {
			continue
		}
		rs, err := apis.get(p.ResourceServerIdentifier)
		if err != nil {
			c.fail(err)
			return nil, false
		}
		if rs == nil {
			c.invalid(f+".resource_server_identifier", "the API %q does not exist", p.ResourceServerIdentifier)
			return nil, false
		}
		if !rs.HasScope(p.PermissionName) {
			c.invalid(f+".permission_name", "%q is not a permission of the API %s", p.PermissionName, rs.Identifier)
			return nil, false
		}
	}
	return *b.Permissions, true
}

func (h *Handler) listRolePermissions(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	list, total, err := h.st.ListRolePermissions(c.r.Context(), r.ID, p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	apis := newAPICache(c.r.Context(), h.st)
	items := make([]any, len(list))
	for i, perm := range list {
		items[i] = apis.view(perm, nil)
	}
	c.list(p, "permissions", items, total)
}

// addRolePermissions answers 201 `{}` (spec §4.4).
func (h *Handler) addRolePermissions(c *call) {
	perms, ok := h.decodePermissions(c, true)
	if !ok {
		return
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	if err := h.st.AddRolePermissions(c.r.Context(), r.ID, perms); err != nil {
		c.fail(err)
		return
	}
	c.empty(http.StatusCreated)
}

func (h *Handler) removeRolePermissions(c *call) {
	perms, ok := h.decodePermissions(c, false)
	if !ok {
		return
	}
	r, ok := h.loadRole(c)
	if !ok {
		return
	}
	if err := h.st.RemoveRolePermissions(c.r.Context(), r.ID, perms); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}
