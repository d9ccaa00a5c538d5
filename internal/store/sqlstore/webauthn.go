package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func (s *Store) CreateWebAuthnCredential(ctx context.Context, c *domain.WebAuthnCredential) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create webauthn credential", WebAuthnInsert,
			c.ID, c.UserID, c.Type, c.CredentialID, c.Name, int64(c.SignCount), c.Data, c.UserAgent, ts(c.CreatedAt))
	})
}

func (s *Store) ListWebAuthnCredentials(ctx context.Context, userID string) ([]*domain.WebAuthnCredential, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[WebAuthnListByUser], userID)
	if err != nil {
		return nil, s.mapErr("list webauthn credentials", err)
	}
	list, err := scanAll(rows, scanWebAuthn)
	return list, s.mapErr("list webauthn credentials", err)
}

func (s *Store) GetWebAuthnCredential(ctx context.Context, userID, id string) (*domain.WebAuthnCredential, error) {
	return getOne(ctx, s, s.reader(ctx), scanWebAuthn, "authentication method", id, WebAuthnGet, userID, id)
}

func (s *Store) UseWebAuthnCredential(ctx context.Context, id string, signCount uint32, data []byte, at time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(q querier) error {
		var err error
		n, err = execN(ctx, q, s.q[WebAuthnUse], id, int64(signCount), data, ts(at))
		return err
	})
	return n == 1, s.mapErr("use webauthn credential", err)
}

func (s *Store) DeleteWebAuthnCredential(ctx context.Context, userID, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete webauthn credential", "authentication method", id, WebAuthnDelete, userID, id)
	})
}

func (s *Store) DeleteUserWebAuthnCredentials(ctx context.Context, userID string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete user webauthn credentials", WebAuthnDeleteByUser, userID)
	})
}

func (s *Store) PutWebAuthnChallenge(ctx context.Context, c *domain.WebAuthnChallenge) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "put webauthn challenge", WebAuthnChallengePut, c.Binding, c.Data, ts(c.ExpiresAt))
	})
}

func (s *Store) TakeWebAuthnChallenge(ctx context.Context, binding string, now time.Time) (*domain.WebAuthnChallenge, error) {
	var c *domain.WebAuthnChallenge
	err := s.write(ctx, func(q querier) error {
		out := domain.WebAuthnChallenge{Binding: binding}
		var exp int64
		err := q.QueryRowContext(ctx, s.q[WebAuthnChallengeTake], binding, ts(now)).Scan(&out.Data, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("webauthn challenge", binding)
		}
		if err != nil {
			return err
		}
		out.ExpiresAt = fromTS(exp)
		c = &out
		return nil
	})
	return c, s.mapErr("take webauthn challenge", err)
}

func scanWebAuthn(r scanner) (*domain.WebAuthnCredential, error) {
	var (
		c         domain.WebAuthnCredential
		count     int64
		created   int64
		lastAuthN sql.NullInt64
	)
	if err := r.Scan(&c.ID, &c.UserID, &c.Type, &c.CredentialID, &c.Name, &count, &c.Data, &c.UserAgent, &created, &lastAuthN); err != nil {
		return nil, err
	}
	c.SignCount, c.CreatedAt = uint32(count), fromTS(created)
	if lastAuthN.Valid {
		t := fromTS(lastAuthN.Int64)
		c.LastAuthAt = &t
	}
	return &c, nil
}
