package mfa

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Email one-time codes. An email authenticator holds no secret: a code goes to the user's verified
// address at the time it is asked for, so a user whose address changed or is unverified cannot
// use it. Each challenge is an oob_code (a ticket of kind TicketMFAOOB: 256 random bits, only its
// SHA-256 stored) bound to the ticket it was asked under (an mfa_token); the six-digit code the
// mail carries is stored as the SHA-256 of the oob_code and the code together, so the stored row
// alone does not give the code away. A code lives EmailCodeLifetime and is spent once.

// ErrNoVerifiedEmail: the user has no verified address to send a code to.
var ErrNoVerifiedEmail = errors.New("mfa: the user has no verified email address")

// EmailAuthenticator returns the user's email authenticator, confirmed or not, or nil.
func (s *Service) EmailAuthenticator(ctx context.Context, userID string) (*domain.MFAAuthenticator, error) {
	list, err := s.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(a *domain.MFAAuthenticator) bool { return a.Type == domain.MethodEmail })
	if i < 0 {
		return nil, nil
	}
	return list[i], nil
}

// EnrollEmail returns the user's email authenticator, creating an unconfirmed one (confirmed by
// the first code answered) when there is none. The user's address must be verified.
func (s *Service) EnrollEmail(ctx context.Context, u *domain.User) (*domain.MFAAuthenticator, error) {
	if u.Email == "" || !u.EmailVerified {
		return nil, ErrNoVerifiedEmail
	}
	a, err := s.EmailAuthenticator(ctx, u.UserID)
	if err != nil || a != nil {
		return a, err
	}
	a = &domain.MFAAuthenticator{ID: "email|dev_" + domain.RandomToken(12), UserID: u.UserID, Type: domain.MethodEmail,
		Secret: []byte{}, CreatedAt: s.now().UTC()}
	if err := s.store.CreateMFAAuthenticator(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// EmailCodes mails one-time codes and checks them.
type EmailCodes struct {
	Store store.Store
	Mail  *mailtemplate.Renderer
	// Kick wakes the mail worker after a code is queued; nil waits for its next round.
	Kick func()
	Now  func() time.Time
}

func (e *EmailCodes) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func codeHash(oobCode, code string) []byte { return domain.HashSecret(oobCode + "\x00" + code) }

// newCode is six uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Send mails a fresh code for authenticator a of user u (the mfa_oob_code template) and returns
// its oob_code; binding is the hash of the ticket the challenge belongs to. The challenge and the
// mail are written in one transaction: neither exists without the other.
func (e *EmailCodes) Send(ctx context.Context, u *domain.User, c *domain.Client, a *domain.MFAAuthenticator, binding []byte) (string, error) {
	if u.Email == "" || !u.EmailVerified {
		return "", ErrNoVerifiedEmail
	}
	code, err := newCode()
	if err != nil {
		return "", err
	}
	oob, hash := domain.NewTicket()
	tpl, err := e.Mail.Template(ctx, domain.TemplateMFAOOBCode)
	if err != nil {
		return "", err
	}
	// The code is the factor itself: a tenant that turned the template off still gets it sent,
	// with the built-in template.
	if !tpl.Enabled {
		if tpl, err = mailtemplate.Default(domain.TemplateMFAOOBCode); err != nil {
			return "", err
		}
	}
	m, _, err := e.Mail.RenderOrDefault(ctx, tpl, mailtemplate.Data{User: u, Client: c, Lifetime: domain.EmailCodeLifetime,
		Extra: map[string]any{"code": code}})
	if err != nil {
		return "", fmt.Errorf("mfa: render %s: %w", domain.TemplateMFAOOBCode, err)
	}
	now := e.now().UTC()
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketMFAOOB, UserID: u.UserID, CreatedAt: now, ExpiresAt: now.Add(domain.EmailCodeLifetime),
		Binding: binding, AuthenticatorID: a.ID, CodeHash: codeHash(oob, code), Email: u.Email}
	if c != nil {
		t.ClientID = c.ClientID
	}
	err = e.Store.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTicket(ctx, t); err != nil {
			return err
		}
		return tx.EnqueueEmail(ctx, m)
	})
	if err != nil {
		return "", err
	}
	if e.Kick != nil {
		e.Kick()
	}
	return oob, nil
}

// Why a code was refused.
var (
	// ErrUnknownChallenge: no live oob_code of this user under this binding (never issued, expired,
	// another user's or another transaction's).
	ErrUnknownChallenge = errors.New("mfa: unknown or expired oob_code")
	// ErrFactorRemoved: the authenticator the code was sent for was deleted meanwhile.
	ErrFactorRemoved = errors.New("mfa: the authenticator was removed")
)

// Check answers a code for an oob_code of userID under binding. A right code spends the oob_code
// (a second answer is Replayed) and records the authenticator as used; a wrong one leaves it for
// another try (the caller bounds the tries). It returns the authenticator's id.
func (e *EmailCodes) Check(ctx context.Context, userID string, binding []byte, oobCode, code string) (Outcome, string, error) {
	now := e.now().UTC()
	hash := domain.HashSecret(oobCode)
	t, err := e.Store.GetTicket(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Wrong, "", ErrUnknownChallenge
	}
	if err != nil {
		return Wrong, "", err
	}
	if t.Kind != domain.TicketMFAOOB || t.UserID != userID || subtle.ConstantTimeCompare(t.Binding, binding) != 1 || !now.Before(t.ExpiresAt) {
		return Wrong, "", ErrUnknownChallenge
	}
	if subtle.ConstantTimeCompare(t.CodeHash, codeHash(oobCode, code)) != 1 {
		return Wrong, t.AuthenticatorID, nil
	}
	if t.UsedAt != nil {
		return Replayed, t.AuthenticatorID, nil
	}
	if _, err := e.Store.RedeemTicket(ctx, hash, domain.TicketMFAOOB, now); errors.Is(err, store.ErrAlreadyUsed) {
		return Replayed, t.AuthenticatorID, nil
	} else if err != nil {
		return Wrong, "", err
	}
	if err := e.Store.MarkMFAAuthenticatorUsed(ctx, userID, t.AuthenticatorID, now); errors.Is(err, store.ErrNotFound) {
		return Wrong, t.AuthenticatorID, ErrFactorRemoved
	} else if err != nil {
		return Wrong, "", err
	}
	return Accepted, t.AuthenticatorID, nil
}
