package passwordreset

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// What attack protection tells a user about (the user_notification shields).
const (
	// NoticeBlocked: brute-force protection blocked sign-ins to the account from an address.
	NoticeBlocked = "blocked"
	// NoticeBreached: the user signed in with a password on the list of breached passwords.
	NoticeBreached = "breached"
)

// KindBlockedAccount is the outbox kind of the mail brute-force protection sends a blocked user:
// the template's name, the tenant's blocked_account or the built-in one.
const KindBlockedAccount = domain.TemplateBlockedAccount

// noticeEvery is how often one user is told of one kind of event at most, so that an attacker
// cannot fill a user's mailbox by tripping the protections.
const noticeEvery = 24 * time.Hour

// Notify mails user that attack protection acted on their account, through the outbox, at most
// once a day per kind (counted in the shared database, so on any number of nodes). A block is
// told with the tenant's blocked_account template, whose link unblocks the account (as Auth0's
// does); a breached password with a plain mail leading to the reset page. It never fails the
// request that caused it; a failure is logged.
func (h *Handler) Notify(ctx context.Context, user *domain.User, kind, ip string) {
	if user == nil || user.Email == "" || (kind != NoticeBlocked && kind != NoticeBreached) {
		return
	}
	var tpl *domain.EmailTemplate
	if kind == NoticeBlocked {
		t, err := h.mail.Template(ctx, domain.TemplateBlockedAccount)
		if err != nil {
			h.o.Logger.WarnContext(ctx, "blocked_account template not read", "err", err)
			return
		}
		if !t.Enabled {
			return // the tenant turned the mail off: nothing is sent, nothing counted
		}
		tpl = t
	}
	now := h.o.Now().UTC()
	n, _, err := h.o.Store.HitCounter(ctx, "notice:"+kind+":"+user.UserID, 1, now, now.Add(noticeEvery), false)
	if err != nil {
		h.o.Logger.WarnContext(ctx, "attack protection notice not counted", "err", err)
		return
	}
	if n != 1 {
		return
	}
	if kind == NoticeBlocked {
		err = h.queueBlocked(ctx, tpl, user, ip, now)
	} else {
		err = h.o.Store.EnqueueEmail(ctx, h.breachedMail(user))
	}
	if err != nil {
		h.o.Logger.WarnContext(ctx, "attack protection notice not queued", "kind", kind, "err", err)
		return
	}
	h.o.Kick()
}

// queueBlocked renders the blocked_account mail with a fresh unblock link and queues it in the
// same transaction that stores the link's ticket (only its hash), so neither exists without the
// other.
func (h *Handler) queueBlocked(ctx context.Context, tpl *domain.EmailTemplate, user *domain.User, ip string, now time.Time) error {
	life := tpl.LinkLifetime(domain.BlockedMailLifetime)
	secret, hash := domain.NewTicket()
	m, fellBack, err := h.mail.RenderOrDefault(ctx, tpl, mailtemplate.Data{User: user,
		URL: domain.UnblockAccountURL(h.o.Issuer, secret), Lifetime: life,
		Extra: map[string]any{"user": map[string]any{"source_ip": ip}}})
	if fellBack != nil {
		h.o.Logger.WarnContext(ctx, "the tenant's blocked_account template did not render; the built-in one was used", "err", fellBack)
	}
	if err != nil {
		return fmt.Errorf("render blocked_account: %w", err)
	}
	m.Kind = KindBlockedAccount
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketUnblockAccount, UserID: user.UserID, CreatedAt: now,
		ExpiresAt: now.Add(life), ResultURL: tpl.ResultURL}
	return h.o.Store.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTicket(ctx, t); err != nil {
			return err
		}
		return tx.EnqueueEmail(ctx, m)
	})
}

// breachedMail tells user that the password they signed in with is on the breached list.
func (h *Handler) breachedMail(user *domain.User) *domain.OutboundEmail {
	link := strings.TrimSuffix(h.o.Issuer, "/") + domain.ResetPasswordPath
	text := fmt.Sprintf("Hello,\n\nThe password you just signed in with (%s) appears in a list of passwords published "+
		"after a data breach of another site, so others may know it. Please choose a new password:\n\n%s\n",
		user.Email, link)
	return &domain.OutboundEmail{To: user.Email, Subject: "Your password appeared in a data breach", Text: text,
		Kind: "attack_protection_" + NoticeBreached, UserID: user.UserID}
}
