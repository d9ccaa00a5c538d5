package sqlstore

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Clients: indexed columns for what lists filter on, the secret hash and the timestamps (none of
// which the JSON form carries), and the rest as a JSON document.

func (s *Store) CreateClient(ctx context.Context, c *domain.Client) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	c.UpdatedAt = c.CreatedAt
	doc, err := marshal(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if err := s.exec(ctx, q, "create client", ClientInsert, c.ClientID, c.AppType, c.IsFirstParty, c.IsSystem,
			c.SecretHash, ts(c.CreatedAt), ts(c.UpdatedAt), doc); err != nil {
			return err
		}
		// A new application may use every connection, as Auth0 enables them all by default
		// (tenant flag enable_client_connections); an administrator narrows that per connection.
		return s.exec(ctx, q, "enable connections for client", ConnectionClientEnableAll, c.ClientID)
	})
}

func (s *Store) GetClient(ctx context.Context, clientID string) (*domain.Client, error) {
	return s.getClient(ctx, s.reader(ctx), clientID)
}

func (s *Store) getClient(ctx context.Context, q querier, clientID string) (*domain.Client, error) {
	return getOne(ctx, s, q, scanClient, "client", clientID, ClientGet, clientID)
}

func (s *Store) UpdateClient(ctx context.Context, c *domain.Client) error {
	c.UpdatedAt = s.now().UTC()
	doc, err := marshal(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update client", "client", c.ClientID, ClientUpdate, c.ClientID, c.AppType, c.IsFirstParty, c.IsSystem,
			c.SecretHash, ts(c.UpdatedAt), doc)
	})
}

// DeleteClient deletes the client; its client grants and refresh tokens go by ON DELETE CASCADE.
func (s *Store) DeleteClient(ctx context.Context, clientID string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete client", "client", clientID, ClientDelete, clientID)
	})
}

func (s *Store) ListClients(ctx context.Context, f store.ClientFilter, p store.Page) ([]*domain.Client, int, error) {
	var w where
	if len(f.AppType) > 0 {
		ph := ""
		for i, t := range f.AppType {
			if i > 0 {
				ph += ", "
			}
			ph += w.arg(t)
		}
		w.add("app_type IN (" + ph + ")")
	}
	if f.IsFirstParty != nil {
		w.add("is_first_party = " + w.arg(*f.IsFirstParty))
	}
	return listWhere(ctx, s, "clients", scanClient, ClientCount, ClientSelect, &w, "created_at, client_id", p)
}

// scanClient reads client_id, is_system, secret_hash, created_at, updated_at, doc.
func scanClient(r scanner) (*domain.Client, error) {
	var (
		c            domain.Client
		id           string
		created, upd int64
		doc          []byte
		hash         []byte
		isSystem     bool
	)
	if err := r.Scan(&id, &isSystem, &hash, &created, &upd, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &c); err != nil {
		return nil, err
	}
	c.ClientID, c.IsSystem, c.SecretHash = id, isSystem, hash
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(upd)
	return &c, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Resource servers.

func (s *Store) CreateResourceServer(ctx context.Context, rs *domain.ResourceServer) error {
	if rs.CreatedAt.IsZero() {
		rs.CreatedAt = s.now().UTC()
	}
	rs.UpdatedAt = rs.CreatedAt
	doc, err := marshal(rs)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create resource server", ResourceServerInsert, rs.ID, rs.Identifier,
			ts(rs.CreatedAt), ts(rs.UpdatedAt), doc)
	})
}

func (s *Store) GetResourceServer(ctx context.Context, id string) (*domain.ResourceServer, error) {
	return s.getResourceServer(ctx, s.reader(ctx), ResourceServerGet, "resource server", id)
}

func (s *Store) GetResourceServerByIdentifier(ctx context.Context, identifier string) (*domain.ResourceServer, error) {
	return s.getResourceServer(ctx, s.reader(ctx), ResourceServerGetByIdentifier, "resource server with identifier", identifier)
}

func (s *Store) getResourceServer(ctx context.Context, q querier, stmt Stmt, what, key string) (*domain.ResourceServer, error) {
	return getOne(ctx, s, q, scanResourceServer, what, key, stmt, key)
}

