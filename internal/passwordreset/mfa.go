package passwordreset

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/web"
)

// A second factor before the new password, when a password-reset-post-challenge Action asked for
// one (api.authentication.challengeWith). The factor types the Action named are kept in the shared
// counters under the ticket's hash, in the Action's order, until the ticket expires; a passed
// factor leaves a mark bound to the ticket and to this browser's form secret, so neither a
// forwarded link nor a forged form POST reaches the new password without it. Codes are checked by
// package mfa and counted by guard.MFALimiter, the ticket standing for the sign-in transaction:
// its limit spends the ticket, the user's limit blocks the factor everywhere, as at sign-in. An
// authenticator app's code and the recovery code are offered: the email factor would prove again
// the mailbox the link was sent to, and a reset is no place to enroll a factor.
const (
	MFAOTPChallengePath      = domain.ResetPasswordPath + "/mfa-otp-challenge"
	MFARecoveryChallengePath = domain.ResetPasswordPath + "/mfa-recovery-code-challenge"
	MFARecoveryCodePath      = domain.ResetPasswordPath + "/mfa-recovery-code-enrollment"
)

// Messages of the reset's factor pages (the sign-in pages' words).
const (
	msgMFAWrongCode     = "Invalid code. Enter the code your authenticator app shows now."
	msgMFAUsedCode      = "This code was already used. Wait for the next code and try again."
	msgMFAWrongRecovery = "Invalid recovery code."
	msgMFATooMany       = "Too many attempts. Please wait a few minutes and try again."
)

// resetFactors are the factor types the reset can challenge, in the pages' order.
var resetFactors = []string{domain.FactorOTP, domain.FactorRecoveryCode}

func mfaNeedPrefix(t *domain.Ticket) string {
	return "reset_mfa_need:" + hex.EncodeToString(t.Hash) + ":"
}

// mfaPassedKey is the mark of a factor passed for t in the browser holding formSecret.
func mfaPassedKey(t *domain.Ticket, formSecret string) string {
	return "reset_mfa_passed:" + hex.EncodeToString(t.Hash) + ":" + csrfToken(formSecret, "mfa-passed")[:22]
}

// mfaAttemptKey stands for the sign-in transaction in guard.MFALimiter's per-transaction count.
func mfaAttemptKey(t *domain.Ticket) string { return "reset:" + hex.EncodeToString(t.Hash) }

// rememberMFA stores the factor types an Action asked for, before the ticket is marked as passed
// by the Actions (a failure here fails the request, so a mark never stands without them).
func (h *Handler) rememberMFA(ctx context.Context, t *domain.Ticket, types []string) error {
	if len(types) > len(resetFactors)+1 {
		types = types[:len(resetFactors)+1]
	}
	for i, typ := range types {
		key := mfaNeedPrefix(t) + strconv.Itoa(i) + ":" + typ
		if _, _, err := h.o.Store.HitCounter(ctx, key, 1, h.o.Now(), t.ExpiresAt, false); err != nil {
			return fmt.Errorf("reset: remember the second factor asked for: %w", err)
		}
	}
	return nil
}

// mfaNeeded returns the factor types the Actions asked of t, in their order; nil when none.
func (h *Handler) mfaNeeded(ctx context.Context, t *domain.Ticket) ([]string, error) {
	var types []string
	err := h.o.Store.EachCounter(ctx, mfaNeedPrefix(t), h.o.Now(), func(key string, _ int64, _ time.Time) error {
		_, typ, _ := strings.Cut(strings.TrimPrefix(key, mfaNeedPrefix(t)), ":")
		if !slices.Contains(types, typ) {
			types = append(types, typ)
		}
		return nil
	})
	return types, err
}

// mfaPassed reports whether this browser passed the factor t needs.
func (h *Handler) mfaPassed(r *http.Request, t *domain.Ticket) (bool, error) {
	s := h.formSecret(r)
	if s == "" {
		return false, nil
	}
	n, _, err := h.o.Store.GetCounter(r.Context(), mfaPassedKey(t, s), h.o.Now())
	return n > 0, err
}

