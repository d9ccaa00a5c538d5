package emailverify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrNoEmail refuses a verification mail for a user without an address.
var ErrNoEmail = errors.New("the user has no email address")

// render renders t for d, or the built-in template when the tenant's does not render for this
// user: a signup never fails because of a template.
func (h *Handler) render(ctx context.Context, t *domain.EmailTemplate, d mailtemplate.Data) (*domain.OutboundEmail, error) {
	m, fellBack, err := h.mail.RenderOrDefault(ctx, t, d)
	if fellBack != nil {
		h.o.Logger.WarnContext(ctx, "the tenant's email template did not render; the built-in one was sent", "template", t.Template, "err", fellBack)
	}
	return m, err
}

// QueueVerification issues a verification ticket for u and queues its mail, through tx (a Store
// bound to the caller's transaction). It returns the queued message's id. client is the
// application the user came from (nil when unknown).
func (h *Handler) QueueVerification(ctx context.Context, tx store.Store, u *domain.User, client *domain.Client) (string, error) {
	if u.Email == "" {
		return "", ErrNoEmail
	}
	t, err := h.mail.Template(ctx, domain.TemplateVerifyEmail)
	if err != nil {
		return "", err
	}
	life := t.LinkLifetime(domain.VerifyMailLifetime)
	secret, hash := domain.NewTicket()
	now := h.o.Now().UTC()
	ticket := &domain.Ticket{Hash: hash, Kind: domain.TicketEmailVerification, UserID: u.UserID, CreatedAt: now,
		ExpiresAt: now.Add(life), ResultURL: t.ResultURL, IncludeEmail: t.ResultURL != "" && t.IncludeEmailInRedirect, Email: u.Email}
	if client != nil {
		ticket.ClientID = client.ClientID
	}
	m, err := h.render(ctx, t, mailtemplate.Data{User: u, Client: client, URL: domain.EmailVerificationURL(h.o.Issuer, secret), Lifetime: life})
	if err != nil {
		return "", err
	}
	m.Kind, m.UserID, m.ClientID = domain.TemplateVerifyEmail, u.UserID, ticket.ClientID
	if err := tx.CreateTicket(ctx, ticket); err != nil {
		return "", fmt.Errorf("emailverify: ticket: %w", err)
	}
	if err := tx.EnqueueEmail(ctx, m); err != nil {
		return "", fmt.Errorf("emailverify: queue: %w", err)
	}
	return m.ID, nil
}

// queueWelcome queues the welcome mail when the tenant has enabled it.
func (h *Handler) queueWelcome(ctx context.Context, tx store.Store, u *domain.User, client *domain.Client) (bool, error) {
	t, err := h.mail.Template(ctx, domain.TemplateWelcomeEmail)
	if err != nil || !t.Enabled || u.Email == "" {
		return false, err
	}
	m, err := h.render(ctx, t, mailtemplate.Data{User: u, Client: client, Lifetime: time.Duration(0)})
	if err != nil {
		return false, err
	}
	m.Kind, m.UserID = domain.TemplateWelcomeEmail, u.UserID
	if client != nil {
		m.ClientID = client.ClientID
	}
	return true, tx.EnqueueEmail(ctx, m)
}

// VerifyEmailEnabled reports whether the verify_email template (the tenant's, else the built-in
// one) is enabled.
func (h *Handler) VerifyEmailEnabled(ctx context.Context) (bool, error) {
	t, err := h.mail.Template(ctx, domain.TemplateVerifyEmail)
	if err != nil {
		return false, err
	}
	return t.Enabled, nil
}

// SignupMail is what a new database user is sent, through tx (the signup's transaction), as
// Auth0 does: the verification mail while the verify_email template is enabled and the address
// is not verified yet, and then the welcome mail once it is; with verification off, the welcome
// mail at once. It reports whether anything was queued.
func (h *Handler) SignupMail(ctx context.Context, tx store.Store, u *domain.User, client *domain.Client) (bool, error) {
	if u.Email == "" {
		return false, nil
	}
	t, err := h.mail.Template(ctx, domain.TemplateVerifyEmail)
	if err != nil {
		return false, err
	}
	if t.Enabled && !u.EmailVerified {
		if _, err := h.QueueVerification(ctx, tx, u, client); err != nil {
			return false, err
		}
		return true, nil
	}
	return h.queueWelcome(ctx, tx, u, client)
}
