package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (s *Store) CreateTicket(ctx context.Context, t *domain.Ticket) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	doc, err := marshal(t)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create ticket", TicketInsert, t.Hash, t.Kind, t.UserID, ts(t.ExpiresAt), doc)
	})
}

func (s *Store) GetTicket(ctx context.Context, hash []byte) (*domain.Ticket, error) {
	return getOne(ctx, s, s.reader(ctx), scanTicket, "ticket", "by hash", TicketGet, hash)
}

// RedeemTicket spends a ticket of kind once (see redeemOnce).
func (s *Store) RedeemTicket(ctx context.Context, hash []byte, kind string, now time.Time) (*domain.Ticket, error) {
	return redeemOnce(ctx, s, "ticket", "kind", TicketRedeem, TicketGet, scanTicket, hash, kind, now,
		func(t *domain.Ticket) (string, *time.Time) { return t.Kind, t.UsedAt })
}

// redeemOnce spends a single-use row by the hash of its secret: one conditional UPDATE (redeem:
// hash, scope, now) that matches only an unused, unexpired row of that scope, then a read of the row
// (get: hash) in the same transaction, which sees what the UPDATE saw, to tell the caller why it
// did not match: unknown, another scope, already used (store.ErrAlreadyUsed) or expired. The row is
// returned only when this call spent it.
func redeemOnce[T any](ctx context.Context, s *Store, what, scopeName string, redeem, get Stmt,
	scan func(scanner) (T, error), hash []byte, scope string, now time.Time,
	state func(T) (scope string, usedAt *time.Time)) (T, error) {
	var (
		zero, v T
		outcome error
	)
	err := s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[redeem], hash, scope, ts(now))
		if err != nil {
			return s.mapErr("redeem "+what, err)
		}
		v, err = scan(q.QueryRowContext(ctx, s.q[get], hash))
		if errors.Is(err, sql.ErrNoRows) {
			v, outcome = zero, notFound(what, "by hash")
			return nil
		}
		if err != nil {
			return s.mapErr("redeem "+what, err)
		}
		if n == 1 {
			return nil
		}
		switch rowScope, usedAt := state(v); {
		case rowScope != scope:
			v, outcome = zero, notFound(what, "by hash (other "+scopeName+")")
		case usedAt != nil:
			v, outcome = zero, store.ErrAlreadyUsed
		default:
			v, outcome = zero, notFound(what, "by hash (expired)")
		}
		return nil
	})
	if err != nil {
		return zero, err
	}
	return v, outcome
}

func (s *Store) SpendUserTickets(ctx context.Context, userID, kind string, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "spend user tickets", TicketSpendUser, userID, kind, ts(now))
	})
}

func (s *Store) CountLiveTickets(ctx context.Context, userID, kind string, now time.Time) (int, error) {
	var n int
	err := s.reader(ctx).QueryRowContext(ctx, s.q[TicketCountLive], userID, kind, ts(now)).Scan(&n)
	return n, s.mapErr("count live tickets", err)
}

func scanTicket(r scanner) (*domain.Ticket, error) {
	var (
		t       domain.Ticket
		expires int64
		used    sql.NullInt64
		doc     []byte
	)
	if err := r.Scan(&t.Hash, &t.Kind, &t.UserID, &expires, &used, &doc); err != nil {
		return nil, err
	}
	hash, kind, user := t.Hash, t.Kind, t.UserID
	if err := unmarshal(doc, &t); err != nil {
		return nil, err
	}
	t.Hash, t.Kind, t.UserID = hash, kind, user
	t.ExpiresAt, t.UsedAt = fromTS(expires), fromNullTS(used)
	return &t, nil
}