// mfaPages are the challenge pages the user can answer for the types asked: factors the tenant
// has on and the user has enrolled, in the Action's order.
func (h *Handler) mfaPages(ctx context.Context, u *domain.User, types []string) ([]string, error) {
	if h.o.MFA == nil {
		return nil, nil
	}
	g, err := h.o.Store.GetGuardianSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("reset: guardian settings: %w", err)
	}
	f, err := h.o.MFA.Enrolled(ctx, u.UserID)
	if err != nil {
		return nil, fmt.Errorf("reset: factors: %w", err)
	}
	var pages []string
	for _, typ := range types {
		switch {
		case typ == domain.FactorOTP && f.TOTP && g.Enabled[domain.FactorOTP]:
			pages = append(pages, MFAOTPChallengePath)
		case typ == domain.FactorRecoveryCode && f.RecoveryCode && g.Enabled[domain.FactorRecoveryCode]:
			pages = append(pages, MFARecoveryChallengePath)
		}
	}
	return pages, nil
}

// requireMFA is the gate before the new-password form and its POST: when the Actions asked for a
// factor this browser has not passed for t, it answers (the factor's page for a GET; a refusal for
// a POST, which only a forged form could send) and returns false.
func (h *Handler) requireMFA(w http.ResponseWriter, r *http.Request, t *domain.Ticket, u *domain.User, secret string) bool {
	ctx := r.Context()
	types, err := h.mfaNeeded(ctx, t)
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	if len(types) == 0 {
		return true
	}
	if ok, err := h.mfaPassed(r, t); err != nil {
		h.internalError(w, r, err)
		return false
	} else if ok {
		return true
	}
	pages, err := h.mfaPages(ctx, u, types)
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	if len(pages) == 0 {
		h.record(r, audit.TypeChangePasswordFailed, "No enrolled second factor of the types the Action requires ("+strings.Join(types, ", ")+")", t.ClientID, u)
		h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "Your password cannot be reset here", Problem: true,
			Paragraphs: []string{"Resetting this password needs a second factor you have not set up.", "Your password has not been changed."}})
		return false
	}
	target := pages[0] + "?ticket=" + url.QueryEscape(secret)
	if r.Method != http.MethodGet {
		h.record(r, audit.TypeChangePasswordFailed, "New password sent without the second factor the Action requires", t.ClientID, u)
		h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "Verify your identity first", Problem: true,
			Paragraphs: []string{"Your password has not been changed."}, LinkURL: target, LinkText: "Verify your identity"})
		return false
	}
	http.Redirect(w, r, target, http.StatusFound)
	return false
}

// mfaState is a reset factor page's ticket, its secret and user, and the pages the user may use.
type mfaState struct {
	t      *domain.Ticket
	u      *domain.User
	secret string
	pages  []string
}

// loadMFA reads a factor page's ticket (the query's, or the form's `state` when posted) and checks
// that it is live, that its Actions asked for a factor, that path is one the user can answer and
// that this browser has not passed it yet; it answers the request itself and returns nil otherwise.
func (h *Handler) loadMFA(w http.ResponseWriter, r *http.Request, path string) *mfaState {
	secret := r.URL.Query().Get("ticket")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.notice(w, r, http.StatusBadRequest, formUnreadable())
			return nil
		}
		secret = r.PostForm.Get("state")
	}
	t, u, err := h.liveTicket(r, secret)
	if err != nil {
		if errors.Is(err, errTicketInvalid) {
			h.refuse(w, r, t, "Invalid or expired password reset link")
		} else {
			h.internalError(w, r, err)
		}
		return nil
	}
	ctx := r.Context()
	types, err := h.mfaNeeded(ctx, t)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	pages, err := h.mfaPages(ctx, u, types)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if !slices.Contains(pages, path) {
		h.refuse(w, r, t, "Second factor page not asked for by this reset")
		return nil
	}
	if ok, err := h.mfaPassed(r, t); err != nil {
		h.internalError(w, r, err)
		return nil
	} else if ok {
		http.Redirect(w, r, domain.ResetPasswordPath+"?ticket="+url.QueryEscape(secret), http.StatusSeeOther)
		return nil
	}
	if r.Method == http.MethodPost && !h.csrfValid(r, "mfa\x00"+secret) {
		h.notice(w, r, http.StatusForbidden, web.ResetNoticeData{Heading: "This form has expired.", Problem: true,
			Paragraphs: []string{msgFormExpired}, LinkURL: path + "?ticket=" + url.QueryEscape(secret), LinkText: "Try again"})
		return nil
	}
	return &mfaState{t: t, u: u, secret: secret, pages: pages}
}

