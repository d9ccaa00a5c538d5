package authflow

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/web"
)

// /u/account/verify: the account page's step-up. It asks the signed-in user for one of their
// second factors (an authenticator app's code, a security key, or a code mailed to their verified
// address), with the sign-in's attempt limits counted under the session; a factor passed is
// recorded on the session (so the account page's changes are allowed for AccountStepUpFor) and
// the browser goes back to /u/account. Recovery codes are not offered: using one spends it.

// accountBinding binds a step-up's mailed code and WebAuthn challenge to the session.
func accountBinding(sessID string) string { return "account:" + sessID }

// accountStepUpFactor is the factor the verify page asks for: the one named (otp, webauthn,
// email) when the user has it, else the first the user has in that order; "" when none.
func (h *Handler) accountStepUpFactor(r *http.Request, u *domain.User) (string, []string, error) {
	ctx := r.Context()
	f, err := h.mfa.Enrolled(ctx, u.UserID)
	if err != nil {
		return "", nil, err
	}
	var have []string
	if f.TOTP {
		have = append(have, domain.FactorOTP)
	}
	if ok, err := h.hasWebAuthnFactor(ctx, u.UserID); err != nil {
		return "", nil, err
	} else if ok {
		have = append(have, "webauthn")
	}
	if a, err := h.mfa.EmailAuthenticator(ctx, u.UserID); err != nil {
		return "", nil, err
	} else if ok, err := h.emailUsable(ctx, u, a); err != nil {
		return "", nil, err
	} else if ok && a.Confirmed {
		have = append(have, domain.FactorEmail)
	}
	if len(have) == 0 {
		return "", nil, nil
	}
	want := r.URL.Query().Get("factor")
	for _, t := range have {
		if t == want {
			return t, have, nil
		}
	}
	return have[0], have, nil
}

var stepUpLabels = map[string]string{domain.FactorOTP: "Use your authenticator app", "webauthn": "Use your security key", domain.FactorEmail: "Email me a code"}

// accountVerifyPage is GET /u/account/verify.
func (h *Handler) accountVerifyPage(w http.ResponseWriter, r *http.Request) {
	sess, user := h.accountUser(w, r)
	if sess == nil {
		return
	}
	h.renderAccountVerify(w, r, sess, user, http.StatusOK, "", "")
}

func (h *Handler) renderAccountVerify(w http.ResponseWriter, r *http.Request, sess *domain.Session, user *domain.User, status int, msg, oob string) {
	ctx := r.Context()
	factor, have, err := h.accountStepUpFactor(r, user)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if factor == "" {
		h.renderAccount(w, r, sess, user, http.StatusForbidden, "You have no second factor to verify your identity with.", "", "")
		return
	}
	form := web.MFAForm{Base: h.base(ctx), Action: AccountVerifyPath + "?factor=" + factor, State: "account", CSRF: h.accountCSRF(r, sess), Error: msg}
	var links []web.Link
	for _, t := range have {
		if t != factor {
			links = append(links, web.Link{URL: AccountVerifyPath + "?factor=" + t, Label: stepUpLabels[t]})
		}
	}
	links = append(links, web.Link{URL: AccountPath, Label: "Back to your account"})
	w.Header().Set("Cache-Control", "no-store")
	switch factor {
	case "webauthn":
		g, err := h.store.GetGuardianSettings(ctx)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		opts, err := h.webauthn.BeginLogin(ctx, accountBinding(sess.ID), user.UserID, webauthnKinds(g))
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		h.render(ctx, w, status, web.PageMFAWebAuthn, web.WebAuthnData{MFAForm: form, Mode: "get", Options: string(opts), Links: links,
			Heading: "Verify your identity", Lead: "Use your security key or this device's screen lock to continue.", Button: "Use security key"})
	case domain.FactorEmail:
		if oob == "" && msg == "" {
			if oob, err = h.sendStepUpEmail(r, user); err != nil {
				if errors.Is(err, errTooManyMails) {
					msg = MsgMFAEmailTooMany
					status = http.StatusTooManyRequests
				} else {
					h.internalError(w, r, err)
					return
				}
			}
		}
		form.Action += "&sent=1"
		h.render(ctx, w, status, web.PageMFAEmailChallenge, web.MFAEmailChallengeData{MFAForm: form, Email: maskedEmail(user.Email), OOBCode: oob,
			ResendURL: AccountVerifyPath + "?factor=email"})
	default:
		d := web.MFAChallengeData{MFAForm: form}
		h.render(ctx, w, status, web.PageMFAOTPChallenge, d)
	}
}

var errTooManyMails = errors.New("account: too many step-up mails")

