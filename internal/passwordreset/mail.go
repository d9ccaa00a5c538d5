package passwordreset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// KindResetEmail is the outbox kind of a reset mail (the mail worker logs `fcpr` when one is given
// up). It is the template's name: the tenant's reset_email, or the built-in one.
const KindResetEmail = domain.TemplateResetEmail

// resetTemplate is the reset mail's template and the lifetime of its link (the template's
// urlLifetimeInSeconds, else domain.ResetMailLifetime).
func (h *Handler) resetTemplate(ctx context.Context) (*domain.EmailTemplate, time.Duration, error) {
	t, err := h.mail.Template(ctx, domain.TemplateResetEmail)
	if err != nil {
		return nil, 0, err
	}
	return t, t.LinkLifetime(domain.ResetMailLifetime), nil
}

// renderReset renders the reset mail to user with the link for secret. It is rendered when the
// mail is queued, so the outbox holds a finished message and delivery needs nothing but the
// provider.
func (h *Handler) renderReset(ctx context.Context, t *domain.EmailTemplate, life time.Duration, user *domain.User, clientID, secret string) (*domain.OutboundEmail, error) {
	var client *domain.Client
	if clientID != "" {
		c, err := h.o.Store.GetClient(ctx, clientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("passwordreset: client: %w", err)
		}
		client = c
	}
	m, fellBack, err := h.mail.RenderOrDefault(ctx, t, mailtemplate.Data{User: user, Client: client,
		URL: domain.ResetPasswordURL(h.o.Issuer, secret), Lifetime: life})
	if fellBack != nil {
		h.o.Logger.WarnContext(ctx, "the tenant's reset_email template did not render; the built-in one was used", "err", fellBack)
	}
	if err != nil {
		return nil, fmt.Errorf("passwordreset: render mail: %w", err)
	}
	m.Kind = KindResetEmail
	return m, nil
}
