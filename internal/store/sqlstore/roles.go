package sqlstore

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Roles, role permissions and the user↔role and user↔permission links. Permissions name their API
// by identifier (as Auth0's permission lists do); links to roles and users cascade on delete.

func (s *Store) CreateRole(ctx context.Context, r *domain.Role) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now().UTC()
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create role", RoleInsert, r.ID, r.Name, r.Description, ts(r.CreatedAt))
	})
}

func (s *Store) GetRole(ctx context.Context, id string) (*domain.Role, error) {
	return s.getRole(ctx, s.reader(ctx), id)
}

func (s *Store) getRole(ctx context.Context, q querier, id string) (*domain.Role, error) {
	return getOne(ctx, s, q, scanRole, "role", id, RoleGet, id)
}

func (s *Store) UpdateRole(ctx context.Context, r *domain.Role) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update role", "role", r.ID, RoleUpdate, r.ID, r.Name, r.Description)
	})
}

// DeleteRole deletes the role; its permissions and user links go by ON DELETE CASCADE.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete role", "role", id, RoleDelete, id)
	})
}

// ListRoles filters on a case-insensitive substring of the name, as Auth0's name_filter does.
func (s *Store) ListRoles(ctx context.Context, nameFilter string, p store.Page) ([]*domain.Role, int, error) {
	var w where
	if nameFilter != "" {
		w.add(`lower(name) LIKE ` + w.arg("%"+escapeLike(strings.ToLower(nameFilter))+"%") + ` ESCAPE '\'`)
	}
	return listWhere(ctx, s, "roles", scanRole, RoleCount, RoleSelect, &w, "name, id", p)
}

// scanRole reads id, name, description, created_at.
func scanRole(r scanner) (*domain.Role, error) {
	var (
		role    domain.Role
		created int64
	)
	if err := r.Scan(&role.ID, &role.Name, &role.Description, &created); err != nil {
		return nil, err
	}
	role.CreatedAt = fromTS(created)
	return &role, nil
}

func (s *Store) AddRolePermissions(ctx context.Context, roleID string, perms []domain.Permission) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getRole(ctx, q, roleID); err != nil {
			return err
		}
		for _, p := range perms {
			if err := s.exec(ctx, q, "add role permissions", RolePermissionInsert, roleID, p.ResourceServerIdentifier,
				p.PermissionName); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RemoveRolePermissions(ctx context.Context, roleID string, perms []domain.Permission) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getRole(ctx, q, roleID); err != nil {
			return err
		}
		for _, p := range perms {
			if err := s.exec(ctx, q, "remove role permissions", RolePermissionDelete, roleID,
				p.ResourceServerIdentifier, p.PermissionName); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListRolePermissions(ctx context.Context, roleID string, p store.Page) ([]domain.Permission, int, error) {
	q := s.reader(ctx)
	if _, err := s.getRole(ctx, q, roleID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "role permissions", scanPermission, RolePermissionCount, RolePermissionList, roleID, p)
}

func scanPermission(r scanner) (domain.Permission, error) {
	var p domain.Permission
	err := r.Scan(&p.ResourceServerIdentifier, &p.PermissionName)
	return p, err
}

func (s *Store) AssignUsersToRole(ctx context.Context, roleID string, userIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getRole(ctx, q, roleID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if _, err := s.getUser(ctx, q, id); err != nil {
				return err
			}
			if err := s.exec(ctx, q, "assign users to role", UserRoleInsert, id, roleID, ts(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListRoleUsers(ctx context.Context, roleID string, p store.Page) ([]*domain.User, int, error) {
	q := s.reader(ctx)
	if _, err := s.getRole(ctx, q, roleID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "role users", scanUser, RoleUserCount, RoleUserList, roleID, p)
}

func (s *Store) AssignRolesToUser(ctx context.Context, userID string, roleIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getUser(ctx, q, userID); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if _, err := s.getRole(ctx, q, id); err != nil {
				return err
			}
			if err := s.exec(ctx, q, "assign roles to user", UserRoleInsert, userID, id, ts(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RemoveRolesFromUser(ctx context.Context, userID string, roleIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getUser(ctx, q, userID); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if err := s.exec(ctx, q, "remove roles from user", UserRoleDelete, userID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListUserRoles(ctx context.Context, userID string, p store.Page) ([]*domain.Role, int, error) {
	q := s.reader(ctx)
	if _, err := s.getUser(ctx, q, userID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "user roles", scanRole, UserRoleCount, UserRoleList, userID, p)
}

func (s *Store) AddUserPermissions(ctx context.Context, userID string, perms []domain.Permission) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getUser(ctx, q, userID); err != nil {
			return err
		}
		for _, p := range perms {
			if err := s.exec(ctx, q, "add user permissions", UserPermissionInsert, userID, p.ResourceServerIdentifier,
				p.PermissionName); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RemoveUserPermissions(ctx context.Context, userID string, perms []domain.Permission) error {
	return s.write(ctx, func(q querier) error {
		if _, err := s.getUser(ctx, q, userID); err != nil {
			return err
		}
		for _, p := range perms {
			if err := s.exec(ctx, q, "remove user permissions", UserPermissionDelete, userID,
				p.ResourceServerIdentifier, p.PermissionName); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListUserPermissions merges direct and role-derived grants of the same permission into one entry
// listing every source, then pages over the merged list (sorted by API and name).
func (s *Store) ListUserPermissions(ctx context.Context, userID string, p store.Page) ([]store.UserPermission, int, error) {
	q := s.reader(ctx)
	if _, err := s.getUser(ctx, q, userID); err != nil {
		return nil, 0, err
	}
	rows, err := q.QueryContext(ctx, s.q[UserPermissionSources], userID)
	if err != nil {
		return nil, 0, s.mapErr("list user permissions", err)
	}
	defer rows.Close()
	merged := []store.UserPermission{}
	for rows.Next() {
		var (
			perm domain.Permission
			src  domain.PermissionSource
		)
		if err := rows.Scan(&perm.ResourceServerIdentifier, &perm.PermissionName, &src.SourceID, &src.SourceName,
			&src.SourceType); err != nil {
			return nil, 0, s.mapErr("list user permissions", err)
		}
		if n := len(merged); n > 0 && merged[n-1].Permission == perm {
			merged[n-1].Sources = append(merged[n-1].Sources, src)
			continue
		}
		merged = append(merged, store.UserPermission{Permission: perm, Sources: []domain.PermissionSource{src}})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.mapErr("list user permissions", err)
	}
	total := len(merged)
	lo := min(p.Offset(), total)
	hi := min(lo+p.Limit(), total)
	return merged[lo:hi], total, nil
}

func (s *Store) UserPermissionNames(ctx context.Context, userID, audience string) ([]string, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[UserPermissionNames], userID, audience)
	if err != nil {
		return nil, s.mapErr("user permission names", err)
	}
	names, err := scanAll(rows, scanString)
	return names, s.mapErr("user permission names", err)
}
