package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// transactor runs fn in one transaction (store.Store's WithTx), for the handlers whose change spans
// several records.
type transactor interface {
	WithTx(ctx context.Context, fn func(tx store.Store) error) error
}

// ownedList serves the lists that hang off a role or a user (GET /roles/{id}/permissions,
// /users/{id}/roles, /users/{id}/permissions): offset paging, the owner the path names (owner
// returns its id or its 404), and list's page of items, already rendered.
func ownedList(key string, owner func(*call) (string, error), list func(ctx context.Context, id string, p store.Page) ([]any, int, error)) handler {
	return func(c *call) (int, any, error) {
		p, err := c.parsePaging()
		if err != nil {
			return 0, nil, err
		}
		id, err := owner(c)
		if err != nil {
			return 0, nil, err
		}
		items, total, err := list(c.ctx(), id, p.Page)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, p.list(key, items, total), nil
	}
}

// edit serves the routes that add to or take from a role's or a user's lists (permissions,
// roles): it decodes what to change, loads the owner the path names, applies op (a method
// expression of st's store interface, such as store.RoleStore.AddRolePermissions), and answers
// status with body.
func edit[S, T any](st S, op func(st S, ctx context.Context, id string, v T) error, decode func(*call) (T, error), owner func(*call) (string, error), status int, body any) handler {
	return func(c *call) (int, any, error) {
		v, err := decode(c)
		if err != nil {
			return 0, nil, err
		}
		id, err := owner(c)
		if err != nil {
			return 0, nil, err
		}
		if err := op(st, c.ctx(), id, v); err != nil {
			return 0, nil, err
		}
		return status, body, nil
	}
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

func (a *apiCache) view(p domain.Permission, sources []domain.PermissionSource) any {
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

// decodePermissions returns the decoder of {permissions:[…]}; with mustExist (adding), each
// permission must be defined by its API; removing takes any.
func decodePermissions(apis store.ResourceServerStore, mustExist bool) func(*call) ([]domain.Permission, error) {
	return func(c *call) ([]domain.Permission, error) {
		var b struct {
			Permissions *[]domain.Permission `json:"permissions"`
		}
		if err := c.decode(&b); err != nil {
			return nil, err
		}
		if b.Permissions == nil || len(*b.Permissions) == 0 {
			return nil, domain.Invalidf("permissions", "Missing required property: permissions (at least one permission)")
		}
		cache := newAPICache(c.ctx(), apis)
		for i, p := range *b.Permissions {
			f := "permissions[" + strconv.Itoa(i) + "]"
			if p.ResourceServerIdentifier == "" || p.PermissionName == "" {
				return nil, domain.Invalidf(f, "resource_server_identifier and permission_name are required")
			}
			if !mustExist {
				continue
			}
			rs, err := cache.get(p.ResourceServerIdentifier)
			if err != nil {
				return nil, err
			}
			if rs == nil {
				return nil, domain.Invalidf(f+".resource_server_identifier", "the API %q does not exist", p.ResourceServerIdentifier)
			}
			if !rs.HasScope(p.PermissionName) {
				return nil, domain.Invalidf(f+".permission_name", "%q is not a permission of the API %s", p.PermissionName, rs.Identifier)
			}
		}
		return *b.Permissions, nil
	}
}
