package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Organizations: id and name are columns (the name is the unique slug /authorize accepts), the
// rest a JSON document. Members, member roles, enabled connections and invitations are rows of their
// own tables, so that deleting an organization, user, role or connection cascades to them; a
// member's roles hang off the membership, so ending it ends them.

func init() {
	for key, fm := range map[string][2]string{
		"organizations.id":                       {"id", "The organization already exists."},
		"organizations.name":                     {"name", "An organization with this name already exists."},
		"organization_connections.connection_id": {"connection_id", "The connection is already enabled for this organization."},
		"organization_invitations.id":            {"id", "The invitation already exists."},
	} {
		conflictErrors[key] = fm
	}
}

func (s *Store) CreateOrganization(ctx context.Context, o *domain.Organization) error {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.now().UTC()
	}
	o.UpdatedAt = o.CreatedAt
	doc, err := marshal(o)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create organization", OrgInsert, o.ID, o.Name, ts(o.CreatedAt), ts(o.UpdatedAt), doc)
	})
}

func (s *Store) GetOrganization(ctx context.Context, id string) (*domain.Organization, error) {
	return getOne(ctx, s, s.reader(ctx), scanOrganization, "organization", id, OrgGet, id)
}

func (s *Store) GetOrganizationByName(ctx context.Context, name string) (*domain.Organization, error) {
	return getOne(ctx, s, s.reader(ctx), scanOrganization, "organization named", name, OrgGetByName, name)
}

func (s *Store) UpdateOrganization(ctx context.Context, o *domain.Organization) error {
	o.UpdatedAt = s.now().UTC()
	doc, err := marshal(o)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update organization", "organization", o.ID, OrgUpdate, o.ID, o.Name, ts(o.UpdatedAt), doc)
	})
}

func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete organization", "organization", id, OrgDelete, id)
	})
}

func (s *Store) ListOrganizations(ctx context.Context, p store.Page) ([]*domain.Organization, int, error) {
	var w where
	return listWhere(ctx, s, "organizations", scanOrganization, OrgCount, OrgSelect, &w, "id", p)
}

func (s *Store) ListOrganizationsAfter(ctx context.Context, c store.Cursor) ([]*domain.Organization, string, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[OrgAfter], c.After, c.Limit()+1)
	if err != nil {
		return nil, "", s.mapErr("list organizations", err)
	}
	list, err := scanAll(rows, scanOrganization)
	if err != nil {
		return nil, "", s.mapErr("list organizations", err)
	}
	list, next := cut(list, c.Limit(), func(o *domain.Organization) string { return o.ID })
	return list, next, nil
}

// cut keeps the first limit items of a list read with one more than a page; when there was more,
// next is the key of the last item kept.
func cut[T any](list []T, limit int, key func(T) string) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, key(list[limit-1])
}

func (s *Store) orgExists(ctx context.Context, q querier, id string) error {
	_, err := getOne(ctx, s, q, scanOrganization, "organization", id, OrgGet, id)
	return err
}

