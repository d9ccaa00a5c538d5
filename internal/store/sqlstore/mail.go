package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// The email provider is one row whose sealed password is a column of its own, like a signing
// key's, never part of the JSON document. The outbox keeps the rendered message in doc until it is
// sent or given up, then only its envelope (see emailEnvelope).

func (s *Store) GetEmailProvider(ctx context.Context) (*domain.EmailProvider, error) {
	return getOne(ctx, s, s.reader(ctx), func(r scanner) (*domain.EmailProvider, error) {
		var (
			p       domain.EmailProvider
			sealed  []byte
			updated int64
			doc     []byte
		)
		if err := r.Scan(&sealed, &updated, &doc); err != nil {
			return nil, err
		}
		if err := unmarshal(doc, &p); err != nil {
			return nil, err
		}
		p.PasswordSealed, p.UpdatedAt = sealed, fromTS(updated)
		return &p, nil
	}, "email provider", "", EmailProviderGet)
}

func (s *Store) PutEmailProvider(ctx context.Context, p *domain.EmailProvider) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now().UTC()
	}
	doc, err := marshal(p)
	if err != nil {
		return err
	}
	var sealed any
	if len(p.PasswordSealed) > 0 {
		sealed = p.PasswordSealed
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "save email provider", EmailProviderPut, sealed, ts(p.UpdatedAt), doc)
	})
}

func (s *Store) EnqueueEmail(ctx context.Context, m *domain.OutboundEmail) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.ID == "" {
		m.ID = domain.NewEmailID()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now().UTC()
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	doc, err := marshal(m)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "queue email", EmailInsert, m.ID, ts(m.CreatedAt), ts(m.NextAttemptAt), doc)
	})
}

func (s *Store) ClaimEmails(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*domain.OutboundEmail, error) {
	var out []*domain.OutboundEmail
	err := s.write(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, s.q[EmailClaim], owner, ts(leaseUntil), ts(now), limit)
		if err != nil {
			return s.mapErr("claim emails", err)
		}
		out, err = scanAll(rows, scanEmail)
		return s.mapErr("claim emails", err)
	})
	return out, err
}

func (s *Store) MarkEmailSent(ctx context.Context, id, owner string, now time.Time) error {
	return s.finishEmail(ctx, id, func(q querier, doc string) error {
		return s.execFound(ctx, q, "mark email sent", "email lease", id, EmailSent, id, owner, ts(now), doc)
	})
}

func (s *Store) RetryEmail(ctx context.Context, id, owner string, next time.Time, lastErr string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "reschedule email", "email lease", id, EmailRetry, id, owner, ts(next), lastErr)
	})
}

func (s *Store) FailEmail(ctx context.Context, id, owner string, now time.Time, lastErr string) error {
	return s.finishEmail(ctx, id, func(q querier, doc string) error {
		return s.execFound(ctx, q, "fail email", "email lease", id, EmailFail, id, owner, ts(now), lastErr, doc)
	})
}

// finishEmail runs a final update with the message's envelope in place of its document.
func (s *Store) finishEmail(ctx context.Context, id string, fn func(q querier, envelope string) error) error {
	return s.write(ctx, func(q querier) error {
		m, err := getOne(ctx, s, q, scanEmail, "email", id, EmailGet, id)
		if err != nil {
			return err
		}
		doc, err := marshal(emailEnvelope(m))
		if err != nil {
			return err
		}
		return fn(q, doc)
	})
}

// emailEnvelope is what the outbox keeps of a message once it is done with: who, what kind, the
// subject; not the body, whose links carry live tickets.
func emailEnvelope(m *domain.OutboundEmail) *domain.OutboundEmail {
	return &domain.OutboundEmail{To: m.To, From: m.From, Subject: m.Subject, Kind: m.Kind, UserID: m.UserID, ClientID: m.ClientID}
}

func (s *Store) GetEmail(ctx context.Context, id string) (*domain.OutboundEmail, error) {
	return getOne(ctx, s, s.reader(ctx), scanEmail, "email", id, EmailGet, id)
}

// EmailQueue counts the unfinished messages and finds the oldest.
func (s *Store) EmailQueue(ctx context.Context) (int, time.Time, error) {
	var (
		n      int
		oldest int64
	)
	if err := s.reader(ctx).QueryRowContext(ctx, s.q[EmailQueue]).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("email queue: %w", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	return n, fromTS(oldest), nil
}

func scanEmail(r scanner) (*domain.OutboundEmail, error) {
	var (
		m                domain.OutboundEmail
		created, next    int64
		sentAt, failedAt sql.NullInt64
		doc              []byte
	)
	if err := r.Scan(&m.ID, &created, &next, &m.Attempts, &sentAt, &failedAt, &m.LastError, &doc); err != nil {
		return nil, err
	}
	id, attempts, lastErr := m.ID, m.Attempts, m.LastError
	if err := unmarshal(doc, &m); err != nil {
		return nil, err
	}
	m.ID, m.Attempts, m.LastError = id, attempts, lastErr
	m.CreatedAt, m.NextAttemptAt = fromTS(created), fromTS(next)
	m.SentAt, m.FailedAt = fromNullTS(sentAt), fromNullTS(failedAt)
	return &m, nil
}

func (s *Store) AppendDevMail(ctx context.Context, m *domain.DevMail, keep int) error {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.now().UTC()
	}
	doc, err := marshal(m)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if err := s.exec(ctx, q, "store dev mail", DevMailInsert, m.ID, ts(m.ReceivedAt), doc); err != nil {
			return err
		}
		return s.exec(ctx, q, "trim dev mailbox", DevMailTrim, keep)
	})
}

func (s *Store) ListDevMail(ctx context.Context, limit int) ([]*domain.DevMail, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[DevMailList], limit)
	if err != nil {
		return nil, s.mapErr("list dev mail", err)
	}
	list, err := scanAll(rows, scanDoc[domain.DevMail])
	return list, s.mapErr("list dev mail", err)
}

func (s *Store) GetDevMail(ctx context.Context, id string) (*domain.DevMail, error) {
	return getOne(ctx, s, s.reader(ctx), scanDoc[domain.DevMail], "dev mail", id, DevMailGet, id)
}
