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

// RedeemTicket is one conditional UPDATE, then a read of the row to tell the caller why it did
// not match; the read is in the same transaction, so it sees what the UPDATE saw.
func (s *Store) RedeemTicket(ctx context.Context, hash []byte, kind string, now time.Time) (*domain.Ticket, error) {
	var (
		t       *domain.Ticket
		outcome error
	)
	err := s.write(ctx, func(q querier) error {
		n, err := execN(ctx, q, s.q[TicketRedeem], hash, kind, ts(now))
		if err != nil {
			return s.mapErr("redeem ticket", err)
		}
		t, err = scanTicket(q.QueryRowContext(ctx, s.q[TicketGet], hash))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t, outcome = nil, notFound("ticket", "by hash")
		case err != nil:
			return s.mapErr("redeem ticket", err)
		case n == 1:
		case t.Kind != kind:
			t, outcome = nil, notFound("ticket", "by hash (other kind)")
		case t.UsedAt != nil:
			t, outcome = nil, store.ErrAlreadyUsed
		default:
			t, outcome = nil, notFound("ticket", "by hash (expired)")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, outcome
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
