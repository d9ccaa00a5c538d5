package authflow

import (
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// A Guardian enrollment ticket's link (/u/guardian-enrollment?ticket=…, made by the Management
// API's /guardian/enrollments/ticket) lets its user enroll an authenticator app without signing
// in. GET shows the key (a mail scanner that follows the link spends nothing); the form's POST,
// bound to this browser, checks the first code, which confirms the app, and only then spends the
// ticket, so a typo does not cost the link. Attempts count toward the user's second-factor limit.

// GuardianEnrollmentDonePath is where the recovery code page's Continue goes.
const GuardianEnrollmentDonePath = domain.GuardianEnrollmentPath + "/done"

// invalidEnrollmentLink is the one page for a tampered, used or expired enrollment link.
func invalidEnrollmentLink() web.ResetNoticeData {
	return web.ResetNoticeData{Heading: "This link is no longer valid", Problem: true,
		Paragraphs: []string{"The enrollment link has expired, has already been used, or is incomplete.",
			"Nothing was changed. Ask your administrator for a new link."}}
}

// liveEnrollmentTicket finds the live enrollment ticket of secret and its user; nil, nil when
// there is none (the caller shows invalidEnrollmentLink).
func (h *Handler) liveEnrollmentTicket(r *http.Request, secret string) (*domain.Ticket, *domain.User, error) {
	if h.mfa == nil || secret == "" || len(secret) > 128 {
		return nil, nil, nil
	}
	ctx := r.Context()
	t, err := h.store.GetTicket(ctx, domain.HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if t.Kind != domain.TicketGuardianEnrollment || !t.Usable(h.now().UTC()) {
		return nil, nil, nil
	}
	u, err := h.store.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	return t, u, err
}

func (h *Handler) enrollmentNotice(w http.ResponseWriter, r *http.Request, status int, d web.ResetNoticeData) {
	d.Base = h.base(r.Context())
	h.render(r.Context(), w, status, web.PageResetNotice, d)
}

// renderTicketEnroll shows the pending authenticator app's key for the ticket's user.
func (h *Handler) renderTicketEnroll(w http.ResponseWriter, r *http.Request, secret string, u *domain.User, status int, msg string) {
	ctx := r.Context()
	account := u.Email
	if account == "" {
		account = u.Username
	}
	e, err := h.mfa.PendingTOTP(ctx, u.UserID, h.base(ctx).Tenant, account)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	binding := h.ensureBinding(w, r)
	w.Header().Set("Cache-Control", "no-store")
	h.render(ctx, w, status, web.PageMFAOTPEnroll, web.MFAEnrollData{
		MFAForm: web.MFAForm{Base: h.base(ctx), Action: domain.GuardianEnrollmentPath, State: secret,
			CSRF: csrfToken(binding, "guardian enrollment\x00"+secret), Error: msg},
		// Built by package mfa from a random key: a data: URL of a PNG and an otpauth: URI.
		QRCode: template.URL(e.QRCode), URI: template.URL(e.URI), Secret: groupKey(e.Secret),
	})
}

// guardianEnrollmentPage is GET /u/guardian-enrollment?ticket=….
func (h *Handler) guardianEnrollmentPage(w http.ResponseWriter, r *http.Request) {
	secret := r.URL.Query().Get("ticket")
	t, u, err := h.liveEnrollmentTicket(r, secret)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if t == nil {
		h.enrollmentNotice(w, r, http.StatusBadRequest, invalidEnrollmentLink())
		return
	}
	h.renderTicketEnroll(w, r, secret, u, http.StatusOK, "")
}

// guardianEnrollmentSubmit is the form's POST: the first code confirms the app and spends the ticket.
func (h *Handler) guardianEnrollmentSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.enrollmentNotice(w, r, http.StatusBadRequest, invalidEnrollmentLink())
		return
	}
	ctx := r.Context()
	secret := r.PostForm.Get("state")
	t, u, err := h.liveEnrollmentTicket(r, secret)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if t == nil {
		h.enrollmentNotice(w, r, http.StatusBadRequest, invalidEnrollmentLink())
		return
	}
	if !csrfValid(h.bindingSecret(r), "guardian enrollment\x00"+secret, r.PostForm.Get("csrf")) {
		h.renderTicketEnroll(w, r, secret, u, http.StatusForbidden, MsgFormExpired)
		return
	}
	a, err := h.mfaLimit.Attempt(ctx, u.UserID, "guardian-ticket:"+hex.EncodeToString(t.Hash))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !a.Allowed || a.UserBlocked {
		h.record(r, audit.TypeMFAOTPRateLimit, "Too many failed second-factor attempts at enrollment", nil, u)
		if a.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		}
		h.renderTicketEnroll(w, r, secret, u, http.StatusTooManyRequests, MsgMFATooMany)
		return
	}
	out, err := h.mfa.VerifyTOTP(ctx, u.UserID, r.PostForm.Get("code"), true)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if out != mfa.Accepted {
		h.record(r, audit.TypeMFAAuthFailed, "Wrong code at enrollment", nil, u)
		h.renderTicketEnroll(w, r, secret, u, http.StatusBadRequest, codeMessage(out))
		return
	}
	if _, err := h.store.RedeemTicket(ctx, t.Hash, domain.TicketGuardianEnrollment, h.now().UTC()); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyUsed) {
			h.enrollmentNotice(w, r, http.StatusBadRequest, invalidEnrollmentLink())
			return
		}
		h.internalError(w, r, fmt.Errorf("guardian enrollment: redeem: %w", err))
		return
	}
	if err := h.mfaLimit.Succeeded(ctx, u.UserID); err != nil {
		h.logger.WarnContext(ctx, "mfa failures not forgotten", "err", err)
	}
	h.record(r, audit.TypeMFAEnrollmentComplete, "Guardian - Enrollment complete (otp, enrollment ticket)", nil, u)
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !g.Enabled[domain.FactorRecoveryCode] {
		h.enrollmentNotice(w, r, http.StatusOK, enrollmentDone())
		return
	}
	code, err := h.mfa.NewRecoveryCode(ctx, u.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(ctx, w, http.StatusOK, web.PageMFARecoveryCode, web.MFARecoveryCodeData{
		MFAForm: web.MFAForm{Base: h.base(ctx), Action: GuardianEnrollmentDonePath}, Code: code})
}

func enrollmentDone() web.ResetNoticeData {
	return web.ResetNoticeData{Heading: "Your authenticator app is set up",
		Paragraphs: []string{"From now on, signing in asks for the code it shows."}}
}

// guardianEnrollmentDone is the recovery code page's Continue.
func (h *Handler) guardianEnrollmentDone(w http.ResponseWriter, r *http.Request) {
	h.enrollmentNotice(w, r, http.StatusOK, enrollmentDone())
}
