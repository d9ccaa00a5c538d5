package passwordreset

import (
	"encoding/hex"
	"net/http"

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
// (api.authentication.challengeWith) leaves the factor types with the ticket first (mfa.go).

// challengeMarkKey is the counter that records a passed post-challenge run for a ticket.
func challengeMarkKey(t *domain.Ticket) string {
	return "reset_challenge:" + hex.EncodeToString(t.Hash)
}

// postChallenge runs password-reset-post-challenge for the ticket's user, once per ticket, and
// reports whether the reset may go on. A ticket marked by an earlier run that let it through (the
// form page reloaded, the form's POST) goes on without running the trigger again. A refusal has been
// answered (the denial page, or an internal error) when ok is false.
func (h *Handler) postChallenge(w http.ResponseWriter, r *http.Request, t *domain.Ticket, u *domain.User) (ok bool) {
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
	ev := trigger.PasswordResetPostChallenge{User: u, Connection: u.Connection, Method: r.Method, IP: httpserver.ClientIP(ctx).String(),
		UserAgent: r.UserAgent(), Hostname: r.Host, Language: r.Header.Get("Accept-Language"), ProvedAt: h.o.Now()}
	if t.ClientID != "" {
		if c, err := h.o.Store.GetClient(ctx, t.ClientID); err == nil {
			ev.Client = c
		}
	}
	out, err := h.o.PostChallenge.PasswordResetPostChallenge(ctx, ev)
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	if d := out.Denial; d != nil {
		h.recordDetails(r, audit.TypeChangePasswordFailed, "Password reset denied by an Action: "+d.Reason, t.ClientID, u,
			trigger.LogDetails([]string{out.ExecutionID}))
		h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "Your password cannot be reset here", Problem: true,
			Paragraphs: []string{d.Reason, "Your password has not been changed."}})
		return false
	}
	if len(out.MFA) > 0 {
		if err := h.rememberMFA(ctx, t, out.MFA); err != nil {
			h.internalError(w, r, err)
			return false
		}
	}
	if out.Ran && !t.ExpiresAt.IsZero() {
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
