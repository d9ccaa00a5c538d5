package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Client credentials (private_key_jwt public keys): the id and client are columns, the rest a
// document.

func (s *Store) CreateClientCredential(ctx context.Context, c *domain.ClientCredential) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	doc, err := marshal(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create client credential", CredentialInsert, c.ID, c.ClientID, ts(c.CreatedAt), doc)
	})
}

func (s *Store) ListClientCredentials(ctx context.Context, clientID string) ([]*domain.ClientCredential, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[CredentialList], clientID)
	if err != nil {
		return nil, s.mapErr("list client credentials", err)
	}
	list, err := scanAll(rows, scanCredential)
	return list, s.mapErr("list client credentials", err)
}

func (s *Store) GetClientCredential(ctx context.Context, clientID, id string) (*domain.ClientCredential, error) {
	return getOne(ctx, s, s.reader(ctx), scanCredential, "client credential", id, CredentialGet, clientID, id)
}

func (s *Store) DeleteClientCredential(ctx context.Context, clientID, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete client credential", "client credential", id, CredentialDelete, clientID, id)
	})
}

func (s *Store) UpdateClientCredential(ctx context.Context, c *domain.ClientCredential) error {
	doc, err := marshal(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update client credential", "client credential", c.ID, CredentialUpdate, c.ClientID, c.ID, doc)
	})
}

// scanCredential reads id, client_id, doc.
func scanCredential(r scanner) (*domain.ClientCredential, error) {
	var (
		c       domain.ClientCredential
		id, cid string
		doc     []byte
	)
	if err := r.Scan(&id, &cid, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &c); err != nil {
		return nil, err
	}
	c.ID, c.ClientID = id, cid
	return &c, nil
}

// UseOnce is one INSERT that also takes over a row whose expiry has passed: the row count says
// whether this use was the first.
func (s *Store) UseOnce(ctx context.Context, key []byte, expires, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[JTIUse], key, ts(expires), ts(now))
		if err != nil {
			return s.mapErr("use jti", err)
		}
		if n == 0 {
			return store.ErrAlreadyUsed
		}
		return nil
	})
}

// Pushed authorization requests.

func (s *Store) CreatePushedRequest(ctx context.Context, p *domain.PushedRequest) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now().UTC()
	}
	doc, err := marshal(p)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create pushed request", PushedInsert, p.URIHash, p.ClientID, ts(p.ExpiresAt), doc)
	})
}

// ConsumePushedRequest is one DELETE … RETURNING: the request goes with its first use, and only a
// use by its own client before its expiry matches.
func (s *Store) ConsumePushedRequest(ctx context.Context, uriHash []byte, clientID string, now time.Time) (*domain.PushedRequest, error) {
	var p *domain.PushedRequest
	err := s.write(ctx, func(q querier) error {
		var (
			doc     []byte
			expires int64
		)
		err := q.QueryRowContext(ctx, s.q[PushedConsume], uriHash, clientID, ts(now)).Scan(&expires, &doc)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("pushed authorization request", "by request_uri")
		}
		if err != nil {
			return s.mapErr("consume pushed request", err)
		}
		p = &domain.PushedRequest{}
		if err := unmarshal(doc, p); err != nil {
			return err
		}
		p.URIHash, p.ExpiresAt = uriHash, fromTS(expires)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
