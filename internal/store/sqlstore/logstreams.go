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

// Buckets: attack protection's per-address throttles, on the counters table (see BucketHit).

func (s *Store) HitBucket(ctx context.Context, key string, now time.Time, interval, limit time.Duration) (time.Time, error) {
	var tat int64
	err := s.write(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, s.q[BucketHit], key, ts(now), interval.Microseconds(), limit.Microseconds()).Scan(&tat)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("hit bucket: %w", err)
	}
	return fromTS(tat), nil
}

func (s *Store) RefundBucket(ctx context.Context, key string, interval time.Duration) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "refund bucket", BucketRefund, key, interval.Microseconds())
	})
}

// Logs by sequence number: checkpoint paging, log stream delivery and retention.

func (s *Store) ListLogsFrom(ctx context.Context, f store.LogFilter, fromLogID string, take int) ([]*domain.LogEvent, error) {
	q := s.reader(ctx)
	var seq int64
	if err := q.QueryRowContext(ctx, s.q[LogSeq], fromLogID).Scan(&seq); errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("log event", fromLogID)
	} else if err != nil {
		return nil, s.mapErr("log checkpoint", err)
	}
	var w where
	w.add("seq > " + w.arg(seq))
	if f.Type != "" {
		w.add("type = " + w.arg(f.Type))
	}
	if f.UserID != "" {
		w.add("user_id = " + w.arg(f.UserID))
	}
	if f.ClientID != "" {
		w.add("client_id = " + w.arg(f.ClientID))
	}
	rows, err := q.QueryContext(ctx, s.q[LogFromSelect]+w.String()+" ORDER BY seq LIMIT "+w.arg(take), w.args...)
	if err != nil {
		return nil, s.mapErr("list logs", err)
	}
	list, err := scanAll(rows, scanDoc[domain.LogEvent])
	return list, s.mapErr("list logs", err)
}

func (s *Store) ListLogsAfter(ctx context.Context, seq int64, limit int) ([]domain.LogRecord, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[LogAfter], seq, limit)
	if err != nil {
		return nil, s.mapErr("list logs after", err)
	}
	list, err := scanAll(rows, func(r scanner) (domain.LogRecord, error) {
		var (
			rec domain.LogRecord
			doc []byte
		)
		if err := r.Scan(&rec.Seq, &doc); err != nil {
			return rec, err
		}
		rec.Event = new(domain.LogEvent)
		return rec, unmarshal(doc, rec.Event)
	})
	return list, s.mapErr("list logs after", err)
}

func (s *Store) DeleteLogsBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(q querier) error {
		var err error
		n, err = execN(ctx, q, s.q[LogDeleteBefore], ts(t), limit)
		return err
	})
	return int(n), s.mapErr("delete old logs", err)
}

// Attack protection: one row per section over Auth0's defaults.

func (s *Store) GetAttackProtection(ctx context.Context) (domain.AttackProtection, error) {
	ap := domain.DefaultAttackProtection()
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[AttackProtectionList])
	if err != nil {
		return ap, s.mapErr("get attack protection", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			section string
			doc     []byte
		)
		if err := rows.Scan(&section, &doc); err != nil {
			return ap, s.mapErr("get attack protection", err)
		}
		var dst any
		switch section {
		case domain.SectionBruteForce:
			dst = &ap.BruteForce
		case domain.SectionSuspiciousIP:
			dst = &ap.SuspiciousIP
		case domain.SectionBreachedPassword:
			dst = &ap.BreachedPassword
		default:
			continue // a section a newer version knows
		}
		if err := unmarshal(doc, dst); err != nil {
			return ap, err
		}
	}
	return ap, s.mapErr("get attack protection", rows.Err())
}

func (s *Store) putSection(ctx context.Context, section string, v any) error {
	doc, err := marshal(v)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "save attack protection", AttackProtectionPut, section, ts(s.now()), doc)
	})
}

func (s *Store) PutBruteForceProtection(ctx context.Context, b domain.BruteForceProtection) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.putSection(ctx, domain.SectionBruteForce, b)
}

func (s *Store) PutSuspiciousIPThrottling(ctx context.Context, t domain.SuspiciousIPThrottling) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return s.putSection(ctx, domain.SectionSuspiciousIP, t)
}

func (s *Store) PutBreachedPasswordDetection(ctx context.Context, b domain.BreachedPasswordDetection) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.putSection(ctx, domain.SectionBreachedPassword, b)
}

// Log streams.

