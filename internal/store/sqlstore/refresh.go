package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Refresh tokens. Every token of one grant shares a family id; rotation (RFC 9700 §4.14.2) stores a
// new token of the next generation and marks the presented one rotated; presenting a rotated token
// again, other than the previous token within the leeway, revokes the whole family.

func (s *Store) CreateRefreshToken(ctx context.Context, t *domain.RefreshToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	if t.FamilyID == "" {
		t.FamilyID = domain.RandomToken(16)
	}
	return s.write(ctx, func(q querier) error { return s.insertRefreshToken(ctx, q, t) })
}

func (s *Store) insertRefreshToken(ctx context.Context, q querier, t *domain.RefreshToken) error {
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.exec(ctx, q, "create refresh token", RefreshInsert, t.TokenHash, t.FamilyID, t.Generation, t.ClientID,
		t.UserID, tsPtr(t.ExpiresAt), tsPtr(t.IdleExpiresAt), tsPtr(t.RotatedAt), tsPtr(t.RevokedAt), doc)
}

func (s *Store) GetRefreshToken(ctx context.Context, tokenHash []byte) (*domain.RefreshToken, error) {
	return getOne(ctx, s, s.reader(ctx), scanRefresh, "refresh token", "by hash", RefreshGet, tokenHash)
}

// RotateRefreshToken follows the rules in store.RefreshTokenStore. Exchanges within one family are
// decided one after the other: the dialect's RefreshLockFamily (an advisory lock in PostgreSQL;
// SQLite's write transaction is already exclusive) is taken before the presented token's row is
// read with RefreshLock, since a retry of the previous token and a rotation of the newest lock
// different rows. The clock is read only then: a time taken when the request started would be
// earlier than the rotation of a racer that committed while this request waited, and would pass
// for a retry within the leeway. A reuse commits the family's revocation before the error is
// returned.
//
// A family keeps at most one live token, its newest: a retry within the leeway supersedes the
// token the first exchange gave (the client that retried never received it), and any other token
// presented, rotated or not, is a reuse.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next *domain.RefreshToken, clock func() time.Time, leeway time.Duration) (*domain.RefreshToken, error) {
	var (
		old     *domain.RefreshToken
		outcome error
	)
	err := s.write(ctx, func(q querier) error {
		if s.q[RefreshLockFamily] != "" {
			// The family of a token never changes, so reading it before the lock is safe.
			t, err := scanRefresh(q.QueryRowContext(ctx, s.q[RefreshGet], oldHash))
			if errors.Is(err, sql.ErrNoRows) {
				old, outcome = nil, notFound("refresh token", "by hash")
				return nil
			}
			if err != nil {
				return s.mapErr("rotate refresh token", err)
			}
			if err := s.exec(ctx, q, "lock refresh family", RefreshLockFamily, t.FamilyID); err != nil {
				return err
			}
		}
		var err error
		old, err = scanRefresh(q.QueryRowContext(ctx, s.q[RefreshLock], oldHash))
		if errors.Is(err, sql.ErrNoRows) {
			old, outcome = nil, notFound("refresh token", "by hash")
			return nil
		}
		if err != nil {
			return s.mapErr("rotate refresh token", err)
		}
		now := clock() // the family is ours: whoever exchanged in it before us has committed
		if old.Expired(now) || (old.RevokedAt != nil && old.RotatedAt == nil) {
			old, outcome = nil, store.ErrRefreshInvalid
			return nil
		}
		var newest int
		if err := q.QueryRowContext(ctx, s.q[RefreshMaxGeneration], old.FamilyID).Scan(&newest); err != nil {
			return s.mapErr("rotate refresh token", err)
		}
		// A rotated token presented again is a reuse, even once its family is revoked (so every
		// loser of a race hears the same thing), unless it is the retry the leeway allows: the
		// parent of the newest generation, within the leeway of its rotation. With no leeway a
		// rotated token is never exchanged again, whatever two clocks say. A token never rotated
		// must be the newest; an older one is a sibling some earlier fork left live.
		retry := old.RotatedAt != nil
		reuse := old.Generation != newest
		if retry {
			withinLeeway := leeway > 0 && now.Sub(*old.RotatedAt) < leeway
			reuse = old.RevokedAt != nil || !withinLeeway || old.Generation != newest-1
		}
		if reuse {
			if err := s.exec(ctx, q, "revoke refresh family", RefreshRevokeFamily, old.FamilyID, ts(now)); err != nil {
				return err
			}
			old, outcome = nil, store.ErrRefreshReused
			return nil
		}
		if retry {
			// The newest token stops here: a rotated and revoked token presented later is a reuse.
			if err := s.exec(ctx, q, "supersede refresh token", RefreshSupersede, old.FamilyID, ts(now)); err != nil {
				return err
			}
		}
		next.FamilyID, next.Generation, next.ExpiresAt = old.FamilyID, old.Generation+1, old.ExpiresAt
		next.RotatedAt, next.RevokedAt = nil, nil
		if next.ClientID == "" {
			next.ClientID = old.ClientID
		}
		if next.UserID == "" {
			next.UserID = old.UserID
		}
		if next.CreatedAt.IsZero() {
			next.CreatedAt = now.UTC()
		}
		if err := s.insertRefreshToken(ctx, q, next); err != nil {
			return err
		}
		if old.RotatedAt == nil {
			if err := s.exec(ctx, q, "rotate refresh token", RefreshMarkRotated, oldHash, ts(now)); err != nil {
				return err
			}
			t := now.UTC().Truncate(time.Microsecond)
			old.RotatedAt = &t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return old, outcome
}

func (s *Store) TouchRefreshToken(ctx context.Context, tokenHash []byte, idleExpires *time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "touch refresh token", "refresh token", "by hash", RefreshTouch, tokenHash, tsPtr(idleExpires))
	})
}

func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "revoke refresh family", RefreshRevokeFamily, familyID, ts(now))
	})
}

func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID string, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "revoke user refresh tokens", RefreshRevokeUser, userID, ts(now))
	})
}

// scanRefresh reads token_hash, family_id, generation, expires_at, idle_expires_at, rotated_at,
// revoked_at, doc.
func scanRefresh(r scanner) (*domain.RefreshToken, error) {
	var (
		t                               domain.RefreshToken
		hash, doc                       []byte
		family                          string
		gen                             int
		expires, idle, rotated, revoked sql.NullInt64
	)
	if err := r.Scan(&hash, &family, &gen, &expires, &idle, &rotated, &revoked, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &t); err != nil {
		return nil, err
	}
	t.TokenHash, t.FamilyID, t.Generation = hash, family, gen
	t.ExpiresAt, t.IdleExpiresAt, t.RotatedAt, t.RevokedAt = fromNullTS(expires), fromNullTS(idle), fromNullTS(rotated), fromNullTS(revoked)
	return &t, nil
}
