package authflow

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// The second factor: a sign-in step and its hosted pages (Auth0's Universal Login paths).
const (
	MFAOTPEnrollPath         = "/u/mfa-otp-enrollment-qr"
	MFAOTPChallengePath      = "/u/mfa-otp-challenge"
	MFARecoveryChallengePath = "/u/mfa-recovery-code-challenge"
	MFARecoveryCodePath      = "/u/mfa-recovery-code-enrollment"
	MFAEmailChallengePath    = "/u/mfa-email-challenge"
)

// Messages of the second-factor pages.
const (
	MsgMFAWrongCode     = "Invalid code. Enter the code your authenticator app shows now."
	MsgMFAUsedCode      = "This code was already used. Wait for the next code and try again."
	MsgMFAWrongRecovery = "Invalid recovery code."
	MsgMFATooMany       = "Too many attempts. Please wait a few minutes and try again."
)

// mfaMethods are the amr values of a second factor passed with a TOTP code, and with a recovery code.
var (
	mfaMethodsOTP      = []string{"mfa", "otp"}
	mfaMethodsRecovery = []string{"mfa"}
	mfaMethodsEmail    = []string{"mfa", "email"}
)

// requireMFA is the second-factor step. It comes after the post-login Actions because an Action's
// api.multifactor.enable is one of the things that ask for it, and that is known only once the
// Actions have run; the tenant's policy and the app's acr_values are known earlier, but one step
// judging every source keeps the rule in one place. Being after claim, it cannot leave the claimed
// transaction in the store: when a factor is needed it stores the transaction again under a new id
// (so a page or form of the first one cannot be replayed), pinned to the signed-in user, and sends
// the browser to the factor's page. Once the factor is passed the session records it (session_mfa)
// and the flow is dispatched again from the first step: the Actions run again, this time with
// `mfa` among event.authentication.methods, and this step passes on the session's record.
func (h *Handler) requireMFA(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if h.mfa == nil {
		return next
	}
	ctx := r.Context()
	need, remember, err := h.mfaNeeded(ctx, f)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	if !need {
		return next
	}
	var challenge, enroll []string
	if f.tokens.MFA != nil {
		challenge, enroll = f.tokens.MFA.Challenge, f.tokens.MFA.Enroll
	}
	passed, err := h.sessionPassedMFA(ctx, f.sess, challenge...)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	enrollPage, err := h.enrollmentPage(ctx, f.user.UserID, enroll)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	if passed && enrollPage == "" {
		return next
	}
	if remember && enrollPage == "" {
		if ok, err := h.browserRemembered(r, f.user.UserID); err != nil {
			h.internalError(w, r, err)
			return answered
		} else if ok {
			// The browser passed a factor within RememberBrowserFor and the user asked for it to
			// be remembered: the session records it as passed.
			if err := h.store.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: f.sess.ID, Methods: mfaMethodsRecovery, At: h.now().UTC()}); err != nil {
				h.internalError(w, r, err)
				return answered
			}
			return next
		}
	}
	failType, _ := f.logTypes()
	if f.silent() {
		// OIDC Core §3.1.2.6: a factor cannot be asked for without a page.
		h.record(r, failType, "Multifactor authentication required", f.client, f.user)
		h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, "interaction_required", "Multifactor authentication required"))
		return answered
	}
	factors, err := h.mfa.Enrolled(ctx, f.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	now := h.now().UTC()
	tx := *f.tx
	tx.ID = domain.RandomToken(24)
	tx.UserID = f.user.UserID
	tx.MFARequired, tx.MFARemember = true, remember
	if f.continued {
		// The Actions resumed a redirect in this request: after the factor the flow keeps what
		// they decided rather than run them, and send the user away, again.
		if tx.ActionsDone, err = keepActions(f.tokens); err != nil {
			h.internalError(w, r, err)
			return answered
		}
	}
	tx.CreatedAt, tx.ExpiresAt = now, now.Add(domain.LoginTransactionLifetime)
	f.tx, f.stored = &tx, false
	if enrollPage == noEnrollableFactor {
		h.record(r, failType, "None of the factors the Action asks to enroll is enabled", f.client, f.user)
		h.respondError(w, r, f.tx, protocol.AccessDenied("None of the factors this sign-in asks to enroll (%s) is enabled", strings.Join(enroll, ", ")))
		return answered
	}
	hasKey, err := h.hasWebAuthnFactor(ctx, f.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	if !factors.Any() && !hasKey && enrollPage == "" {
		ok, err := h.emailFallback(ctx, f.user)
		if err != nil {
			h.internalError(w, r, err)
			return answered
		}
		factors.Email = ok
	}
	if enrollPage != "" && (passed || !(factors.Any() || hasKey)) {
		// enrollWith: a user with factors passes one of them first (Auth0's rule: a new factor is
		// added only by someone who has shown an existing one), then enrolls the new one.
		tx.MFAEnroll = passed
		return h.showPage(w, r, f, enrollPage)
	}
	page := mfaPage(factors, challenge)
	if page == MFAOTPEnrollPath {
		if g, err := h.store.GetGuardianSettings(ctx); err != nil {
			h.internalError(w, r, err)
			return answered
		} else if !g.AnyFactorEnabled() {
			page = "" // only email is on, and this user has no verified address
		}
	}
	if page == "" {
		if len(challenge) == 0 {
			h.record(r, failType, "No second factor the tenant can ask of this user", f.client, f.user)
			h.respondError(w, r, f.tx, protocol.AccessDenied("The user has no second factor this sign-in can ask for (the email factor needs a verified email address)"))
			return answered
		}
		h.record(r, failType, "No enrolled second factor of the types the Action requires", f.client, f.user)
		h.respondError(w, r, f.tx, protocol.AccessDenied("The user has no enrolled second factor of the types this sign-in requires (%s)", strings.Join(challenge, ", ")))
		return answered
	}
	if p, err := h.webauthnMFAPage(ctx, f.user.UserID, factors.Any()); err != nil {
		h.internalError(w, r, err)
		return answered
	} else if p != "" {
		page = p
	}
	return h.showPage(w, r, f, page)
}

// mfaState is a second-factor page's transaction, its signed-in session and user.
type mfaState struct {
	*flowState
	sess *domain.Session
	user *domain.User
}

// loadMFATx loads the transaction of a second-factor page (from the form when posted) and checks
// that the MFA step stored it and that this browser's session is its user's; it answers the
// request itself and returns nil otherwise.
func (h *Handler) loadMFATx(w http.ResponseWriter, r *http.Request, posted bool) *mfaState {
	var fs *flowState
	if posted {
		fs = h.loadPostedTx(w, r)
	} else {
		fs = h.loadTx(w, r, r.URL.Query().Get("state"))
	}
	if fs == nil {
		return nil
	}
	if h.mfa == nil || !fs.tx.MFARequired || fs.tx.UserID == "" {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	ctx := r.Context()
	sess, err := h.sessions.Current(ctx, r)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if sess == nil || sess.UserID != fs.tx.UserID {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	user, err := h.store.GetUser(ctx, sess.UserID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.errorPage(w, r, staleTransaction())
		} else {
			h.internalError(w, r, err)
		}
		return nil
	}
	if posted && !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.errorPage(w, r, &protocol.Error{Status: http.StatusForbidden, Heading: "This form has expired.", Description: MsgFormExpired})
		return nil
	}
	return &mfaState{flowState: fs, sess: sess, user: user}
}

func (h *Handler) mfaForm(r *http.Request, s *mfaState, path, msg string) web.MFAForm {
	return web.MFAForm{
		Base: h.base(r.Context()), Action: path + "?state=" + url.QueryEscape(s.tx.ID), State: s.tx.ID,
		CSRF: csrfToken(s.secret, s.tx.ID), Error: msg, Remember: s.tx.MFARemember,
	}
}

// mfaEnrollPage is GET /u/mfa-otp-enrollment-qr: a user with no factor enrolls an authenticator app.
func (h *Handler) mfaEnrollPage(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, false); s != nil {
		h.renderEnroll(w, r, s, http.StatusOK, "")
	}
}