// AddOrganizationMembers inserts each membership with ON CONFLICT DO NOTHING: a second insert of the
// same pair, from this request or a concurrent one, is no membership more. An unknown user fails
// the foreign key and the whole change rolls back.
func (s *Store) AddOrganizationMembers(ctx context.Context, orgID string, userIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if err := s.orgExists(ctx, q, orgID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if _, err := s.getUser(ctx, q, id); err != nil {
				return err
			}
			if err := s.exec(ctx, q, "add organization member", OrgMemberInsert, orgID, id, ts(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RemoveOrganizationMembers(ctx context.Context, orgID string, userIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if err := s.orgExists(ctx, q, orgID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if err := s.exec(ctx, q, "remove organization member", OrgMemberDelete, orgID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) IsOrganizationMember(ctx context.Context, orgID, userID string) (bool, error) {
	n, err := count(ctx, s.reader(ctx), s.q[OrgMemberExists], orgID, userID)
	if err != nil {
		return false, s.mapErr("check organization member", err)
	}
	return n > 0, nil
}

func (s *Store) ListOrganizationMembers(ctx context.Context, orgID string, p store.Page) ([]*domain.User, int, error) {
	q := s.reader(ctx)
	if err := s.orgExists(ctx, q, orgID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "organization members", scanUser, OrgMemberCount, OrgMemberList, orgID, p)
}

func (s *Store) ListOrganizationMembersAfter(ctx context.Context, orgID string, c store.Cursor) ([]*domain.User, string, error) {
	q := s.reader(ctx)
	if err := s.orgExists(ctx, q, orgID); err != nil {
		return nil, "", err
	}
	rows, err := q.QueryContext(ctx, s.q[OrgMemberAfter], orgID, c.After, c.Limit()+1)
	if err != nil {
		return nil, "", s.mapErr("list organization members", err)
	}
	list, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, "", s.mapErr("list organization members", err)
	}
	list, next := cut(list, c.Limit(), func(u *domain.User) string { return u.UserID })
	return list, next, nil
}

func (s *Store) ListUserOrganizations(ctx context.Context, userID string, p store.Page) ([]*domain.Organization, int, error) {
	q := s.reader(ctx)
	if _, err := s.getUser(ctx, q, userID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "user organizations", scanOrganization, UserOrgCount, UserOrgList, userID, p)
}

// memberExists fails with ErrNotFound when the user is not a member of the organization.
func (s *Store) memberExists(ctx context.Context, q querier, orgID, userID string) error {
	if err := s.orgExists(ctx, q, orgID); err != nil {
		return err
	}
	n, err := count(ctx, q, s.q[OrgMemberExists], orgID, userID)
	if err != nil {
		return s.mapErr("check organization member", err)
	}
	if n == 0 {
		return notFound("organization member", userID)
	}
	return nil
}

func (s *Store) AddOrganizationMemberRoles(ctx context.Context, orgID, userID string, roleIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if err := s.memberExists(ctx, q, orgID, userID); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if _, err := s.getRole(ctx, q, id); err != nil {
				return err
			}
			if err := s.exec(ctx, q, "add organization member role", OrgMemberRoleInsert, orgID, userID, id, ts(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RemoveOrganizationMemberRoles(ctx context.Context, orgID, userID string, roleIDs []string) error {
	return s.write(ctx, func(q querier) error {
		if err := s.memberExists(ctx, q, orgID, userID); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if err := s.exec(ctx, q, "remove organization member role", OrgMemberRoleDelete, orgID, userID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListOrganizationMemberRoles(ctx context.Context, orgID, userID string, p store.Page) ([]*domain.Role, int, error) {
	q := s.reader(ctx)
	if err := s.memberExists(ctx, q, orgID, userID); err != nil {
		return nil, 0, err
	}
	return listPage(ctx, s, q, "organization member roles", scanRole, s.q[OrgMemberRoleCount], []any{orgID, userID},
		s.q[OrgMemberRoleList], []any{orgID, userID, p.Limit(), p.Offset()})
}

func (s *Store) OrganizationMemberPermissionNames(ctx context.Context, orgID, userID, audience string) ([]string, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[OrgMemberPermissions], orgID, userID, audience)
	if err != nil {
		return nil, s.mapErr("list organization member permissions", err)
	}
	list, err := scanAll(rows, scanString)
	return list, s.mapErr("list organization member permissions", err)
}

func (s *Store) AddOrganizationConnection(ctx context.Context, c *domain.OrganizationConnection) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	return s.write(ctx, func(q querier) error {
		if err := s.orgExists(ctx, q, c.OrganizationID); err != nil {
			return err
		}
		conn, err := getOne(ctx, s, q, scanConnection, "connection", c.ConnectionID, ConnectionGet, c.ConnectionID)
		if err != nil {
			return err
		}
		c.ConnectionName, c.Strategy = conn.Name, conn.Strategy
		return s.exec(ctx, q, "enable organization connection", OrgConnectionInsert, c.OrganizationID, c.ConnectionID,
			c.AssignMembershipOnLogin, c.ShowAsButton, c.IsSignupEnabled, ts(c.CreatedAt))
	})
}

func (s *Store) GetOrganizationConnection(ctx context.Context, orgID, connectionID string) (*domain.OrganizationConnection, error) {
	return getOne(ctx, s, s.reader(ctx), scanOrgConnection, "organization connection", connectionID, OrgConnectionGet, orgID, connectionID)
}

func (s *Store) UpdateOrganizationConnection(ctx context.Context, c *domain.OrganizationConnection) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update organization connection", "organization connection", c.ConnectionID, OrgConnectionUpdate,
			c.OrganizationID, c.ConnectionID, c.AssignMembershipOnLogin, c.ShowAsButton, c.IsSignupEnabled)
	})
}

func (s *Store) RemoveOrganizationConnection(ctx context.Context, orgID, connectionID string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "disable organization connection", "organization connection", connectionID, OrgConnectionDelete, orgID, connectionID)
	})
}

func (s *Store) ListOrganizationConnections(ctx context.Context, orgID string) ([]*domain.OrganizationConnection, error) {
	q := s.reader(ctx)
	if err := s.orgExists(ctx, q, orgID); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, s.q[OrgConnectionList], orgID)
	if err != nil {
		return nil, s.mapErr("list organization connections", err)
	}
	list, err := scanAll(rows, scanOrgConnection)
	return list, s.mapErr("list organization connections", err)
}

func (s *Store) CreateInvitation(ctx context.Context, inv *domain.Invitation) error {
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = s.now().UTC()
	}
	doc, err := marshal(inv)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if err := s.orgExists(ctx, q, inv.OrganizationID); err != nil {
			return err
		}
		return s.exec(ctx, q, "create invitation", InvitationInsert, inv.ID, inv.OrganizationID, inv.TicketHash,
			ts(inv.CreatedAt), ts(inv.ExpiresAt), doc)
	})
}

