package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func (s *Store) CreateMFAAuthenticator(ctx context.Context, a *domain.MFAAuthenticator) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now().UTC()
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "create mfa authenticator", MFAInsert,
			a.ID, a.UserID, a.Type, a.Secret, a.Confirmed, a.LastStep, ts(a.CreatedAt))
	})
}

func (s *Store) ListMFAAuthenticators(ctx context.Context, userID string) ([]*domain.MFAAuthenticator, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.q[MFAListByUser], userID)
	if err != nil {
		return nil, s.mapErr("list mfa authenticators", err)
	}
	list, err := scanAll(rows, scanMFA)
	return list, s.mapErr("list mfa authenticators", err)
}

func (s *Store) GetMFAAuthenticator(ctx context.Context, userID, id string) (*domain.MFAAuthenticator, error) {
	return getOne(ctx, s, s.reader(ctx), scanMFA, "authentication method", id, MFAGet, userID, id)
}

func (s *Store) GetMFAAuthenticatorByID(ctx context.Context, id string) (*domain.MFAAuthenticator, error) {
	return getOne(ctx, s, s.reader(ctx), scanMFA, "authentication method", id, MFAGetByID, id)
}

func (s *Store) UseTOTPStep(ctx context.Context, id string, step int64, at time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(q querier) error {
		var err error
		n, err = execN(ctx, q, s.q[MFAUseStep], id, step, ts(at))
		return err
	})
	return n == 1, s.mapErr("use totp step", err)
}

func (s *Store) UseRecoveryCode(ctx context.Context, userID, id string) (bool, error) {
	var n int64
	err := s.write(ctx, func(q querier) error {
		var err error
		n, err = execN(ctx, q, s.q[MFAUseRecovery], userID, id)
		return err
	})
	return n == 1, s.mapErr("use recovery code", err)
}

func (s *Store) MarkMFAAuthenticatorUsed(ctx context.Context, userID, id string, at time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "mark mfa authenticator used", "authentication method", id, MFAMarkUsed, userID, id, ts(at))
	})
}

func (s *Store) DeleteMFAAuthenticator(ctx context.Context, userID, id string) error {
	return s.write(ctx, func(q querier) error {
		return s.execFound(ctx, q, "delete mfa authenticator", "authentication method", id, MFADelete, userID, id)
	})
}

func (s *Store) DeleteUnconfirmedMFAAuthenticators(ctx context.Context, userID, typ string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete unconfirmed mfa authenticators", MFADeleteUnconfirmed, userID, typ)
	})
}

func (s *Store) DeleteUserMFAAuthenticators(ctx context.Context, userID string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "delete user mfa authenticators", MFADeleteByUser, userID)
	})
}

func (s *Store) SetSessionMFA(ctx context.Context, m *domain.SessionMFA) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "set session mfa", SessionMFAPut, m.SessionID, strings.Join(m.Methods, " "), ts(m.At))
	})
}

func (s *Store) GetSessionMFA(ctx context.Context, sessionID string) (*domain.SessionMFA, error) {
	return getOne(ctx, s, s.reader(ctx), func(r scanner) (*domain.SessionMFA, error) {
		var (
			m       domain.SessionMFA
			methods string
			at      int64
		)
		if err := r.Scan(&m.SessionID, &methods, &at); err != nil {
			return nil, err
		}
		m.Methods, m.At = strings.Fields(methods), fromTS(at)
		return &m, nil
	}, "session mfa", sessionID, SessionMFAGet, sessionID)
}

func (s *Store) GetGuardianSettings(ctx context.Context) (domain.GuardianSettings, error) {
	g, err := scanDoc[domain.GuardianSettings](s.reader(ctx).QueryRowContext(ctx, s.q[GuardianGet]))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.DefaultGuardianSettings(), nil
	}
	if err != nil {
		return domain.GuardianSettings{}, s.mapErr("get guardian settings", err)
	}
	if g.Policies == nil {
		g.Policies = []string{}
	}
	if g.Enabled == nil {
		g.Enabled = map[string]bool{}
	}
	return *g, nil
}

func (s *Store) PutGuardianSettings(ctx context.Context, g domain.GuardianSettings) error {
	doc, err := marshal(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "save guardian settings", GuardianPut, ts(s.now()), doc)
	})
}

func scanMFA(r scanner) (*domain.MFAAuthenticator, error) {
	var (
		a         domain.MFAAuthenticator
		created   int64
		lastAuthN sql.NullInt64
	)
	if err := r.Scan(&a.ID, &a.UserID, &a.Type, &a.Secret, &a.Confirmed, &a.LastStep, &created, &lastAuthN); err != nil {
		return nil, err
	}
	a.CreatedAt = fromTS(created)
	if lastAuthN.Valid {
		t := fromTS(lastAuthN.Int64)
		a.LastAuthAt = &t
	}
	return &a, nil
}

func (s *Store) RememberBrowser(ctx context.Context, tokenHash []byte, userID string, expiresAt time.Time) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "remember browser", RememberedBrowserInsert, tokenHash, userID, ts(expiresAt))
	})
}

func (s *Store) BrowserRemembered(ctx context.Context, tokenHash []byte, userID string, now time.Time) (bool, error) {
	var n int
	err := s.reader(ctx).QueryRowContext(ctx, s.q[RememberedBrowserLive], tokenHash, userID, ts(now)).Scan(&n)
	return n > 0, s.mapErr("browser remembered", err)
}

func (s *Store) ForgetRememberedBrowsers(ctx context.Context, userID string) error {
	return s.write(ctx, func(q querier) error {
		return s.exec(ctx, q, "forget remembered browsers", RememberedBrowserDeleteByUser, userID)
	})
}
