package sqlstore

import (
	"context"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Connections: id, name and strategy are columns (name is unique and what users refer to), the rest
// a JSON document; the applications a connection is enabled for are rows of connection_clients, so
// that deleting a client takes it off every list by ON DELETE CASCADE.

// connectionDoc is the stored document: the connection and its sealed client secret, which has no
// JSON name on the domain type so that no view of a connection can show it.
type connectionDoc struct {
	*domain.Connection
	SecretSealed []byte                `json:"secret_sealed,omitempty"`
	ClientKey    *domain.ConnectionKey `json:"client_key,omitempty"`
	NextKey      *domain.ConnectionKey `json:"client_key_next,omitempty"`
	PreviousKey  *domain.ConnectionKey `json:"client_key_previous,omitempty"`
}

// docOf is the stored document of c.
func docOf(c *domain.Connection) connectionDoc {
	return connectionDoc{Connection: c, SecretSealed: c.SecretSealed, ClientKey: c.ClientKey,
		NextKey: c.NextClientKey, PreviousKey: c.PreviousClientKey}
}

func (s *Store) CreateConnection(ctx context.Context, c *domain.Connection) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	c.UpdatedAt = c.CreatedAt
	doc, err := marshal(docOf(c))
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if err := s.exec(ctx, q, "create connection", ConnectionInsert, c.ID, c.Name, c.Strategy, ts(c.CreatedAt), ts(c.UpdatedAt), doc); err != nil {
			return err
		}
		return s.addConnectionClients(ctx, q, c.ID, c.EnabledClients)
	})
}

func (s *Store) addConnectionClients(ctx context.Context, q querier, id string, clients []string) error {
	for _, cl := range clients {
		if err := s.exec(ctx, q, "enable connection for client", ConnectionClientInsert, id, cl); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) GetConnection(ctx context.Context, id string) (*domain.Connection, error) {
	return s.getConnection(ctx, s.reader(ctx), ConnectionGet, "connection", id)
}

func (s *Store) GetConnectionByName(ctx context.Context, name string) (*domain.Connection, error) {
	return s.getConnection(ctx, s.reader(ctx), ConnectionGetByName, "connection named", name)
}

func (s *Store) getConnection(ctx context.Context, q querier, stmt Stmt, what, key string) (*domain.Connection, error) {
	c, err := getOne(ctx, s, q, scanConnection, what, key, stmt, key)
	if err != nil {
		return nil, err
	}
	c.EnabledClients, err = s.connectionClients(ctx, q, c.ID)
	return c, err
}

func (s *Store) connectionClients(ctx context.Context, q querier, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.q[ConnectionClientList], id)
	if err != nil {
		return nil, s.mapErr("list connection clients", err)
	}
	list, err := scanAll(rows, scanString)
	return list, s.mapErr("list connection clients", err)
}

func (s *Store) UpdateConnection(ctx context.Context, c *domain.Connection) error {
	c.UpdatedAt = s.now().UTC()
	doc, err := marshal(docOf(c))
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if err := s.execFound(ctx, q, "update connection", "connection", c.ID, ConnectionUpdate, c.ID, ts(c.UpdatedAt), doc); err != nil {
			return err
		}
		if err := s.exec(ctx, q, "clear connection clients", ConnectionClientClear, c.ID); err != nil {
			return err
		}
		return s.addConnectionClients(ctx, q, c.ID, c.EnabledClients)
	})
}

// DeleteConnection deletes the connection's users first (their sessions, tokens, roles and
// password history go by ON DELETE CASCADE) and its accounts linked to other users (a database
// account's password with them: a connection made again under the name must not bring them
// back), then the connection and its client list.
func (s *Store) DeleteConnection(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		c, err := getOne(ctx, s, q, scanConnection, "connection", id, ConnectionGet, id)
		if err != nil {
			return err
		}
		if err := s.exec(ctx, q, "delete connection users", ConnectionDeleteUsers, c.Name); err != nil {
			return err
		}
		if err := s.exec(ctx, q, "delete connection identities", ConnectionDeleteIdentities, c.Name); err != nil {
			return err
		}
		return s.execFound(ctx, q, "delete connection", "connection", id, ConnectionDelete, id)
	})
}

