package authflow

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/web"
)

// Security keys (webauthn-roaming) and platform authenticators (webauthn-platform) as second
// factors: enrollment and challenge pages of the MFA step. A ceremony's challenge is bound to the
// MFA transaction (itself bound to this browser by its cookie) and is taken once by the answer:
// an answer for another transaction, or given twice, finds no challenge.
const (
	MFAWebAuthnRoamingEnrollPath  = "/u/mfa-webauthn-roaming-enrollment"
	MFAWebAuthnPlatformEnrollPath = "/u/mfa-webauthn-platform-enrollment"
	MFAWebAuthnChallengePath      = "/u/mfa-webauthn-challenge"
)

// Messages of the WebAuthn pages.
const (
	MsgWebAuthnFailed     = "We could not verify your security key. Please try again."
	MsgWebAuthnExpired    = "This request has expired or was already used. Please try again."
	MsgWebAuthnCloned     = "This security key could not be trusted (its signature counter went backwards). Use another factor or contact support."
	MsgWebAuthnRegistered = "This authenticator is already registered."
)

// amr values of the WebAuthn factors (RFC 8176 §2): a roaming key is a hardware-secured key, a
// platform authenticator is counted as a software-secured one.
var (
	mfaMethodsRoaming  = []string{"mfa", "hwk"}
	mfaMethodsPlatform = []string{"mfa", "swk"}
)

