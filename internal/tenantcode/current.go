package tenantcode

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

const pageSize = 100

// all reads every page of a list.
func all[T any](list func(p store.Page) ([]T, int, error)) ([]T, error) {
	var out []T
	for p := 0; ; p++ {
		items, _, err := list(store.Page{Page: p, PerPage: pageSize})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < pageSize {
			return out, nil
		}
	}
}

// current reads the tenant's configuration from the store.
func current(ctx context.Context, st store.Store) (*snapshot, error) {
	s := &snapshot{managed: map[Kind]bool{}, triggers: map[string][]binding{}}
	for _, k := range Kinds {
		s.managed[k] = true
	}
	settings, err := st.GetTenantSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenant settings: %w", err)
	}
	s.settings = &settings
	if s.clients, err = all(func(p store.Page) ([]*domain.Client, int, error) {
		return st.ListClients(ctx, store.ClientFilter{}, p)
	}); err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	if s.apis, err = all(func(p store.Page) ([]*domain.ResourceServer, int, error) {
		return st.ListResourceServers(ctx, p)
	}); err != nil {
		return nil, fmt.Errorf("resource servers: %w", err)
	}
	if s.grants, err = all(func(p store.Page) ([]*domain.ClientGrant, int, error) {
		return st.ListClientGrants(ctx, store.ClientGrantFilter{}, p)
	}); err != nil {
		return nil, fmt.Errorf("client grants: %w", err)
	}
	roles, err := all(func(p store.Page) ([]*domain.Role, int, error) { return st.ListRoles(ctx, "", p) })
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	for _, r := range roles {
		perms, err := all(func(p store.Page) ([]domain.Permission, int, error) { return st.ListRolePermissions(ctx, r.ID, p) })
		if err != nil {
			return nil, fmt.Errorf("role %q: %w", r.Name, err)
		}
		s.roles = append(s.roles, &role{Role: r, perms: perms})
	}
	acts, err := all(func(p store.Page) ([]*domain.Action, int, error) { return st.ListActions(ctx, store.ActionFilter{}, p) })
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	names := map[string]string{}
	for _, a := range acts {
		deployed := false
		if a.DeployedVersionID != "" {
			v, err := st.GetActionVersion(ctx, a.ID, a.DeployedVersionID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("action %q: %w", a.Name, err)
			}
			deployed = err == nil && deployedAsIs(a, v)
		}
		names[a.ID] = a.Name
		s.actions = append(s.actions, &action{Action: a, deployed: deployed})
	}
	for _, id := range triggerIDs {
		bs, err := st.ListTriggerBindings(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("trigger %s: %w", id, err)
		}
		for _, b := range bs {
			if n, ok := names[b.ActionID]; ok {
				s.triggers[id] = append(s.triggers[id], binding{actionName: n, displayName: b.DisplayName})
			}
		}
	}
	if s.databases, err = all(func(p store.Page) ([]*domain.Connection, int, error) {
		return st.ListConnections(ctx, store.ConnectionFilter{Strategy: []string{domain.StrategyAuth0}}, p)
	}); err != nil {
		return nil, fmt.Errorf("database connections: %w", err)
	}
	if s.connections, err = all(func(p store.Page) ([]*domain.Connection, int, error) {
		return st.ListConnections(ctx, store.ConnectionFilter{Strategy: domain.UpstreamStrategies}, p)
	}); err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	if s.orgs, err = currentOrgs(ctx, st); err != nil {
		return nil, err
	}
	g, err := st.GetGuardianSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("guardian: %w", err)
	}
	s.guardian = &g
	if s.streams, err = st.ListLogStreams(ctx); err != nil {
		return nil, fmt.Errorf("log streams: %w", err)
	}
	if s.provider, err = st.GetEmailProvider(ctx); errors.Is(err, store.ErrNotFound) {
		s.provider = nil
	} else if err != nil {
		return nil, fmt.Errorf("email provider: %w", err)
	}
	for _, name := range domain.EmailTemplateNames {
		t, err := st.GetEmailTemplate(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("email template %s: %w", name, err)
		}
		s.templates = append(s.templates, t)
	}
	s.sort()
	return s, nil
}

// deployedAsIs reports whether the deployed version runs the action as it stands: the same code,
// runtime and secrets (the Management API's all_changes_deployed).
func deployedAsIs(a *domain.Action, v *domain.ActionVersion) bool {
	if a.Code != v.Code || a.Runtime != v.Runtime || len(a.Secrets) != len(v.Secrets) {
		return false
	}
	for i, s := range a.Secrets {
		if s.Name != v.Secrets[i].Name || !s.UpdatedAt.Equal(v.Secrets[i].UpdatedAt) {
			return false
		}
	}
	return true
}
