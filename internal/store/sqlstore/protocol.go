package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Sessions, /authorize transactions, authorization codes and refresh tokens: short-lived records
// keyed by an id or a SHA-256 hash, with their expiry and mutable state as columns so that
// redemption, rotation and garbage collection are single statements.

func (s *Store) CreateSession(ctx context.Context, ss *domain.Session) error {
	if ss.CreatedAt.IsZero() {
		ss.CreatedAt = s.now().UTC()
	}
	if ss.ClientIDs == nil {
		ss.ClientIDs = []string{}
	}
	doc, err := marshal(ss)
	if err != nil {
		return err
	}
	clients, err := marshal(ss.ClientIDs)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create session", SessionInsert, ss.ID, ss.TokenHash, ss.UserID, ts(ss.LastSeenAt),
			ts(ss.IdleExpiresAt), ts(ss.ExpiresAt), clients, doc)
	})
}

// GetSession and GetSessionByTokenHash return the record whatever its expiry: the session layer
// decides with its own clock.
func (s *Store) GetSession(ctx context.Context, id string) (*domain.Session, error) {
	return getOne(ctx, s, s.reader(ctx), scanSession, "session", id, SessionGet, id)
}

func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (*domain.Session, error) {
	return getOne(ctx, s, s.reader(ctx), scanSession, "session", "by token", SessionGetByTokenHash, tokenHash)
}

func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]*domain.Session, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[SessionListByUser], userID)
	if err != nil {
		return nil, s.mapErr("list user sessions", err)
	}
	list, err := scanAll(rows, scanSession)
	return list, s.mapErr("list user sessions", err)
}

// scanSession reads token_hash, last_seen_at, idle_expires_at, client_ids, doc.
func scanSession(r scanner) (*domain.Session, error) {
	var (
		ss                  domain.Session
		hash, clients, doc  []byte
		lastSeen, idleUntil int64
	)
	if err := r.Scan(&hash, &lastSeen, &idleUntil, &clients, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &ss); err != nil {
		return nil, err
	}
	if err := unmarshal(clients, &ss.ClientIDs); err != nil {
		return nil, err
	}
	ss.TokenHash, ss.LastSeenAt, ss.IdleExpiresAt = hash, fromTS(lastSeen), fromTS(idleUntil)
	return &ss, nil
}

func (s *Store) TouchSession(ctx context.Context, id string, lastSeen, idleExpires time.Time, clientIDs []string) error {
	if clientIDs == nil {
		clientIDs = []string{}
	}
	clients, err := marshal(clientIDs)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "touch session", "session", id, SessionTouch, id, ts(lastSeen), ts(idleExpires), clients)
	})
}

// DeleteSession is idempotent: logging out of a session that is already gone is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete session", SessionDelete, id)
	})
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete user sessions", SessionDeleteByUser, userID)
	})
}

// Transactions.

func (s *Store) CreateTransaction(ctx context.Context, t *domain.LoginTransaction) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = t.CreatedAt.Add(domain.LoginTransactionLifetime)
	}
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create transaction", TransactionInsert, t.ID, ts(t.ExpiresAt), doc)
	})
}

// GetTransaction treats an expired transaction as gone, by the store's clock.
func (s *Store) GetTransaction(ctx context.Context, id string) (*domain.LoginTransaction, error) {
	return getOne(ctx, s, s.reader(ctx), scanDoc[domain.LoginTransaction], "transaction", id, TransactionGet, id, ts(s.now()))
}

func (s *Store) UpdateTransaction(ctx context.Context, t *domain.LoginTransaction) error {
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update transaction", "transaction", t.ID, TransactionUpdate, t.ID, ts(t.ExpiresAt), doc)
	})
}

// DeleteTransaction is idempotent.
func (s *Store) DeleteTransaction(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete transaction", TransactionDelete, id)
	})
}

// ConsumeTransaction deletes the transaction; ErrNotFound when it was already gone.
func (s *Store) ConsumeTransaction(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "consume transaction", "transaction", id, TransactionDelete, id)
	})
}

// Authorization codes.

func (s *Store) CreateAuthorizationCode(ctx context.Context, c *domain.AuthorizationCode) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = c.CreatedAt.Add(domain.AuthorizationCodeLifetime)
	}
	doc, err := marshal(c)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create authorization code", CodeInsert, c.CodeHash, c.ClientID, c.UserID, ts(c.ExpiresAt),
			tsPtr(c.UsedAt), c.IssuedFamilyID, doc)
	})
}

// RedeemAuthorizationCode marks the code used with one conditional UPDATE (used_at IS NULL and not
// expired). Of any number of concurrent redemptions exactly one changes the row; the others then
// read it used and get ErrAlreadyUsed with the record, so the caller can revoke what the winner
// issued (RFC 6749 §4.1.2, "the authorization server … SHOULD revoke … all tokens previously issued").
// A used code stays a replay after it expires, until DeleteExpired removes it.
func (s *Store) RedeemAuthorizationCode(ctx context.Context, codeHash []byte, now time.Time) (*domain.AuthorizationCode, error) {
	var (
		code    *domain.AuthorizationCode
		outcome error
	)
	err := s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[CodeRedeem], codeHash, ts(now))
		if err != nil {
			return s.mapErr("redeem authorization code", err)
		}
		code, err = scanCode(q.QueryRowContext(ctx, s.q[CodeGet], codeHash))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			outcome = notFound("authorization code", "by hash")
		case err != nil:
			return s.mapErr("redeem authorization code", err)
		case n == 1:
		case code.UsedAt != nil:
			outcome = store.ErrAlreadyUsed
		default: // expired, never used
			code, outcome = nil, notFound("authorization code", "by hash (expired)")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return code, outcome
}

func (s *Store) SetCodeIssuedFamily(ctx context.Context, codeHash []byte, familyID string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "set code issued family", "authorization code", "by hash", CodeSetFamily, codeHash, familyID)
	})
}

// RevokeAccessToken lists the access token id until expires; listing it again changes nothing.
func (s *Store) RevokeAccessToken(ctx context.Context, tokenID string, expires time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "revoke access token", AccessTokenRevoke, tokenID, ts(expires))
	})
}

// AccessTokenRevoked reports whether the access token id is listed and its listing has not expired.
func (s *Store) AccessTokenRevoked(ctx context.Context, tokenID string, now time.Time) (bool, error) {
	var one int
	err := s.reader(ctx).QueryRowContext(ctx, s.q[AccessTokenRevoked], tokenID, ts(now)).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, s.mapErr("read revoked access token", err)
	}
	return true, nil
}

// scanCode reads used_at, issued_family_id, doc.
func scanCode(r scanner) (*domain.AuthorizationCode, error) {
	var (
		c      domain.AuthorizationCode
		hash   []byte
		used   sql.NullInt64
		family string
		doc    []byte
	)
	if err := r.Scan(&hash, &used, &family, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &c); err != nil {
		return nil, err
	}
	c.CodeHash, c.UsedAt, c.IssuedFamilyID = hash, fromNullTS(used), family
	return &c, nil
}