// webauthnKinds are the WebAuthn factors the tenant has enabled.
func webauthnKinds(g domain.GuardianSettings) []string {
	var kinds []string
	for _, k := range []string{domain.FactorWebAuthnRoaming, domain.FactorWebAuthnPlatform} {
		if g.Enabled[k] {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// webauthnMFAPage is the WebAuthn page the MFA step sends the user to, or "" to leave the choice
// to the other factors: the challenge when the user has a credential of an enabled WebAuthn
// factor, the enrollment when they have no factor at all and authenticator apps are off or a
// WebAuthn factor is on.
func (h *Handler) webauthnMFAPage(ctx context.Context, userID string, hasOtherFactor bool) (string, error) {
	if h.webauthn == nil {
		return "", nil
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		return "", err
	}
	kinds := webauthnKinds(g)
	if len(kinds) == 0 {
		return "", nil
	}
	creds, err := h.webauthn.Credentials(ctx, userID, kinds...)
	if err != nil {
		return "", err
	}
	switch {
	case len(creds) > 0:
		return MFAWebAuthnChallengePath, nil
	case hasOtherFactor:
		return "", nil
	case kinds[0] == domain.FactorWebAuthnRoaming:
		return MFAWebAuthnRoamingEnrollPath, nil
	}
	return MFAWebAuthnPlatformEnrollPath, nil
}

func txBinding(txID string) string { return "tx:" + txID }

func enrollKind(path string) string {
	if path == MFAWebAuthnPlatformEnrollPath {
		return domain.FactorWebAuthnPlatform
	}
	return domain.FactorWebAuthnRoaming
}

// webauthnEnrollPage is GET of both enrollment pages.
func (h *Handler) webauthnEnrollPage(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, false); s != nil {
		h.renderWebAuthnEnroll(w, r, s, r.URL.Path, http.StatusOK, "")
	}
}

func (h *Handler) renderWebAuthnEnroll(w http.ResponseWriter, r *http.Request, s *mfaState, path string, status int, msg string) {
	ctx := r.Context()
	kind := enrollKind(path)
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !g.Enabled[kind] {
		h.errorPage(w, r, staleTransaction())
		return
	}
	if p, err := h.webauthnMFAPage(ctx, s.user.UserID, false); err != nil {
		h.internalError(w, r, err)
		return
	} else if p == MFAWebAuthnChallengePath {
		// A key was enrolled meanwhile (another tab): it must be answered, not added to, unless
		// this is an enrollWith enrollment after a factor passed in this sign-in.
		if ok, err := h.enrollingAfterMFA(ctx, s); err != nil || !ok {
			if err != nil {
				h.internalError(w, r, err)
			} else {
				h.errorPage(w, r, staleTransaction())
			}
			return
		}
	}
	if ok, err := h.enrollingAfterMFA(ctx, s); err != nil {
		h.internalError(w, r, err)
		return
	} else if !ok && s.tx.MFAEnroll {
		h.errorPage(w, r, staleTransaction())
		return
	}
	opts, err := h.webauthn.BeginRegistration(ctx, txBinding(s.tx.ID), kind, mfa.AccountOf(s.user))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := web.WebAuthnData{MFAForm: h.mfaForm(r, s, path, msg), Mode: "create", Options: string(opts), AskName: true,
		Heading: "Secure your account", Lead: "Insert your security key, then touch it when it flashes.", Button: "Use a security key"}
	if kind == domain.FactorWebAuthnPlatform {
		d.Lead, d.Button = "Use this device's fingerprint, face or screen lock as a second factor.", "Use this device"
	}
	q := "?state=" + url.QueryEscape(s.tx.ID)
	if kind == domain.FactorWebAuthnRoaming && g.Enabled[domain.FactorWebAuthnPlatform] {
		d.Links = append(d.Links, web.Link{URL: MFAWebAuthnPlatformEnrollPath + q, Label: "Use this device instead"})
	}
	if kind == domain.FactorWebAuthnPlatform && g.Enabled[domain.FactorWebAuthnRoaming] {
		d.Links = append(d.Links, web.Link{URL: MFAWebAuthnRoamingEnrollPath + q, Label: "Use a security key instead"})
	}
	if g.Enabled[domain.FactorOTP] {
		d.Links = append(d.Links, web.Link{URL: MFAOTPEnrollPath + q, Label: "Use an authenticator app instead"})
	}
	h.render(ctx, w, status, web.PageMFAWebAuthn, d)
}

// webauthnEnrollSubmit is POST of both enrollment pages: the new credential is verified and
// stored, and the session passes the factor.
func (h *Handler) webauthnEnrollSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	path := r.URL.Path
	kind := enrollKind(path)
	ctx := r.Context()
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !g.Enabled[kind] {
		h.errorPage(w, r, staleTransaction())
		return
	}
	rerender := func(status int, msg string) { h.renderWebAuthnEnroll(w, r, s, path, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFAOTPRateLimit, rerender) {
		return
	}
	_, err = h.webauthn.FinishRegistration(ctx, txBinding(s.tx.ID), kind, s.user.UserID,
		[]byte(r.PostForm.Get("credential")), r.PostForm.Get("name"), r.UserAgent(), nil)
	if msg, ok := webauthnRefusal(err); ok {
		h.logger.InfoContext(ctx, "webauthn enrollment refused", "err", err)
		h.record(r, audit.TypeMFAAuthFailed, "WebAuthn enrollment refused: "+msg, s.client, s.user)
		rerender(http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAEnrollmentComplete, "Guardian - Enrollment complete ("+kind+")", s.client, s.user)
	if !h.passedMFA(w, r, s, webauthnAMR(kind)) || !h.rememberIfAsked(w, r, s) {
		return
	}
	h.afterEnrollment(w, r, s, g)
}

func webauthnAMR(kind string) []string {
	if kind == domain.FactorWebAuthnPlatform {
		return mfaMethodsPlatform
	}
	return mfaMethodsRoaming
}

// webauthnRefusal turns a ceremony's refusal into the page's message; ok is false for other errors.
func webauthnRefusal(err error) (msg string, ok bool) {
	switch {
	case errors.Is(err, mfa.ErrChallengeGone):
		return MsgWebAuthnExpired, true
	case errors.Is(err, mfa.ErrCloned):
		return MsgWebAuthnCloned, true
	case errors.Is(err, mfa.ErrAlreadyRegistered):
		return MsgWebAuthnRegistered, true
	case errors.Is(err, mfa.ErrCeremonyFailed):
		return MsgWebAuthnFailed, true
	}
	return "", false
}

// webauthnChallengePage is GET /u/mfa-webauthn-challenge.
func (h *Handler) webauthnChallengePage(w http.ResponseWriter, r *http.Request) {
	if s := h.loadMFATx(w, r, false); s != nil {
		h.renderWebAuthnChallenge(w, r, s, http.StatusOK, "")
	}
}

func (h *Handler) renderWebAuthnChallenge(w http.ResponseWriter, r *http.Request, s *mfaState, status int, msg string) {
	ctx := r.Context()
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	kinds := webauthnKinds(g)
	creds, err := h.webauthn.Credentials(ctx, s.user.UserID, kinds...)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if len(creds) == 0 {
		// The key was deleted or its factor turned off mid-transaction.
		h.errorPage(w, r, staleTransaction())
		return
	}
	opts, err := h.webauthn.BeginLogin(ctx, txBinding(s.tx.ID), s.user.UserID, kinds)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := web.WebAuthnData{MFAForm: h.mfaForm(r, s, MFAWebAuthnChallengePath, msg), Mode: "get", Options: string(opts),
		Heading: "Verify your identity", Lead: "Use your security key or this device's screen lock to continue.", Button: "Use security key"}
	if f, err := h.mfa.Enrolled(ctx, s.user.UserID); err == nil {
		q := "?state=" + url.QueryEscape(s.tx.ID)
		if f.TOTP && g.Enabled[domain.FactorOTP] {
			d.Links = append(d.Links, web.Link{URL: MFAOTPChallengePath + q, Label: "Use your authenticator app"})
		}
		if f.RecoveryCode {
			d.Links = append(d.Links, web.Link{URL: MFARecoveryChallengePath + q, Label: "Use a recovery code"})
		}
	}
	h.render(ctx, w, status, web.PageMFAWebAuthn, d)
}

// webauthnChallengeSubmit is POST /u/mfa-webauthn-challenge.
func (h *Handler) webauthnChallengeSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.loadMFATx(w, r, true)
	if s == nil {
		return
	}
	rerender := func(status int, msg string) { h.renderWebAuthnChallenge(w, r, s, status, msg) }
	if !h.limitAttempt(w, r, s, audit.TypeMFAOTPRateLimit, rerender) {
		return
	}
	ctx := r.Context()
	cred, err := h.webauthn.FinishLogin(ctx, txBinding(s.tx.ID), s.user.UserID, []byte(r.PostForm.Get("credential")))
	if msg, ok := webauthnRefusal(err); ok {
		h.logger.InfoContext(ctx, "webauthn assertion refused", "err", err)
		h.record(r, audit.TypeMFAAuthFailed, "WebAuthn assertion refused: "+msg, s.client, s.user)
		rerender(http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAAuthSucceed, "Guardian - Second factor authentication succeeded ("+cred.Type+")", s.client, s.user)
	if h.passedMFA(w, r, s, webauthnAMR(cred.Type)) && h.rememberIfAsked(w, r, s) {
		h.dispatch(w, r, &flow{client: s.client, tx: s.tx, stored: true})
	}
}

// mountWebAuthn registers the WebAuthn and passkey pages; without a relying party (an issuer on
// an IP address) they answer that the link is no longer valid.
func (h *Handler) mountWebAuthn(mux *http.ServeMux) {
	for _, p := range []string{MFAWebAuthnRoamingEnrollPath, MFAWebAuthnPlatformEnrollPath} {
		mux.HandleFunc("GET "+p, h.withWebAuthn(h.webauthnEnrollPage))
		mux.HandleFunc("POST "+p, h.withWebAuthn(h.webauthnEnrollSubmit))
	}
	mux.HandleFunc("GET "+MFAWebAuthnChallengePath, h.withWebAuthn(h.webauthnChallengePage))
	mux.HandleFunc("POST "+MFAWebAuthnChallengePath, h.withWebAuthn(h.webauthnChallengeSubmit))
	mux.HandleFunc("POST "+PasskeyLoginPath, h.withWebAuthn(h.passkeyLoginSubmit))
	mux.HandleFunc("POST "+PasskeySignupPath, h.withWebAuthn(h.passkeySignupSubmit))
	mux.HandleFunc("POST "+PasskeySignupCreatePath, h.withWebAuthn(h.passkeySignupCreate))
	mux.HandleFunc("GET "+PasskeysPath, h.withWebAuthn(h.passkeysPage))
	mux.HandleFunc("POST "+PasskeysPath, h.withWebAuthn(h.passkeysSubmit))
}

func (h *Handler) withWebAuthn(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.webauthn == nil {
			h.errorPage(w, r, staleTransaction())
			return
		}
		fn(w, r)
	}
}