func (s *Store) ListConnections(ctx context.Context, f store.ConnectionFilter, p store.Page) ([]*domain.Connection, int, error) {
	var w where
	if len(f.Strategy) > 0 {
		ph := ""
		for i, st := range f.Strategy {
			if i > 0 {
				ph += ", "
			}
			ph += w.arg(st)
		}
		w.add("strategy IN (" + ph + ")")
	}
	if f.Name != "" {
		w.add("name = " + w.arg(f.Name))
	}
	list, total, err := listWhere(ctx, s, "connections", scanConnection, ConnectionCount, ConnectionSelect, &w, "created_at, id", p)
	if err != nil {
		return nil, 0, err
	}
	q := s.reader(ctx)
	for _, c := range list {
		if c.EnabledClients, err = s.connectionClients(ctx, q, c.ID); err != nil {
			return nil, 0, err
		}
	}
	return list, total, nil
}

// SetConnectionClients applies each client's status in one transaction; a client that does not
// exist fails the foreign key, and the whole change rolls back.
func (s *Store) SetConnectionClients(ctx context.Context, id string, status map[string]bool) error {
	ids := make([]string, 0, len(status))
	for cl := range status {
		ids = append(ids, cl)
	}
	sort.Strings(ids) // a fixed order: two concurrent changes lock rows the same way
	return s.write(ctx, func(q querier) error {
		if _, err := getOne(ctx, s, q, scanConnection, "connection", id, ConnectionGet, id); err != nil {
			return err
		}
		for _, cl := range ids {
			stmt, op := ConnectionClientDelete, "disable connection for client"
			if status[cl] {
				stmt, op = ConnectionClientInsert, "enable connection for client"
			}
			if err := s.exec(ctx, q, op, stmt, id, cl); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanConnection reads connectionCols.
func scanConnection(r scanner) (*domain.Connection, error) {
	var (
		c            domain.Connection
		created, upd int64
		doc          []byte
	)
	var id, name, strategy string
	if err := r.Scan(&id, &name, &strategy, &created, &upd, &doc); err != nil {
		return nil, err
	}
	d := connectionDoc{Connection: &c}
	if err := unmarshal(doc, &d); err != nil {
		return nil, err
	}
	c.SecretSealed, c.ClientKey = d.SecretSealed, d.ClientKey
	c.NextClientKey, c.PreviousClientKey = d.NextKey, d.PreviousKey
	c.ID, c.Name, c.Strategy = id, name, strategy
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(upd)
	return &c, nil
}

// Password history.

func (s *Store) AddPasswordHistory(ctx context.Context, userID, hash string, at time.Time, keep int) error {
	return s.write(ctx, func(q querier) error {
		if keep > 0 {
			if err := s.exec(ctx, q, "add password history", PasswordHistoryInsert, userID, hash, ts(at)); err != nil {
				return err
			}
		}
		return s.exec(ctx, q, "trim password history", PasswordHistoryTrim, userID, keep)
	})
}

func (s *Store) ListPasswordHistory(ctx context.Context, userID string, limit int) ([]string, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[PasswordHistoryList], userID, limit)
	if err != nil {
		return nil, s.mapErr("list password history", err)
	}
	list, err := scanAll(rows, scanString)
	return list, s.mapErr("list password history", err)
}

// EachCounter walks the live counters with a key prefix.
func (s *Store) EachCounter(ctx context.Context, prefix string, now time.Time, fn func(key string, count int64, expires time.Time) error) error {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[CounterEach], prefix, ts(now))
	if err != nil {
		return s.mapErr("list counters", err)
	}
	type counter struct {
		key      string
		hits, ex int64
	}
	var list []counter
	for rows.Next() {
		var c counter
		if err := rows.Scan(&c.key, &c.hits, &c.ex); err != nil {
			rows.Close()
			return s.mapErr("list counters", err)
		}
		list = append(list, c)
	}
	if err := rows.Close(); err != nil {
		return s.mapErr("list counters", err)
	}
	if err := rows.Err(); err != nil {
		return s.mapErr("list counters", err)
	}
	// fn runs after the rows are closed, so it may use the store itself.
	for _, c := range list {
		if err := fn(c.key, c.hits, fromTS(c.ex)); err != nil {
			return err
		}
	}
	return nil
}
