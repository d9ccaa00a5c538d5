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

// Signing keys are plain columns: the encrypted private key never goes through a JSON document.
// Partial unique indexes allow at most one current and one next key per algorithm whatever happens.

func (s *Store) CreateSigningKey(ctx context.Context, k *domain.SigningKey) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now().UTC()
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create signing key", KeyInsert, k.KID, k.Alg, k.State, k.PrivateKeyEncrypted, k.CertDER,
			ts(k.CreatedAt), tsPtr(k.CurrentSince), tsPtr(k.PreviousSince), tsPtr(k.RevokedAt))
	})
}

func (s *Store) ListSigningKeys(ctx context.Context) ([]*domain.SigningKey, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[KeyList])
	if err != nil {
		return nil, s.mapErr("list signing keys", err)
	}
	list, err := scanAll(rows, func(r scanner) (*domain.SigningKey, error) {
		var (
			k                      domain.SigningKey
			created                int64
			current, prev, revoked sql.NullInt64
		)
		if err := r.Scan(&k.KID, &k.Alg, &k.State, &k.PrivateKeyEncrypted, &k.CertDER, &created, &current, &prev, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt = fromTS(created)
		k.CurrentSince, k.PreviousSince, k.RevokedAt = fromNullTS(current), fromNullTS(prev), fromNullTS(revoked)
		return &k, nil
	})
	return list, s.mapErr("list signing keys", err)
}

// RotateSigningKeys moves newNext.Alg's current key to previous and its next key to current, and
// stores newNext as next, in one transaction that first locks that current key's row
// (KeyCurrentLock): a second node rotating the same algorithm at the same time finds a different
// (or no) current key and gets a conflict. Keys of other algorithms are not touched. With no next
// key waiting, newNext becomes current directly.
func (s *Store) RotateSigningKeys(ctx context.Context, expectCurrentKID string, newNext *domain.SigningKey, now time.Time) error {
	if newNext.Alg == "" {
		return domain.Invalidf("alg", "The new signing key has no algorithm.")
	}
	if newNext.CreatedAt.IsZero() {
		newNext.CreatedAt = now.UTC()
	}
	alg := newNext.Alg
	return s.write(ctx, func(q querier) error {
		var current string
		err := q.QueryRowContext(ctx, s.q[KeyCurrentLock], alg).Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.mapErr("rotate signing keys", err)
		}
		if current != expectCurrentKID {
			return conflict("kid", "The signing keys were rotated by someone else; reload and retry.")
		}
		if err := s.exec(ctx, q, "rotate signing keys", KeyCurrentToPrevious, alg, ts(now)); err != nil {
			return err
		}
		n, err := execN(ctx, q, s.q[KeyNextToCurrent], alg, ts(now))
		if err != nil {
			return s.mapErr("rotate signing keys", err)
		}
		newNext.State, newNext.CurrentSince = domain.KeyNext, nil
		if n == 0 {
			t := now.UTC()
			newNext.State, newNext.CurrentSince = domain.KeyCurrent, &t
		}
		newNext.PreviousSince, newNext.RevokedAt = nil, nil
		return s.exec(ctx, q, "rotate signing keys", KeyInsert, newNext.KID, newNext.Alg, newNext.State,
			newNext.PrivateKeyEncrypted, newNext.CertDER, ts(newNext.CreatedAt), tsPtr(newNext.CurrentSince), nil, nil)
	})
}

// RevokeSigningKey revokes a previous key; a current or next key cannot be revoked.
func (s *Store) RevokeSigningKey(ctx context.Context, kid string, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[KeyRevoke], kid, ts(now))
		if err != nil {
			return s.mapErr("revoke signing key", err)
		}
		if n == 1 {
			return nil
		}
		state, err := getOne(ctx, s, q, scanString, "signing key", kid, KeyState, kid)
		if err != nil {
			return err
		}
		return conflict("kid", "Only a previous signing key can be revoked; this one is "+state+".")
	})
}

// KeysVersion changes whenever a key is added or changes state.
func (s *Store) KeysVersion(ctx context.Context) (string, error) {
	var n, created, current, prev, revoked int64
	if err := s.reader(ctx).QueryRowContext(ctx, s.q[KeysVersion]).Scan(&n, &created, &current, &prev, &revoked); err != nil {
		return "", s.mapErr("keys version", err)
	}
	return fmt.Sprintf("%d.%d.%d.%d.%d", n, created, current, prev, revoked), nil
}

// Log events.

func (s *Store) AppendLog(ctx context.Context, e *domain.LogEvent) error {
	if e.LogID == "" {
		e.LogID = domain.NewLogID()
	}
	if e.Date.IsZero() {
		e.Date = s.now().UTC()
	}
	doc, err := marshal(e)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "append log", LogInsert, e.LogID, ts(e.Date), e.Type, e.UserID, e.ClientID, doc)
	})
}

// AppendLogs appends events in the order given, in one transaction (the caller's, when bound):
// 16 and 4 at a time in one statement each, what remains one by one.
func (s *Store) AppendLogs(ctx context.Context, events []domain.LogEvent) error {
	now := s.now().UTC()
	docs := make([]string, len(events)) // encoded before the transaction, which holds the writer
	for i := range events {
		e := &events[i]
		if e.LogID == "" {
			e.LogID = domain.NewLogID()
		}
		if e.Date.IsZero() {
			e.Date = now
		}
		doc, err := marshal(e)
		if err != nil {
			return err
		}
		docs[i] = doc
	}
	args := make([]any, 0, 16*6)
	return s.write(ctx, func(q querier) error {
		for at := 0; at < len(events); {
			id, n := LogInsert, 1
			switch left := len(events) - at; {
			case left >= 16:
				id, n = LogInsert16, 16
			case left >= 4:
				id, n = LogInsert4, 4
			}
			args = args[:0]
			for i := at; i < at+n; i++ {
				e := &events[i]
				args = append(args, e.LogID, ts(e.Date), e.Type, e.UserID, e.ClientID, docs[i])
			}
			if err := s.exec(ctx, q, "append logs", id, args...); err != nil {
				return err
			}
			at += n
		}
		return nil
	})
}

func (s *Store) GetLog(ctx context.Context, id string) (*domain.LogEvent, error) {
	return getOne(ctx, s, s.reader(ctx), scanDoc[domain.LogEvent], "log event", id, LogGet, id)
}

// ListLogs lists newest first; events of the same instant keep their insertion order reversed.
func (s *Store) ListLogs(ctx context.Context, f store.LogFilter, p store.Page) ([]*domain.LogEvent, int, error) {
	var w where
	if f.Type != "" {
		w.add("type = " + w.arg(f.Type))
	}
	if f.UserID != "" {
		w.add("user_id = " + w.arg(f.UserID))
	}
	if f.ClientID != "" {
		w.add("client_id = " + w.arg(f.ClientID))
	}
	return listWhere(ctx, s, "logs", scanDoc[domain.LogEvent], LogCount, LogSelect, &w, "date DESC, seq DESC", p)
}

// Tenant settings: one row, defaults until the first Put.

func (s *Store) GetTenantSettings(ctx context.Context) (domain.TenantSettings, error) {
	t, err := scanDoc[domain.TenantSettings](s.reader(ctx).QueryRowContext(ctx, s.q[TenantGet]))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.DefaultTenantSettings(), nil
	}
	if err != nil {
		return domain.TenantSettings{}, s.mapErr("get tenant settings", err)
	}
	return *t, nil
}

func (s *Store) PutTenantSettings(ctx context.Context, t domain.TenantSettings) error {
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "put tenant settings", TenantPut, doc)
	})
}
