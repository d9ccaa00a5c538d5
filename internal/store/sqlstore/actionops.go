package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

var _ store.ActionCacheStore = (*Store)(nil)

// GetActionCache reads from the write pool, as GetCounter does: a run that follows a write on
// another connection (or node) must see it.
func (s *Store) GetActionCache(ctx context.Context, trigger, key string, now time.Time) (domain.ActionCacheEntry, error) {
	q := querier(s.db)
	if s.tx != nil {
		q = s.txq
	}
	e := domain.ActionCacheEntry{Key: key}
	var exp int64
	err := q.QueryRowContext(ctx, s.q[ActionCacheGet], trigger, key, ts(now)).Scan(&e.Value, &exp)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ActionCacheEntry{}, notFound("cache entry", key)
		}
		return domain.ActionCacheEntry{}, s.mapErr("get action cache", err)
	}
	e.ExpiresAt = fromTS(exp)
	return e, nil
}

// PutActionCache decides the eviction in the transaction that writes, under the dialect's lock on
// the trigger's namespace (an advisory lock in PostgreSQL; SQLite's writer is alone already).
func (s *Store) PutActionCache(ctx context.Context, trigger string, e domain.ActionCacheEntry, now time.Time, maxEntries, maxBytes int) error {
	return s.write(ctx, func(q querier) error {
		if s.q[ActionCacheLock] != "" {
			if err := s.exec(ctx, q, "lock action cache", ActionCacheLock, trigger); err != nil {
				return err
			}
		}
		if err := s.exec(ctx, q, "expire action cache", ActionCacheDeleteExpiredOf, trigger, ts(now)); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, s.q[ActionCacheList], trigger, ts(now))
		if err != nil {
			return s.mapErr("list action cache", err)
		}
		var live []domain.ActionCacheEntry // closest to expiry first
		for rows.Next() {
			var c domain.ActionCacheEntry
			var exp int64
			if err := rows.Scan(&c.Key, &c.Value, &exp); err != nil {
				rows.Close()
				return fmt.Errorf("list action cache: %w", err)
			}
			if c.Key != e.Key {
				c.ExpiresAt = fromTS(exp)
				live = append(live, c)
			}
		}
		if err := rows.Close(); err != nil {
			return s.mapErr("list action cache", err)
		}
		if err := rows.Err(); err != nil {
			return s.mapErr("list action cache", err)
		}
		size := len(e.Key) + len(e.Value)
		for _, c := range live {
			size += len(c.Key) + len(c.Value)
		}
		for len(live) > 0 && (len(live)+1 > maxEntries || size > maxBytes) {
			victim := live[0]
			live = live[1:]
			size -= len(victim.Key) + len(victim.Value)
			if err := s.exec(ctx, q, "evict action cache", ActionCacheDelete, trigger, victim.Key); err != nil {
				return err
			}
		}
		return s.exec(ctx, q, "put action cache", ActionCachePut, trigger, e.Key, e.Value, ts(e.ExpiresAt))
	})
}

func (s *Store) DeleteActionCache(ctx context.Context, trigger, key string, now time.Time) (bool, error) {
	var live bool
	err := s.write(ctx, func(q querier) error {
		var v string
		var exp int64
		err := q.QueryRowContext(ctx, s.q[ActionCacheGet], trigger, key, ts(now)).Scan(&v, &exp)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.mapErr("get action cache", err)
		}
		live = err == nil
		return s.exec(ctx, q, "delete action cache", ActionCacheDelete, trigger, key)
	})
	return live, err
}

func (s *Store) InsertActionExecutions(ctx context.Context, xs []*domain.ActionExecution) error {
	if len(xs) == 0 {
		return nil
	}
	return s.write(ctx, func(q querier) error {
		for _, x := range xs {
			doc, err := marshal(x)
			if err != nil {
				return err
			}
			if err := s.exec(ctx, q, "insert action execution", ActionExecutionInsert, x.ID, x.TriggerID, ts(x.CreatedAt), doc); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) GetActionExecution(ctx context.Context, id string) (*domain.ActionExecution, error) {
	return getOne(ctx, s, s.reader(ctx), scanDoc[domain.ActionExecution], "execution", id, ActionExecutionGet, id)
}