func (h *Handler) renderEnroll(w http.ResponseWriter, r *http.Request, s *mfaState, status int, msg string) {
	ctx := r.Context()
	f, err := h.mfa.Enrolled(ctx, s.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if f.TOTP || (f.Any() && !s.tx.MFAEnroll) {
		// A factor is already enrolled (from another tab): it must be answered, not replaced.
		h.errorPage(w, r, staleTransaction())
		return
	}
	if ok, err := h.enrollingAfterMFA(ctx, s); err != nil {
		h.internalError(w, r, err)
		return
	} else if f.Any() && !ok {
		h.errorPage(w, r, staleTransaction())
		return
	}
	account := s.user.Email
	if account == "" {
		account = s.user.Username
	}
	e, err := h.mfa.PendingTOTP(ctx, s.user.UserID, h.base(ctx).Tenant, account)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.render(ctx, w, status, web.PageMFAOTPEnroll, web.MFAEnrollData{
		MFAForm: h.mfaForm(r, s, MFAOTPEnrollPath, msg),
		// Both are built by package mfa from a random key, the tenant's name and the user's address,
		// URL-encoded: a data: URL of a PNG and an otpauth: URI, which html/template would otherwise refuse.
		QRCode: template.URL(e.QRCode), URI: template.URL(e.URI), Secret: groupKey(e.Secret),
	})
}

// groupKey spaces a base32 key in groups of four, for typing.
func groupKey(k string) string {
	var b strings.Builder
	for i, c := range k {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mfaChallengePage is GET /u/mfa-otp-challenge.
func (h *Handler) mfaChallengePage(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, false); s != nil {
		h.renderChallenge(w, r, s, http.StatusOK, "")
	}
}

func (h *Handler) renderChallenge(w http.ResponseWriter, r *http.Request, s *mfaState, status int, msg string) {
	d := web.MFAChallengeData{MFAForm: h.mfaForm(r, s, MFAOTPChallengePath, msg)}
	if f, err := h.mfa.Enrolled(r.Context(), s.user.UserID); err == nil && f.RecoveryCode {
		d.OtherURL = MFARecoveryChallengePath + "?state=" + url.QueryEscape(s.tx.ID)
	}
	h.render(r.Context(), w, status, web.PageMFAOTPChallenge, d)
}

// mfaRecoveryPage is GET /u/mfa-recovery-code-challenge.
func (h *Handler) mfaRecoveryPage(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, false); s != nil {
		h.renderRecovery(w, r, s, http.StatusOK, "")
	}
}

func (h *Handler) renderRecovery(w http.ResponseWriter, r *http.Request, s *mfaState, status int, msg string) {
	d := web.MFAChallengeData{MFAForm: h.mfaForm(r, s, MFARecoveryChallengePath, msg)}
	if f, err := h.mfa.Enrolled(r.Context(), s.user.UserID); err == nil && f.TOTP {
		d.OtherURL = MFAOTPChallengePath + "?state=" + url.QueryEscape(s.tx.ID)
	}
	h.render(r.Context(), w, status, web.PageMFARecoveryChallenge, d)
}

// limitAttempt counts a code attempt; when refused it answers the request (the transaction's
// limit ends the transaction) and returns false.
func (h *Handler) limitAttempt(w http.ResponseWriter, r *http.Request, s *mfaState, rateType string,
	rerender func(status int, msg string)) bool {
	ctx := r.Context()
	a, err := h.mfaLimit.Attempt(ctx, s.user.UserID, s.tx.ID)
	if err != nil {
		h.internalError(w, r, err)
		return false
	}
	switch {
	case a.UserBlocked:
		h.record(r, rateType, "Too many failed second-factor attempts", s.client, s.user)
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		rerender(http.StatusTooManyRequests, MsgMFATooMany)
		return false
	case !a.Allowed:
		h.record(r, rateType, "Too many failed second-factor attempts in one sign-in", s.client, s.user)
		h.endTransaction(ctx, s.tx, true)
		h.errorPage(w, r, &protocol.Error{
			Status: http.StatusTooManyRequests, Heading: "Too many attempts.",
			Description: "Too many wrong codes were entered. Please return to the application and sign in again.",
		})
		return false
	}
	return true
}

// mfaEnrollSubmit is POST /u/mfa-otp-enrollment-qr: the first code confirms the authenticator.
func (h *Handler) mfaEnrollSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	ctx := r.Context()
	if f, err := h.mfa.Enrolled(ctx, s.user.UserID); err != nil {
		h.internalError(w, r, err)
		return
	} else if ok, err := h.enrollingAfterMFA(ctx, s); err != nil {
		h.internalError(w, r, err)
		return
	} else if f.Any() && !ok {
		// Only a user with no factor, or one who passed a factor in this sign-in, enrolls one.
		h.errorPage(w, r, staleTransaction())
		return
	}
	rerender := func(status int, msg string) { h.renderEnroll(w, r, s, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFAOTPRateLimit, rerender) {
		return
	}
	out, err := h.mfa.VerifyTOTP(ctx, s.user.UserID, r.PostForm.Get("code"), true)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if out != mfa.Accepted {
		h.record(r, audit.TypeMFAAuthFailed, "Wrong code at enrollment", s.client, s.user)
		rerender(http.StatusBadRequest, codeMessage(out))
		return
	}
	h.record(r, audit.TypeMFAEnrollmentComplete, "Guardian - Enrollment complete (otp)", s.client, s.user)
	if !h.passedMFA(w, r, s, mfaMethodsOTP) || !h.rememberIfAsked(w, r, s) {
		return
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.afterEnrollment(w, r, s, g)
}

// afterEnrollment shows a recovery code after a first factor's enrollment (when the tenant has
// them on and the user has none yet), then goes on with the sign-in.
func (h *Handler) afterEnrollment(w http.ResponseWriter, r *http.Request, s *mfaState, g domain.GuardianSettings) {
	f, err := h.mfa.Enrolled(r.Context(), s.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !g.Enabled[domain.FactorRecoveryCode] || f.RecoveryCode {
		h.dispatch(w, r, &flow{client: s.client, tx: s.tx, stored: true})
		return
	}
	h.showRecoveryCode(w, r, s, false)
}

// mfaChallengeSubmit is POST /u/mfa-otp-challenge.
func (h *Handler) mfaChallengeSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	rerender := func(status int, msg string) { h.renderChallenge(w, r, s, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFAOTPRateLimit, rerender) {
		return
	}
	out, err := h.mfa.VerifyTOTP(r.Context(), s.user.UserID, r.PostForm.Get("code"), false)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if out != mfa.Accepted {
		h.record(r, audit.TypeMFAAuthFailed, codeLogDescription(out), s.client, s.user)
		rerender(http.StatusBadRequest, codeMessage(out))
		return
	}
	h.record(r, audit.TypeMFAAuthSucceed, "Guardian - Second factor authentication succeeded (otp)", s.client, s.user)
	if h.passedMFA(w, r, s, mfaMethodsOTP) && h.rememberIfAsked(w, r, s) {
		h.dispatch(w, r, &flow{client: s.client, tx: s.tx, stored: true})
	}
}

// mfaRecoverySubmit is POST /u/mfa-recovery-code-challenge: a right code is spent and replaced by a
// new one, shown once.
func (h *Handler) mfaRecoverySubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	rerender := func(status int, msg string) { h.renderRecovery(w, r, s, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFARecoveryRateLimit, rerender) {
		return
	}
	ok, err := h.mfa.UseRecoveryCode(r.Context(), s.user.UserID, r.PostForm.Get("recovery_code"))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !ok {
		h.record(r, audit.TypeMFARecoveryFailed, "Wrong recovery code", s.client, s.user)
		rerender(http.StatusBadRequest, MsgMFAWrongRecovery)
		return
	}
	h.record(r, audit.TypeMFARecoverySucceed, "Guardian - Recovery code used", s.client, s.user)
	if h.passedMFA(w, r, s, mfaMethodsRecovery) {
		h.showRecoveryCode(w, r, s, true)
	}
}

// showRecoveryCode makes the user's new recovery code and shows it, once, in this response.
func (h *Handler) showRecoveryCode(w http.ResponseWriter, r *http.Request, s *mfaState, replaced bool) {
	code, err := h.mfa.NewRecoveryCode(r.Context(), s.user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(r.Context(), w, http.StatusOK, web.PageMFARecoveryCode, web.MFARecoveryCodeData{
		MFAForm: h.mfaForm(r, s, MFARecoveryCodePath, ""), Code: code, Replaced: replaced,
	})
}

// mfaRecoveryCodeContinue is POST /u/mfa-recovery-code-enrollment: the user saw the code; the
// sign-in goes on (dispatch checks again that the session passed its second factor).
func (h *Handler) mfaRecoveryCodeContinue(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, true); s != nil {
		h.dispatch(w, r, &flow{client: s.client, tx: s.tx, stored: true})
	}
}

// passedMFA records on the session that it passed a second factor, and forgets the user's failures.
func (h *Handler) passedMFA(w http.ResponseWriter, r *http.Request, s *mfaState, methods []string) bool {
	ctx := r.Context()
	if err := h.mfaLimit.Succeeded(ctx, s.user.UserID); err != nil {
		h.logger.WarnContext(ctx, "mfa failures not forgotten", "err", err)
	}
	if err := h.store.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: s.sess.ID, Methods: methods, At: h.now().UTC()}); err != nil {
		h.internalError(w, r, fmt.Errorf("mfa: record on session: %w", err))
		return false
	}
	return true
}

func codeMessage(o mfa.Outcome) string {
	if o == mfa.Replayed {
		return MsgMFAUsedCode
	}
	return MsgMFAWrongCode
}

func codeLogDescription(o mfa.Outcome) string {
	if o == mfa.Replayed {
		return "Second factor code already used"
	}
	return "Wrong second factor code"
}

// mountMFA registers the second-factor pages.
func (h *Handler) mountMFA(mux *http.ServeMux) {
	mux.HandleFunc("GET "+MFAOTPEnrollPath, h.mfaEnrollPage)
	mux.HandleFunc("POST "+MFAOTPEnrollPath, h.mfaEnrollSubmit)
	mux.HandleFunc("GET "+MFAOTPChallengePath, h.mfaChallengePage)
	mux.HandleFunc("POST "+MFAOTPChallengePath, h.mfaChallengeSubmit)
	mux.HandleFunc("GET "+MFARecoveryChallengePath, h.mfaRecoveryPage)
	mux.HandleFunc("POST "+MFARecoveryChallengePath, h.mfaRecoverySubmit)
	mux.HandleFunc("POST "+MFARecoveryCodePath, h.mfaRecoveryCodeContinue)
	mux.HandleFunc("GET "+MFAEmailChallengePath, h.mfaEmailPage)
	mux.HandleFunc("POST "+MFAEmailChallengePath, h.mfaEmailSubmit)
	mux.HandleFunc("GET "+domain.GuardianEnrollmentPath, h.guardianEnrollmentPage)
	mux.HandleFunc("POST "+domain.GuardianEnrollmentPath, h.guardianEnrollmentSubmit)
	mux.HandleFunc("POST "+GuardianEnrollmentDonePath, h.guardianEnrollmentDone)
}

// mfaLimiterFor is the default attempt limiter over the store's shared counters.
func mfaLimiterFor(st store.Store, now func() time.Time) *guard.MFALimiter {
	return &guard.MFALimiter{Counters: st, Now: now}
}
