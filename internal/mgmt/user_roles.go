package mgmt

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) listUserRoles(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	list, total, err := h.st.ListUserRoles(c.r.Context(), u.UserID, p.Page)
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

// decodeRoleIDs reads {roles:[role_id…]} and checks every role exists.
func (h *Handler) decodeRoleIDs(c *call) ([]string, bool) {
	var b struct {
		Roles *[]string `json:"roles"`
	}
	if !c.decode(&b) {
		return nil, false
	}
	if b.Roles == nil || len(*b.Roles) == 0 {
		c.invalid("roles", "Missing required property: roles (at least one role id)")
		return nil, false
	}
	for _, id := range *b.Roles {
		if _, err := h.st.GetRole(c.r.Context(), id); errors.Is(err, store.ErrNotFound) {
			c.errorf(http.StatusNotFound, nfRole.code, "The role %s does not exist.", id)
			return nil, false
		} else if err != nil {
			c.fail(err)
			return nil, false
		}
	}
	return *b.Roles, true
}

// assignUserRoles answers 204 (spec §4.4).
func (h *Handler) assignUserRoles(c *call) {
	ids, ok := h.decodeRoleIDs(c)
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	if err := h.st.AssignRolesToUser(c.r.Context(), u.UserID, ids); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}

func (h *Handler) removeUserRoles(c *call) {
	ids, ok := h.decodeRoleIDs(c)
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	if err := h.st.RemoveRolesFromUser(c.r.Context(), u.UserID, ids); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}

// listUserPermissions lists direct and role-derived permissions with their sources (spec §3.4).
func (h *Handler) listUserPermissions(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	list, total, err := h.st.ListUserPermissions(c.r.Context(), u.UserID, p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	apis := newAPICache(c.r.Context(), h.st)
	items := make([]any, len(list))
	for i, up := range list {
		items[i] = apis.view(up.Permission, up.Sources)
	}
	c.list(p, "permissions", items, total)
}

// addUserPermissions answers 201 `{}` (spec §4.4).
func (h *Handler) addUserPermissions(c *call) {
	perms, ok := h.decodePermissions(c, true)
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	if err := h.st.AddUserPermissions(c.r.Context(), u.UserID, perms); err != nil {
		c.fail(err)
		return
	}
	c.empty(http.StatusCreated)
}

func (h *Handler) removeUserPermissions(c *call) {
	perms, ok := h.decodePermissions(c, false)
	if !ok {
		return
	}
	u, ok := h.loadUser(c)
	if !ok {
		return
	}
	if err := h.st.RemoveUserPermissions(c.r.Context(), u.UserID, perms); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}
