package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HitCounter adds n to key's counter in one upsert (see CounterHit).
func (s *Store) HitCounter(ctx context.Context, key string, n int64, now, expiresAt time.Time, slide bool) (int64, time.Time, error) {
	var hits, exp int64
	err := s.write(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, s.q[CounterHit], key, n, ts(now), ts(expiresAt), slide).Scan(&hits, &exp)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("hit counter: %w", err)
	}
	return hits, fromTS(exp), nil
}

// GetCounter reads key's live counter from the write pool: a check that follows a hit on another
// connection must see it.
func (s *Store) GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	q := querier(s.db)
	if s.tx != nil {
		q = s.txq
	}
	var hits, exp int64
	err := q.QueryRowContext(ctx, s.q[CounterGet], key, ts(now)).Scan(&hits, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("get counter: %w", err)
	}
	return hits, fromTS(exp), nil
}

// DeleteCounter forgets key's counter.
func (s *Store) DeleteCounter(ctx context.Context, key string) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.q[CounterDelete], key); err != nil {
			return fmt.Errorf("delete counter: %w", err)
		}
		return nil
	})
}

// DeleteCountersWithPrefix forgets every counter whose key starts with prefix.
func (s *Store) DeleteCountersWithPrefix(ctx context.Context, prefix string) error {
	if strings.ContainsAny(prefix, "%_\\") {
		return fmt.Errorf("delete counters: prefix %q holds a LIKE wildcard", prefix)
	}
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.q[CounterDeletePrefix], prefix); err != nil {
			return fmt.Errorf("delete counters: %w", err)
		}
		return nil
	})
}
