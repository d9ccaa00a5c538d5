package passwordreset

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// What attack protection tells a user about (the user_notification shields).
const (
	// NoticeBlocked: brute-force protection blocked sign-ins to the account from an address.
	NoticeBlocked = "blocked"
	// NoticeBreached: the user signed in with a password on the list of breached passwords.
	NoticeBreached = "breached"
)

// noticeEvery is how often one user is told of one kind of event at most, so that an attacker
// cannot fill a user's mailbox by tripping the protections.
const noticeEvery = 24 * time.Hour

// Notify mails user that attack protection acted on their account, through the outbox, at most
// once a day per kind (counted in the shared database, so on any number of nodes). The mail
// leads to the reset page: a new password also lifts brute-force blocks. It never fails the
// request that caused it; a failure is logged.
func (h *Handler) Notify(ctx context.Context, user *domain.User, kind, ip string) {
	if user == nil || user.Email == "" || (kind != NoticeBlocked && kind != NoticeBreached) {
		return
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
	link := strings.TrimSuffix(h.o.Issuer, "/") + domain.ResetPasswordPath
	var subject, text string
	switch kind {
	case NoticeBlocked:
		subject = "Sign-ins to your account were blocked"
		text = fmt.Sprintf("Hello,\n\nSign-ins to your account (%s) from the address %s were blocked after too many failed "+
			"attempts.\n\nIf this was you, wait 15 minutes and try again, or choose a new password now, which lifts the block "+
			"at once:\n\n%s\n\nIf it was not you, someone may be trying to guess your password: choosing a new one keeps your "+
			"account safe.\n", user.Email, ip, link)
	case NoticeBreached:
		subject = "Your password appeared in a data breach"
		text = fmt.Sprintf("Hello,\n\nThe password you just signed in with (%s) appears in a list of passwords published "+
			"after a data breach of another site, so others may know it. Please choose a new password:\n\n%s\n",
			user.Email, link)
	}
	m := &domain.OutboundEmail{To: user.Email, Subject: subject, Text: text, Kind: "attack_protection_" + kind, UserID: user.UserID}
	if err := h.o.Store.EnqueueEmail(ctx, m); err != nil {
		h.o.Logger.WarnContext(ctx, "attack protection notice not queued", "err", err)
		return
	}
	h.o.Kick()
}
