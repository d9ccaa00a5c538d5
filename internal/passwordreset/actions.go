package passwordreset

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/web"
)

// The password reset's Actions. password-reset-post-challenge runs when the user opens a live
// reset link (the challenge they passed is the link itself), before the new password form; its
// denial ends the reset on a page that says why. The form's POST must not be a way around it: a
// run that let the reset through leaves a mark on the ticket (a counter every node shares, until
// the ticket expires), and a POST without the mark runs the trigger again. post-change-password
// runs in the background once the new password is saved. A run that asked for a second factor
// (api.authentication.challengeWith) leaves the factor types with the ticket first (mfa.go); a run
// that sent the browser away (api.redirect.sendUserTo) leaves no mark: the reset resumes at
// /continue, in that browser only (continue.go).

// challengeMarkKey is the counter that records a passed post-challenge run for a ticket.
func challengeMarkKey(t *domain.Ticket) string {
	return "reset_challenge:" + hex.EncodeToString(t.Hash)
}

// postChallenge runs password-reset-post-challenge for the ticket's user, once per ticket, and
// reports whether the reset may go on. A ticket marked by an earlier run that let it through (the
// form page reloaded, the form's POST), or resumed in this browser after a redirect (continue.go),
// goes on without running the trigger again. A refusal has been answered (the denial page, the
// redirect, or an internal error) when ok is false.
func (h *Handler) postChallenge(w http.ResponseWriter, r *http.Request, t *domain.Ticket, u *domain.User, secret string) (ok bool) {
	if h.o.PostChallenge == nil {
		return true
	}
	ctx := r.Context()
	n, _, err := h.o.Store.GetCounter(ctx, challengeMarkKey(t), h.o.Now())
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	if n > 0 {
		return true
	}
	if fs := h.formSecret(r); fs != "" {
		n, _, err := h.o.Store.GetCounter(ctx, continuedKey(t, fs), h.o.Now())
		if err != nil {
			h.internalError(w, r, err)
			return false
		}
		if n > 0 {
			return true
		}
	}
	ev := h.challengeEvent(r, t, u)
	ev.RedirectState = newContinueState()
	out, err := h.o.PostChallenge.PasswordResetPostChallenge(ctx, ev)
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	return h.applyChallenge(w, r, t, u, secret, ev.RedirectState, out, false)
}

// challengeEvent is the trigger's event for a request of this reset.
func (h *Handler) challengeEvent(r *http.Request, t *domain.Ticket, u *domain.User) trigger.PasswordResetPostChallenge {
	ctx := r.Context()
	ev := trigger.PasswordResetPostChallenge{User: u, Connection: u.Connection, Method: r.Method, IP: httpserver.ClientIP(ctx).String(),
		UserAgent: r.UserAgent(), Hostname: r.Host, Language: r.Header.Get("Accept-Language"), ProvedAt: h.o.Now()}
	if t.ClientID != "" {
		if c, err := h.o.Store.GetClient(ctx, t.ClientID); err == nil {
			ev.Client = c
		}
	}
	return ev
}

// applyChallenge acts on what the chain decided (state is the one its redirect carries; resumed:
// this is the run /continue resumed) and reports whether the reset may go on. A denial ends the
// reset; after a redirect it also spends the ticket, since the user came back refused. A redirect
// sends the browser away from the link's GET or from /continue; a new-password POST that would be
// sent away (the redirect never happened in this browser) is refused. A run that let the reset
// through marks the ticket, or, when resumed, the ticket in this browser only.
func (h *Handler) applyChallenge(w http.ResponseWriter, r *http.Request, t *domain.Ticket, u *domain.User, secret, state string,
	out trigger.ResetChallenge, resumed bool) bool {
	ctx := r.Context()
	if d := out.Denial; d != nil {
		h.recordDetails(r, audit.TypeChangePasswordFailed, "Password reset denied by an Action: "+d.Reason, t.ClientID, u,
			trigger.LogDetails([]string{out.ExecutionID}))
		if resumed {
			if _, err := h.o.Store.RedeemTicket(ctx, t.Hash, domain.TicketPasswordReset, h.o.Now().UTC()); err != nil {
				h.o.Logger.WarnContext(ctx, "reset ticket not spent after a denial", "err", err)
			}
		}
		h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "Your password cannot be reset here", Problem: true,
			Paragraphs: []string{d.Reason, "Your password has not been changed."}})
		return false
	}
	if out.Redirect != nil {
		if !resumed && r.Method != http.MethodGet {
			h.record(r, audit.TypeChangePasswordFailed, "New password sent without the redirect the Action requires", t.ClientID, u)
			h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "Verify your identity first", Problem: true,
				Paragraphs: []string{"Your password has not been changed."},
				LinkURL:    domain.ResetPasswordPath + "?ticket=" + url.QueryEscape(secret), LinkText: "Verify your identity"})
			return false
		}
		h.sendAway(w, r, t, secret, state, out.Redirect)
		return false
	}
	if len(out.MFA) > 0 {
		if err := h.rememberMFA(ctx, t, out.MFA); err != nil {
			h.internalError(w, r, err)
			return false
		}
	}
	switch {
	case resumed:
		if _, _, err := h.o.Store.HitCounter(ctx, continuedKey(t, h.formSecret(r)), 1, h.o.Now(), t.ExpiresAt, false); err != nil {
			h.internalError(w, r, fmt.Errorf("reset: mark the continuation: %w", err))
			return false
		}
	case out.Ran && !t.ExpiresAt.IsZero():
		if _, _, err := h.o.Store.HitCounter(ctx, challengeMarkKey(t), 1, h.o.Now(), t.ExpiresAt, false); err != nil {
			// Without the mark the POST runs the trigger again; the reset is not refused for it.
			h.o.Logger.WarnContext(ctx, "password reset challenge not marked", "err", err)
		}
	}
	return true
}

// postChangePassword tells post-change-password that u's password changed through r.
func (h *Handler) postChangePassword(r *http.Request, u *domain.User) {
	if h.o.PostChangePassword == nil || u == nil {
		return
	}
	ctx := r.Context()
	h.o.PostChangePassword.PostChangePassword(ctx, trigger.PostChangePassword{User: u, Connection: u.Connection,
		IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Hostname: r.Host, Method: r.Method})
}

// recordDetails is record with details on the event.
func (h *Handler) recordDetails(r *http.Request, typ, description, clientID string, user *domain.User, details map[string]any) {
	if h.o.Audit == nil {
		return
	}
	e := domain.LogEvent{Type: typ, Description: description, IP: httpserver.ClientIP(r.Context()).String(),
		UserAgent: r.UserAgent(), Hostname: r.Host, Connection: domain.DefaultConnection, ClientID: clientID, Details: details}
	if user != nil {
		e.UserID, e.UserName = user.UserID, user.Email
	}
	h.o.Audit.Record(r.Context(), e)
}