// sendStepUpEmail mails a code for the step-up, within the per-user mail limit of the sign-in.
func (h *Handler) sendStepUpEmail(r *http.Request, user *domain.User) (string, error) {
	ctx := r.Context()
	a, err := h.mfa.EmailAuthenticator(ctx, user.UserID)
	if err != nil || a == nil {
		return "", err
	}
	now := h.now().UTC()
	n, _, err := h.store.HitCounter(ctx, "mfa-email:"+user.UserID, 1, now, now.Add(mfaEmailWindow), false)
	if err != nil {
		return "", err
	}
	if n > mfaEmailPerWindow {
		h.record(r, audit.TypeMFAOTPRateLimit, "Too many second-factor codes mailed", nil, user)
		return "", errTooManyMails
	}
	sess, _ := h.sessions.Current(ctx, r)
	if sess == nil {
		return "", errors.New("account: no session")
	}
	oob, err := h.emailCodes.Send(ctx, user, nil, a, []byte(accountBinding(sess.ID)))
	if err != nil {
		return "", err
	}
	h.record(r, audit.TypeMFAEmailSent, "Guardian - Email sent to "+maskedEmail(user.Email), nil, user)
	return oob, nil
}

// accountVerifySubmit is POST /u/account/verify.
func (h *Handler) accountVerifySubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, badRequest("The form could not be read."))
		return
	}
	sess, user := h.accountUser(w, r)
	if sess == nil {
		return
	}
	ctx := r.Context()
	want := h.accountCSRF(r, sess)
	if want == "" || !constantEqual(want, r.PostForm.Get("csrf")) {
		h.renderAccount(w, r, sess, user, http.StatusForbidden, MsgFormExpired, "", "")
		return
	}
	factor, _, err := h.accountStepUpFactor(r, user)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if factor == "" || factor != r.URL.Query().Get("factor") {
		h.renderAccountVerify(w, r, sess, user, http.StatusBadRequest, "This factor is no longer available. Try again.", "")
		return
	}
	oob := r.PostForm.Get("oob_code")
	rerender := func(status int, msg string) { h.renderAccountVerify(w, r, sess, user, status, msg, oob) }
	a, err := h.mfaLimit.Attempt(ctx, user.UserID, accountBinding(sess.ID))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if a.UserBlocked || !a.Allowed {
		h.record(r, audit.TypeMFAOTPRateLimit, "Too many failed second-factor attempts (account page)", nil, user)
		if a.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter/time.Second)))
		}
		rerender(http.StatusTooManyRequests, MsgMFATooMany)
		return
	}
	var methods []string
	switch factor {
	case domain.FactorOTP:
		out, err := h.mfa.VerifyTOTP(ctx, user.UserID, r.PostForm.Get("code"), false)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		if out != mfa.Accepted {
			h.record(r, audit.TypeMFAAuthFailed, codeLogDescription(out)+" (account page)", nil, user)
			rerender(http.StatusBadRequest, codeMessage(out))
			return
		}
		methods = mfaMethodsOTP
	case domain.FactorEmail:
		out, _, err := h.emailCodes.Check(ctx, user.UserID, []byte(accountBinding(sess.ID)), oob, strings.TrimSpace(r.PostForm.Get("code")))
		if errors.Is(err, mfa.ErrUnknownChallenge) || errors.Is(err, mfa.ErrFactorRemoved) {
			h.record(r, audit.TypeMFAAuthFailed, "Unknown, expired or removed email challenge (account page)", nil, user)
			oob = ""
			rerender(http.StatusBadRequest, "This code has expired. Send a new code and try again.")
			return
		}
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		if out != mfa.Accepted {
			h.record(r, audit.TypeMFAAuthFailed, codeLogDescription(out)+" (account page)", nil, user)
			rerender(http.StatusBadRequest, "Invalid code. Enter the code from the email we sent.")
			return
		}
		methods = mfaMethodsEmail
	case "webauthn":
		cred, err := h.webauthn.FinishLogin(ctx, accountBinding(sess.ID), user.UserID, []byte(r.PostForm.Get("credential")))
		if msg, ok := webauthnRefusal(err); ok {
			h.record(r, audit.TypeMFAAuthFailed, "WebAuthn assertion refused (account page): "+msg, nil, user)
			rerender(http.StatusBadRequest, msg)
			return
		}
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		methods = webauthnAMR(cred.Type)
	}
	if err := h.mfaLimit.Succeeded(ctx, user.UserID); err != nil {
		h.logger.WarnContext(ctx, "mfa failures not forgotten", "err", err)
	}
	if err := h.store.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: sess.ID, Methods: methods, At: h.now().UTC()}); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAAuthSucceed, "Guardian - Second factor authentication succeeded ("+factor+", account page)", nil, user)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, AccountPath+"?"+url.Values{"verified": {"1"}}.Encode(), http.StatusSeeOther)
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// mountAccount registers the account page and its step-up.
func (h *Handler) mountAccount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AccountPath, h.accountPage)
	mux.HandleFunc("POST "+AccountPath, h.accountSubmit)
	mux.HandleFunc("GET "+AccountVerifyPath, h.accountVerifyPage)
	mux.HandleFunc("POST "+AccountVerifyPath, h.accountVerifySubmit)
}
