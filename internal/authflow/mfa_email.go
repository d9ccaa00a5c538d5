package authflow

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/web"
)

// The email factor's page (/u/mfa-email-challenge): its GET mails a code to the user's verified
// address (at most mfaEmailPerWindow a user within mfaEmailWindow, counted in the shared
// database) and shows the form with the challenge's oob_code; the POST checks the code against
// that oob_code, which is bound to this transaction, and spends it. Attempts count toward the
// same per-transaction and per-user limits as an authenticator app's codes.

// MsgMFAEmailTooMany: the user asked for too many mails.
const MsgMFAEmailTooMany = "Too many codes were sent. Please wait a few minutes and try again."

const (
	mfaEmailPerWindow = 10
	mfaEmailWindow    = 15 * time.Minute
)

// maskedEmail shows the first letter of the local part and the domain.
func maskedEmail(email string) string {
	local, domainPart, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "your email address"
	}
	return local[:1] + "***@" + domainPart
}

func (h *Handler) renderEmailChallenge(w http.ResponseWriter, r *http.Request, s *mfaState, oob string, status int, msg string) {
	d := web.MFAEmailChallengeData{MFAForm: h.mfaForm(r, s, MFAEmailChallengePath, msg), Email: maskedEmail(s.user.Email), OOBCode: oob,
		ResendURL: MFAEmailChallengePath + "?state=" + url.QueryEscape(s.tx.ID)}
	if f, err := h.mfa.Enrolled(r.Context(), s.user.UserID); err == nil && f.RecoveryCode {
		d.OtherURL = MFARecoveryChallengePath + "?state=" + url.QueryEscape(s.tx.ID)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(r.Context(), w, status, web.PageMFAEmailChallenge, d)
}

// mfaEmailPage is GET /u/mfa-email-challenge: a code is mailed and its form shown.
func (h *Handler) mfaEmailPage(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, false)
	if s == nil {
		return
	}
	ctx := r.Context()
	a, err := h.mfa.EmailAuthenticator(ctx, s.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if ok, err := h.emailUsable(ctx, s.user, a); err != nil {
		h.internalError(w, r, err)
		return
	} else if !ok {
		h.errorPage(w, r, staleTransaction())
		return
	}
	now := h.now().UTC()
	n, _, err := h.store.HitCounter(ctx, "mfa-email:"+s.user.UserID, 1, now, now.Add(mfaEmailWindow), false)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if n > mfaEmailPerWindow {
		h.record(r, audit.TypeMFAOTPRateLimit, "Too many second-factor codes mailed", s.client, s.user)
		h.renderEmailChallenge(w, r, s, "", http.StatusTooManyRequests, MsgMFAEmailTooMany)
		return
	}
	oob, err := h.emailCodes.Send(ctx, s.user, s.client, a, mfaBinding(s.tx.ID))
	if errors.Is(err, mfa.ErrNoVerifiedEmail) {
		h.errorPage(w, r, staleTransaction())
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAEmailSent, "Guardian - Email sent to "+maskedEmail(s.user.Email), s.client, s.user)
	h.renderEmailChallenge(w, r, s, oob, http.StatusOK, "")
}

// mfaBinding binds a mailed code to the sign-in transaction it was sent for.
func mfaBinding(txID string) []byte { return []byte("login-transaction\x00" + txID) }

// mfaEmailSubmit is POST /u/mfa-email-challenge.
func (h *Handler) mfaEmailSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	oob := r.PostForm.Get("oob_code")
	rerender := func(status int, msg string) { h.renderEmailChallenge(w, r, s, oob, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFAOTPRateLimit, rerender) {
		return
	}
	out, _, err := h.emailCodes.Check(r.Context(), s.user.UserID, mfaBinding(s.tx.ID), oob, strings.TrimSpace(r.PostForm.Get("code")))
	switch {
	case errors.Is(err, mfa.ErrUnknownChallenge), errors.Is(err, mfa.ErrFactorRemoved):
		h.record(r, audit.TypeMFAAuthFailed, "Unknown, expired or removed email challenge", s.client, s.user)
		h.renderEmailChallenge(w, r, s, "", http.StatusBadRequest, "This code has expired. Send a new code and try again.")
		return
	case err != nil:
		h.internalError(w, r, err)
		return
	case out != mfa.Accepted:
		h.record(r, audit.TypeMFAAuthFailed, codeLogDescription(out), s.client, s.user)
		msg := "Invalid code. Enter the code from the email we sent."
		if out == mfa.Replayed {
			msg = MsgMFAUsedCode
		}
		rerender(http.StatusBadRequest, msg)
		return
	}
	h.record(r, audit.TypeMFAAuthSucceed, "Guardian - Second factor authentication succeeded (email)", s.client, s.user)
	if h.passedMFA(w, r, s, mfaMethodsEmail) && h.rememberIfAsked(w, r, s) {
		h.dispatch(w, r, &flow{client: s.client, tx: s.tx, stored: true})
	}
}