func scanLogStream(r scanner) (*domain.LogStream, error) {
	var (
		ls                          domain.LogStream
		sealed, doc                 []byte
		created, updated, next, cur int64
	)
	if err := r.Scan(&ls.ID, &ls.Status, &created, &updated, &sealed, &doc, &cur, &ls.Failures, &next, &ls.LastError); err != nil {
		return nil, err
	}
	id, status := ls.ID, ls.Status
	if err := unmarshal(doc, &ls); err != nil {
		return nil, err
	}
	ls.ID, ls.Status = id, status // the columns are the truth: the worker changes status
	ls.CreatedAt, ls.UpdatedAt, ls.NextAttemptAt, ls.Cursor = fromTS(created), fromTS(updated), fromTS(next), cur
	ls.AuthorizationSealed = sealed
	return &ls, nil
}

func sealedArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (s *Store) CreateLogStream(ctx context.Context, ls *domain.LogStream) error {
	if err := ls.Validate(); err != nil {
		return err
	}
	now := s.now().UTC()
	if ls.CreatedAt.IsZero() {
		ls.CreatedAt = now
	}
	if ls.UpdatedAt.IsZero() {
		ls.UpdatedAt = ls.CreatedAt
	}
	doc, err := marshal(ls)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create log stream", LogStreamInsert, ls.ID, ls.Status, ts(ls.CreatedAt), ts(ls.UpdatedAt),
			sealedArg(ls.AuthorizationSealed), doc)
	})
}

func (s *Store) GetLogStream(ctx context.Context, id string) (*domain.LogStream, error) {
	return getOne(ctx, s, s.reader(ctx), scanLogStream, "log stream", id, LogStreamGet, id)
}

func (s *Store) ListLogStreams(ctx context.Context) ([]*domain.LogStream, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[LogStreamList])
	if err != nil {
		return nil, s.mapErr("list log streams", err)
	}
	list, err := scanAll(rows, scanLogStream)
	return list, s.mapErr("list log streams", err)
}

func (s *Store) UpdateLogStream(ctx context.Context, ls *domain.LogStream) error {
	if err := ls.Validate(); err != nil {
		return err
	}
	ls.UpdatedAt = s.now().UTC()
	doc, err := marshal(ls)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "update log stream", "log stream", ls.ID, LogStreamUpdate, ls.ID, ls.Status, ts(ls.UpdatedAt),
			sealedArg(ls.AuthorizationSealed), doc)
	})
}

func (s *Store) DeleteLogStream(ctx context.Context, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete log stream", "log stream", id, LogStreamDelete, id)
	})
}

func (s *Store) ClaimLogStream(ctx context.Context, id, owner string, now, leaseUntil time.Time) (*domain.LogStream, error) {
	var ls *domain.LogStream
	err := s.write(ctx, func(q querier) error {
		var err error
		ls, err = getOne(ctx, s, q, scanLogStream, "log stream", id, LogStreamClaim, id, owner, ts(leaseUntil), ts(now))
		return err
	})
	return ls, err
}

func (s *Store) AdvanceLogStream(ctx context.Context, id, owner string, cursor int64, leaseUntil time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "advance log stream", "log stream lease", id, LogStreamAdvance, id, owner, cursor, ts(leaseUntil))
	})
}

func (s *Store) FailLogStream(ctx context.Context, id, owner string, next time.Time, lastErr string, suspendAfter int) (string, error) {
	var status string
	err := s.write(ctx, func(q querier) error {
		err := q.QueryRowContext(ctx, s.q[LogStreamFail], id, owner, ts(next), lastErr, suspendAfter).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("log stream lease", id)
		}
		return s.mapErr("log stream failure", err)
	})
	return status, err
}

func (s *Store) ReleaseLogStream(ctx context.Context, id, owner string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "release log stream", LogStreamRelease, id, owner)
	})
}

func (s *Store) LogStreamBacklogs(ctx context.Context) ([]store.LogStreamBacklog, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[LogStreamBacklog])
	if err != nil {
		return nil, s.mapErr("log stream backlog", err)
	}
	defer rows.Close()
	var out []store.LogStreamBacklog
	for rows.Next() {
		var (
			b      store.LogStreamBacklog
			oldest int64
		)
		if err := rows.Scan(&b.StreamID, &b.Status, &b.Depth, &oldest); err != nil {
			return nil, s.mapErr("log stream backlog", err)
		}
		if b.Depth > 0 {
			b.Oldest = fromTS(oldest)
		}
		out = append(out, b)
	}
	return out, s.mapErr("log stream backlog", rows.Err())
}