func (s *Store) GetInvitation(ctx context.Context, orgID, id string) (*domain.Invitation, error) {
	return getOne(ctx, s, s.reader(ctx), scanInvitation, "invitation", id, InvitationGet, orgID, id)
}

func (s *Store) DeleteInvitation(ctx context.Context, orgID, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete invitation", "invitation", id, InvitationDelete, orgID, id)
	})
}

func (s *Store) ListInvitations(ctx context.Context, orgID string, p store.Page) ([]*domain.Invitation, int, error) {
	q := s.reader(ctx)
	if err := s.orgExists(ctx, q, orgID); err != nil {
		return nil, 0, err
	}
	return listOf(ctx, s, q, "invitations", scanInvitation, InvitationCount, InvitationList, orgID, p)
}

func (s *Store) FindInvitation(ctx context.Context, hash []byte) (*domain.Invitation, error) {
	return getOne(ctx, s, s.reader(ctx), scanInvitation, "invitation", "by ticket", InvitationGetByHash, hash)
}

// RedeemInvitation spends an invitation of orgID once (see redeemOnce).
func (s *Store) RedeemInvitation(ctx context.Context, hash []byte, orgID string, now time.Time) (*domain.Invitation, error) {
	return redeemOnce(ctx, s, "invitation", "organization", InvitationRedeem, InvitationGetByHash, scanInvitation,
		hash, orgID, now, func(inv *domain.Invitation) (string, *time.Time) { return inv.OrganizationID, inv.UsedAt })
}

// scanOrganization reads orgCols.
func scanOrganization(r scanner) (*domain.Organization, error) {
	var (
		o            domain.Organization
		id, name     string
		created, upd int64
		doc          []byte
	)
	if err := r.Scan(&id, &name, &created, &upd, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &o); err != nil {
		return nil, err
	}
	o.ID, o.Name = id, name
	o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(upd)
	return &o, nil
}

// scanOrgConnection reads orgConnCols.
func scanOrgConnection(r scanner) (*domain.OrganizationConnection, error) {
	var (
		c       domain.OrganizationConnection
		created int64
	)
	if err := r.Scan(&c.OrganizationID, &c.ConnectionID, &c.AssignMembershipOnLogin, &c.ShowAsButton, &c.IsSignupEnabled,
		&created, &c.ConnectionName, &c.Strategy); err != nil {
		return nil, err
	}
	c.CreatedAt = fromTS(created)
	return &c, nil
}

// scanInvitation reads invitationCols.
func scanInvitation(r scanner) (*domain.Invitation, error) {
	var (
		inv              domain.Invitation
		id, org          string
		hash             []byte
		created, expires int64
		used             sql.NullInt64
		doc              []byte
	)
	if err := r.Scan(&id, &org, &hash, &created, &expires, &used, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &inv); err != nil {
		return nil, err
	}
	inv.ID, inv.OrganizationID, inv.TicketHash = id, org, hash
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = fromTS(created), fromTS(expires), fromNullTS(used)
	return &inv, nil
}
