package bootstrap

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// maxOwners bounds how many administrators a tenant notice is addressed to.
const maxOwners = 100

// TenantOwners returns the addresses Auth0's "tenant owners" notices go to (an import job's
// completion email): the email of each user holding the Dashboard Admin role who is not blocked, at
// most 100; when there is none, the tenant's support_email; else none.
func TenantOwners(ctx context.Context, st store.Store) ([]string, error) {
	var out []string
	id, err := findRole(ctx, st, AdminRole)
	if err != nil {
		return nil, err
	}
	if id != "" {
		seen := map[string]bool{}
		for page := 0; len(out) < maxOwners; page++ {
			users, _, err := st.ListRoleUsers(ctx, id, store.Page{Page: page, PerPage: 100})
			if err != nil {
				return nil, fmt.Errorf("list administrators: %w", err)
			}
			for _, u := range users {
				if u.Email != "" && !u.Blocked && !seen[u.Email] && len(out) < maxOwners {
					seen[u.Email] = true
					out = append(out, u.Email)
				}
			}
			if len(users) < 100 {
				break
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	t, err := st.GetTenantSettings(ctx)
	if err != nil {
		return nil, err
	}
	if t.SupportEmail != "" {
		return []string{t.SupportEmail}, nil
	}
	return nil, nil
}