func (s *Store) UpdateResourceServer(ctx context.Context, rs *domain.ResourceServer) error {
	rs.UpdatedAt = s.now().UTC()
	doc, err := marshal(rs)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update resource server", "resource server", rs.ID, ResourceServerUpdate, rs.ID,
			rs.Identifier, ts(rs.UpdatedAt), doc)
	})
}

// DeleteResourceServer deletes the API with its client grants and the role and user permissions
// on it. Those rows refer to the API by identifier, as Auth0's permission lists do, so they are
// deleted here rather than by a foreign key.
func (s *Store) DeleteResourceServer(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		rs, err := s.getResourceServer(ctx, q, ResourceServerGet, "resource server", id)
		if err != nil {
			return err
		}
		for _, stmt := range []Stmt{ClientGrantDeleteByAudience, RolePermissionDeleteByAPI, UserPermissionDeleteByAPI} {
			if err := s.exec(ctx, q, "delete resource server", stmt, rs.Identifier); err != nil {
				return err
			}
		}
		return s.exec(ctx, q, "delete resource server", ResourceServerDelete, id)
	})
}

func (s *Store) ListResourceServers(ctx context.Context, p store.Page) ([]*domain.ResourceServer, int, error) {
	var w where
	return listWhere(ctx, s, "resource servers", scanResourceServer, ResourceServerCount, ResourceServerSelect, &w, "created_at, id", p)
}

// scanResourceServer reads created_at, updated_at, doc.
func scanResourceServer(r scanner) (*domain.ResourceServer, error) {
	var (
		rs           domain.ResourceServer
		created, upd int64
		doc          []byte
	)
	if err := r.Scan(&created, &upd, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &rs); err != nil {
		return nil, err
	}
	rs.CreatedAt, rs.UpdatedAt = fromTS(created), fromTS(upd)
	return &rs, nil
}

// Client grants.

func (s *Store) CreateClientGrant(ctx context.Context, g *domain.ClientGrant) error {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = s.now().UTC()
	}
	if g.Scope == nil {
		g.Scope = []string{}
	}
	doc, err := marshal(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create client grant", ClientGrantInsert, g.ID, g.ClientID, g.Audience, ts(g.CreatedAt), doc)
	})
}

func (s *Store) GetClientGrant(ctx context.Context, id string) (*domain.ClientGrant, error) {
	return getOne(ctx, s, s.reader(ctx), scanClientGrant, "client grant", id, ClientGrantGet, id)
}

func (s *Store) FindClientGrant(ctx context.Context, clientID, audience string) (*domain.ClientGrant, error) {
	return getOne(ctx, s, s.reader(ctx), scanClientGrant, "client grant for client and audience",
		clientID+" "+audience, ClientGrantFind, clientID, audience)
}

// UpdateClientGrant changes the grant's scopes; its client and audience are fixed at creation.
func (s *Store) UpdateClientGrant(ctx context.Context, g *domain.ClientGrant) error {
	if g.Scope == nil {
		g.Scope = []string{}
	}
	doc, err := marshal(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update client grant", "client grant", g.ID, ClientGrantUpdate, g.ID, doc)
	})
}

func (s *Store) DeleteClientGrant(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete client grant", "client grant", id, ClientGrantDelete, id)
	})
}

func (s *Store) ListClientGrants(ctx context.Context, f store.ClientGrantFilter, p store.Page) ([]*domain.ClientGrant, int, error) {
	var w where
	if f.ClientID != "" {
		w.add("client_id = " + w.arg(f.ClientID))
	}
	if f.Audience != "" {
		w.add("audience = " + w.arg(f.Audience))
	}
	return listWhere(ctx, s, "client grants", scanClientGrant, ClientGrantCount, ClientGrantSelect, &w, "created_at, id", p)
}

// scanClientGrant reads id, client_id, audience, created_at, doc. The columns win over the
// document: UpdateClientGrant changes only the scopes.
func scanClientGrant(r scanner) (*domain.ClientGrant, error) {
	var (
		g                    domain.ClientGrant
		id, client, audience string
		created              int64
		doc                  []byte
	)
	if err := r.Scan(&id, &client, &audience, &created, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &g); err != nil {
		return nil, err
	}
	g.ID, g.ClientID, g.Audience, g.CreatedAt = id, client, audience, fromTS(created)
	return &g, nil
}
