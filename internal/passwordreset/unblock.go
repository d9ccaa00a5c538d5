package passwordreset

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// The unblock link of a blocked_account mail opens /u/unblock?ticket=…. GET (and HEAD) only show
// a confirmation, so that a mail scanner that follows links spends nothing; the confirmation's
// POST, bound to this browser like the other forms, redeems the ticket once and lifts the user's
// brute-force blocks from every address.

// invalidUnblockLink is the one page for a tampered, replayed or expired unblock link.
func invalidUnblockLink() web.ResetNoticeData {
	return web.ResetNoticeData{Heading: "This link is no longer valid", Problem: true,
		Paragraphs: []string{
			"The unblock link has expired, has already been used, or is incomplete.",
			"Nothing was changed. A block ends on its own after a while, or you can choose a new password, which lifts it at once.",
		},
		LinkURL: domain.ResetPasswordPath, LinkText: "Choose a new password"}
}

func (h *Handler) unblockData(w http.ResponseWriter, r *http.Request, secret string, u *domain.User, msg string) web.UnblockData {
	return web.UnblockData{Base: h.base(r.Context()), Action: domain.UnblockAccountPath, Ticket: secret,
		CSRF: csrfToken(h.ensureFormSecret(w, r), "unblock\x00"+secret), Email: u.Email, Error: msg}
}

// unblockPage is GET /u/unblock?ticket=…: the confirmation, without spending the ticket.
func (h *Handler) unblockPage(w http.ResponseWriter, r *http.Request) {
	secret := r.URL.Query().Get("ticket")
	_, u, err := h.liveTicketOf(r, secret, domain.TicketUnblockAccount)
	if errors.Is(err, errTicketInvalid) {
		h.notice(w, r, http.StatusBadRequest, invalidUnblockLink())
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.PageUnblock, h.unblockData(w, r, secret, u, ""))
}

// unblockSubmit is the confirmation's POST: the ticket is checked, then the form's binding, then
// the ticket is redeemed (atomically: of two concurrent posts one wins) and the blocks lifted.
func (h *Handler) unblockSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.notice(w, r, http.StatusBadRequest, formUnreadable())
		return
	}
	secret := r.PostForm.Get("ticket")
	t, u, err := h.liveTicketOf(r, secret, domain.TicketUnblockAccount)
	if errors.Is(err, errTicketInvalid) {
		h.notice(w, r, http.StatusBadRequest, invalidUnblockLink())
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !h.csrfValid(r, "unblock\x00"+secret) {
		h.render(w, r, http.StatusForbidden, web.PageUnblock, h.unblockData(w, r, secret, u, msgFormExpired))
		return
	}
	ctx := r.Context()
	if _, err := h.o.Store.RedeemTicket(ctx, t.Hash, domain.TicketUnblockAccount, h.o.Now().UTC()); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyUsed) {
			h.notice(w, r, http.StatusBadRequest, invalidUnblockLink())
			return
		}
		h.internalError(w, r, fmt.Errorf("unblock: redeem: %w", err))
		return
	}
	// Blocks are kept per identifier the user signs in with (see guard.BruteForce), a linked
	// database account's among them.
	ids, err := store.LoginIdentifiers(ctx, h.o.Store, u)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("unblock: identifiers: %w", err))
		return
	}
	for _, id := range ids {
		if err := h.o.Unblock(ctx, id.Identifier); err != nil {
			h.internalError(w, r, fmt.Errorf("unblock: lift blocks: %w", err))
			return
		}
	}
	h.record(r, audit.TypeUserBlockReleased, "User block released through the blocked_account link", t.ClientID, u)
	d := web.ResetNoticeData{Heading: "Your account is unblocked",
		Paragraphs: []string{"Sign-ins to " + u.Email + " are no longer blocked. You can log in again now."}}
	if t.ResultURL != "" {
		d.LinkURL, d.LinkText = t.ResultURL, "Continue"
	}
	h.notice(w, r, http.StatusOK, d)
}