func (h *Handler) mfaForm(w http.ResponseWriter, r *http.Request, s *mfaState, path, msg string) web.MFAForm {
	return web.MFAForm{Base: h.base(r.Context()), Action: path, State: s.secret,
		CSRF: csrfToken(h.ensureFormSecret(w, r), "mfa\x00"+s.secret), Error: msg}
}

func (h *Handler) renderMFA(w http.ResponseWriter, r *http.Request, s *mfaState, path string, status int, msg string) {
	d := web.MFAChallengeData{MFAForm: h.mfaForm(w, r, s, path, msg)}
	for _, p := range s.pages {
		if p != path {
			d.OtherURL = p + "?ticket=" + url.QueryEscape(s.secret)
			break
		}
	}
	page := web.PageMFAOTPChallenge
	if path == MFARecoveryChallengePath {
		page = web.PageMFARecoveryChallenge
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, page, d)
}

// mfaPage is GET of either factor page.
func (h *Handler) mfaPage(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s := h.loadMFA(w, r, path); s != nil {
			h.renderMFA(w, r, s, path, http.StatusOK, "")
		}
	}
}

// limitAttempt counts a code attempt before it is checked; when refused it answers: the user's
// limit shows the page again with Retry-After, the ticket's limit spends the ticket (a new link
// starts again, as a new sign-in does).
func (h *Handler) limitAttempt(w http.ResponseWriter, r *http.Request, s *mfaState, path, rateType string) bool {
	ctx := r.Context()
	a, err := h.o.MFALimit.Attempt(ctx, s.u.UserID, mfaAttemptKey(s.t))
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	switch {
	case a.UserBlocked:
		h.record(r, rateType, "Too many failed second-factor attempts", s.t.ClientID, s.u)
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		h.renderMFA(w, r, s, path, http.StatusTooManyRequests, msgMFATooMany)
		return false
	case !a.Allowed:
		h.record(r, rateType, "Too many failed second-factor attempts in one password reset", s.t.ClientID, s.u)
		if _, err := h.o.Store.RedeemTicket(ctx, s.t.Hash, domain.TicketPasswordReset, h.o.Now().UTC()); err != nil {
			h.o.Logger.WarnContext(ctx, "reset ticket not spent after too many codes", "err", err)
		}
		h.notice(w, r, http.StatusTooManyRequests, web.ResetNoticeData{Heading: "Too many attempts.", Problem: true,
			Paragraphs: []string{"Too many wrong codes were entered. Your password has not been changed.", "You can ask for a new link."},
			LinkURL:    domain.ResetPasswordPath, LinkText: "Request a new link"})
		return false
	}
	return true
}

// passed marks the factor passed for this ticket in this browser and forgets the user's failures.
func (h *Handler) passed(w http.ResponseWriter, r *http.Request, s *mfaState) bool {
	ctx := r.Context()
	if err := h.o.MFALimit.Succeeded(ctx, s.u.UserID); err != nil {
		h.o.Logger.WarnContext(ctx, "mfa failures not forgotten", "err", err)
	}
	if _, _, err := h.o.Store.HitCounter(ctx, mfaPassedKey(s.t, h.formSecret(r)), 1, h.o.Now(), s.t.ExpiresAt, false); err != nil {
		h.internalError(w, r, fmt.Errorf("reset: mark the second factor passed: %w", err))
		return false
	}
	return true
}

