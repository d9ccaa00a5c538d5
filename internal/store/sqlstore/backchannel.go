package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// The back-channel logout outbox: the email outbox's statements on a table of its own.

func (s *Store) EnqueueBackchannelLogout(ctx context.Context, l *domain.BackchannelLogout) error {
	if l.ID == "" {
		l.ID = domain.NewBackchannelLogoutID()
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = s.now().UTC()
	}
	if l.NextAttemptAt.IsZero() {
		l.NextAttemptAt = l.CreatedAt
	}
	doc, err := marshal(l)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "queue back-channel logout", BackchannelInsert, l.ID, ts(l.CreatedAt), ts(l.NextAttemptAt), doc)
	})
}

func (s *Store) ClaimBackchannelLogouts(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*domain.BackchannelLogout, error) {
	var out []*domain.BackchannelLogout
	err := s.write(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, s.q[BackchannelClaim], owner, ts(leaseUntil), ts(now), limit)
		if err != nil {
			return s.mapErr("claim back-channel logouts", err)
		}
		out, err = scanAll(rows, scanBackchannel)
		return s.mapErr("claim back-channel logouts", err)
	})
	return out, err
}

func (s *Store) MarkBackchannelSent(ctx context.Context, id, owner string, now time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "mark back-channel logout sent", "back-channel logout lease", id, BackchannelSent, id, owner, ts(now))
	})
}

func (s *Store) RetryBackchannel(ctx context.Context, id, owner string, next time.Time, lastErr string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "reschedule back-channel logout", "back-channel logout lease", id, BackchannelRetry, id, owner, ts(next), lastErr)
	})
}

func (s *Store) FailBackchannel(ctx context.Context, id, owner string, now time.Time, lastErr string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "fail back-channel logout", "back-channel logout lease", id, BackchannelFail, id, owner, ts(now), lastErr)
	})
}

func (s *Store) GetBackchannelLogout(ctx context.Context, id string) (*domain.BackchannelLogout, error) {
	return getOne(ctx, s, s.reader(ctx), scanBackchannel, "back-channel logout", id, BackchannelGet, id)
}

func scanBackchannel(r scanner) (*domain.BackchannelLogout, error) {
	var (
		l                domain.BackchannelLogout
		id, lastErr      string
		created, next    int64
		attempts         int
		sentAt, failedAt sql.NullInt64
		doc              []byte
	)
	if err := r.Scan(&id, &created, &next, &attempts, &sentAt, &failedAt, &lastErr, &doc); err != nil {
		return nil, err
	}
	if err := unmarshal(doc, &l); err != nil {
		return nil, err
	}
	l.ID, l.Attempts, l.LastError = id, attempts, lastErr
	l.CreatedAt, l.NextAttemptAt = fromTS(created), fromTS(next)
	l.SentAt, l.FailedAt = fromNullTS(sentAt), fromNullTS(failedAt)
	return &l, nil
}
