package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Device codes (RFC 8628). A poll is decided under the row's lock (DeviceLock: FOR UPDATE in
// PostgreSQL; SQLite's write transaction is already exclusive), with the clock read once the lock is
// held, so that of concurrent polls of an approved code exactly one consumes it and a poll that
// waited sees when the previous one happened.

func (s *Store) CreateDeviceCode(ctx context.Context, d *domain.DeviceCode) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now().UTC()
	}
	if d.Status == "" {
		d.Status = domain.DevicePending
	}
	doc, err := marshal(d)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create device code", DeviceInsert, d.CodeHash, d.UserCodeHash, d.ClientID, d.Status,
			d.Interval, ts(d.ExpiresAt), doc)
	})
}

func (s *Store) GetDeviceCodeByUserCode(ctx context.Context, userCodeHash []byte) (*domain.DeviceCode, error) {
	return getOne(ctx, s, s.reader(ctx), scanDevice, "device code", "by user code", DeviceGetByUserCode, userCodeHash)
}

func (s *Store) ApproveDeviceCode(ctx context.Context, codeHash []byte, a *domain.DeviceCode, now time.Time) error {
	return s.decideDevice(ctx, codeHash, domain.DeviceApproved, a, now)
}

func (s *Store) DenyDeviceCode(ctx context.Context, codeHash []byte, now time.Time) error {
	return s.decideDevice(ctx, codeHash, domain.DeviceDenied, nil, now)
}

// decideDevice records the user's decision on a code still pending. The conditional update decides:
// of two racing decisions the second finds the code no longer pending and changes nothing.
func (s *Store) decideDevice(ctx context.Context, codeHash []byte, status string, a *domain.DeviceCode, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		d, err := scanDevice(q.QueryRowContext(ctx, s.q[DeviceGetByHash], codeHash))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("device code", "by hash")
		}
		if err != nil {
			return s.mapErr("decide device code", err)
		}
		if a != nil {
			d.UserID, d.SessionID, d.AuthTime = a.UserID, a.SessionID, a.AuthTime.UTC()
			d.GrantedScope, d.RefreshClaims = a.GrantedScope, a.RefreshClaims
		}
		doc, err := marshal(d)
		if err != nil {
			return err
		}
		return s.execFound(ctx, q, "decide device code", "device code", "pending", DeviceDecide, codeHash, status, ts(now), doc)
	})
}

func (s *Store) PollDeviceCode(ctx context.Context, codeHash []byte, clientID string, clock func() time.Time) (*domain.DeviceCode, error) {
	var (
		d       *domain.DeviceCode
		outcome error
	)
	err := s.write(ctx, func(q querier) error {
		var err error
		d, err = scanDevice(q.QueryRowContext(ctx, s.q[DeviceLock], codeHash, clientID))
		if errors.Is(err, sql.ErrNoRows) {
			d, outcome = nil, notFound("device code", "by hash")
			return nil
		}
		if err != nil {
			return s.mapErr("poll device code", err)
		}
		now := clock() // the row is ours: a poll before this one has committed
		if d.Expired(now) {
			outcome = store.ErrExpired
			return nil
		}
		last := d.LastPolledAt
		t := now.UTC().Truncate(time.Microsecond)
		d.LastPolledAt = &t
		if last != nil && now.Sub(*last) < time.Duration(d.Interval)*time.Second-domain.DevicePollJitter {
			d.Interval += domain.DeviceSlowDownStep
			outcome = store.ErrSlowDown
			return s.exec(ctx, q, "poll device code", DevicePolled, codeHash, ts(now), d.Interval)
		}
		if d.Status == domain.DeviceApproved {
			return s.exec(ctx, q, "consume device code", DeviceConsume, codeHash)
		}
		return s.exec(ctx, q, "poll device code", DevicePolled, codeHash, ts(now), d.Interval)
	})
	if err != nil {
		return nil, err
	}
	return d, outcome
}

// scanDevice reads code_hash, user_code_hash, client_id, status, interval_seconds, last_polled_at,
// expires_at, doc.
func scanDevice(r scanner) (*domain.DeviceCode, error) {
	var (
		d                   domain.DeviceCode
		hash, userHash, doc []byte
		clientID, status    string
		interval            int
		lastPolled          sql.NullInt64
		expires             int64
	)
	if err := r.Scan(&hash, &userHash, &clientID, &status, &interval, &lastPolled, &expires, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &d); err != nil {
		return nil, err
	}
	d.CodeHash, d.UserCodeHash, d.ClientID, d.Status, d.Interval = hash, userHash, clientID, status, interval
	d.LastPolledAt, d.ExpiresAt = fromNullTS(lastPolled), fromTS(expires)
	return &d, nil
}

// Revoked opaque access tokens.

func (s *Store) RevokeOpaqueToken(ctx context.Context, tokenHash []byte, expiresAt time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "revoke access token", RevokedOpaqueInsert, tokenHash, ts(expiresAt))
	})
}

func (s *Store) OpaqueTokenRevoked(ctx context.Context, tokenHash []byte) (bool, error) {
	var n int
	if err := s.reader(ctx).QueryRowContext(ctx, s.q[RevokedOpaqueGet], tokenHash).Scan(&n); err != nil {
		return false, s.mapErr("read revoked access token", err)
	}
	return n > 0, nil
}
