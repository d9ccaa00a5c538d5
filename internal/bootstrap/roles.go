package bootstrap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The dashboard roles, found by name.
const (
	AdminRole    = "Dashboard Admin"
	ReadOnlyRole = "Dashboard Read-only"
)

// Options name the tenant's Management API.
type Options struct {
	// ManagementAudience is the Management API identifier: the issuer followed by api/v2/.
	ManagementAudience string
	// ManagementScopes are every Management API permission (mgmt.Scopes()).
	ManagementScopes []string
	Now              func() time.Time
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

// secretReads are read:* permissions a read-only administrator does not get: each reads a
// credential or token material rather than configuration.
var secretReads = map[string]bool{
	"read:client_keys": true, "read:client_credentials": true, "read:user_idp_tokens": true,
	"read:scim_token": true, "read:encryption_keys": true, "read:flows_vault": true,
	"read:flows_vault_connections": true,
}

// ReadOnlyScopes returns the read:* permissions of all that reveal no credential.
func ReadOnlyScopes(all []string) []string {
	var out []string
	for _, s := range all {
		if strings.HasPrefix(s, "read:") && !secretReads[s] {
			out = append(out, s)
		}
	}
	return out
}

// DashboardRoles are the ids of the two dashboard roles.
type DashboardRoles struct{ Admin, ReadOnly string }

// EnsureDashboardRoles creates the dashboard roles when missing and gives them their Management API
// permissions for o.ManagementAudience (which follows the issuer), adding and never removing. Run
// it in a transaction; when nodes start together, the one whose role insert is refused with
// store.ErrConflict runs it again (see app).
func EnsureDashboardRoles(ctx context.Context, tx store.Store, o Options) (DashboardRoles, error) {
	admin, err := ensureRole(ctx, tx, o, AdminRole, "Administers this tenant in the dashboard", o.ManagementScopes)
	if err != nil {
		return DashboardRoles{}, err
	}
	ro, err := ensureRole(ctx, tx, o, ReadOnlyRole, "Reads this tenant's configuration in the dashboard",
		ReadOnlyScopes(o.ManagementScopes))
	if err != nil {
		return DashboardRoles{}, err
	}
	return DashboardRoles{Admin: admin, ReadOnly: ro}, nil
}

func ensureRole(ctx context.Context, tx store.Store, o Options, name, description string, scopes []string) (string, error) {
	id, err := findRole(ctx, tx, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		r := &domain.Role{ID: domain.NewRoleID(), Name: name, Description: description, CreatedAt: o.now()}
		if err := tx.CreateRole(ctx, r); err != nil {
			return "", fmt.Errorf("create role %q: %w", name, err)
		}
		id = r.ID
	}
	perms := make([]domain.Permission, len(scopes))
	for i, s := range scopes {
		perms[i] = domain.Permission{ResourceServerIdentifier: o.ManagementAudience, PermissionName: s}
	}
	if err := tx.AddRolePermissions(ctx, id, perms); err != nil {
		return "", fmt.Errorf("give role %q its permissions: %w", name, err)
	}
	return id, nil
}

// findRole returns the id of the role named exactly name, or "" when there is none. ListRoles
// filters by substring, so the exact name is checked here.
func findRole(ctx context.Context, st store.RoleStore, name string) (string, error) {
	for page := 0; ; page++ {
		roles, _, err := st.ListRoles(ctx, name, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return "", fmt.Errorf("find role %q: %w", name, err)
		}
		for _, r := range roles {
			if r.Name == name {
				return r.ID, nil
			}
		}
		if len(roles) < 100 {
			return "", nil
		}
	}
}

// HasAdministrator reports whether some user holds the Dashboard Admin role.
func HasAdministrator(ctx context.Context, st store.RoleStore) (bool, error) {
	id, err := findRole(ctx, st, AdminRole)
	if err != nil || id == "" {
		return false, err
	}
	_, total, err := st.ListRoleUsers(ctx, id, store.Page{PerPage: 1})
	if err != nil {
		return false, fmt.Errorf("list administrators: %w", err)
	}
	return total > 0, nil
}