func (h *Handler) toPasswordForm(w http.ResponseWriter, r *http.Request, s *mfaState) {
	http.Redirect(w, r, domain.ResetPasswordPath+"?ticket="+url.QueryEscape(s.secret), http.StatusSeeOther)
}

// mfaOTPSubmit is POST /u/reset-password/mfa-otp-challenge.
func (h *Handler) mfaOTPSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFA(w, r, MFAOTPChallengePath)
	if s == nil || !h.limitAttempt(w, r, s, MFAOTPChallengePath, audit.TypeMFAOTPRateLimit) {
		return
	}
	out, err := h.o.MFA.VerifyTOTP(r.Context(), s.u.UserID, r.PostForm.Get("code"), false)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if out != mfa.Accepted {
		desc, msg := "Wrong second factor code", msgMFAWrongCode
		if out == mfa.Replayed {
			desc, msg = "Second factor code already used", msgMFAUsedCode
		}
		h.record(r, audit.TypeMFAAuthFailed, desc, s.t.ClientID, s.u)
		h.renderMFA(w, r, s, MFAOTPChallengePath, http.StatusBadRequest, msg)
		return
	}
	h.record(r, audit.TypeMFAAuthSucceed, "Guardian - Second factor authentication succeeded (otp)", s.t.ClientID, s.u)
	if h.passed(w, r, s) {
		h.toPasswordForm(w, r, s)
	}
}

// mfaRecoverySubmit is POST /u/reset-password/mfa-recovery-code-challenge: a right code is spent
// and replaced by a new one, shown once, as at sign-in.
func (h *Handler) mfaRecoverySubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFA(w, r, MFARecoveryChallengePath)
	if s == nil || !h.limitAttempt(w, r, s, MFARecoveryChallengePath, audit.TypeMFARecoveryRateLimit) {
		return
	}
	ctx := r.Context()
	ok, err := h.o.MFA.UseRecoveryCode(ctx, s.u.UserID, r.PostForm.Get("recovery_code"))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !ok {
		h.record(r, audit.TypeMFARecoveryFailed, "Wrong recovery code", s.t.ClientID, s.u)
		h.renderMFA(w, r, s, MFARecoveryChallengePath, http.StatusBadRequest, msgMFAWrongRecovery)
		return
	}
	h.record(r, audit.TypeMFARecoverySucceed, "Guardian - Recovery code used", s.t.ClientID, s.u)
	if !h.passed(w, r, s) {
		return
	}
	code, err := h.o.MFA.NewRecoveryCode(ctx, s.u.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, web.PageMFARecoveryCode, web.MFARecoveryCodeData{
		MFAForm: h.mfaForm(w, r, s, MFARecoveryCodePath, ""), Code: code, Replaced: true})
}

// mfaRecoveryCodeContinue is POST /u/reset-password/mfa-recovery-code-enrollment: the user saw
// their new recovery code; on to the new-password form (which checks the mark again).
func (h *Handler) mfaRecoveryCodeContinue(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.notice(w, r, http.StatusBadRequest, formUnreadable())
		return
	}
	secret := r.PostForm.Get("state")
	if len(secret) != secretLen || !h.csrfValid(r, "mfa\x00"+secret) {
		h.notice(w, r, http.StatusForbidden, formUnreadable())
		return
	}
	http.Redirect(w, r, domain.ResetPasswordPath+"?ticket="+url.QueryEscape(secret), http.StatusSeeOther)
}

// mountMFA registers the reset's factor pages.
func (h *Handler) mountMFA(mux *http.ServeMux) {
	if h.o.MFA == nil {
		return
	}
	mux.HandleFunc("GET "+MFAOTPChallengePath, h.mfaPage(MFAOTPChallengePath))
	mux.HandleFunc("POST "+MFAOTPChallengePath, h.mfaOTPSubmit)
	mux.HandleFunc("GET "+MFARecoveryChallengePath, h.mfaPage(MFARecoveryChallengePath))
	mux.HandleFunc("POST "+MFARecoveryChallengePath, h.mfaRecoverySubmit)
	mux.HandleFunc("POST "+MFARecoveryCodePath, h.mfaRecoveryCodeContinue)
}
