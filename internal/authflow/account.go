package authflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// The self-service account page (/u/account), what a Keycloak user knows as the Account Console,
// kept to the second factors: the browser's SSO session shows its user their factors and
// passkeys; removing one or making a new recovery code needs a second factor passed within
// AccountStepUpFor (else /u/account/verify asks for one first). Forms carry a token only the
// browser holding the session cookie can have (accountCSRF). Removals are logged gd_unenroll.
const (
	AccountPath       = "/u/account"
	AccountVerifyPath = "/u/account/verify"
	// AccountStepUpFor is how long a second factor passed counts as fresh for a change.
	AccountStepUpFor = 5 * time.Minute
)

// accountCSRF is the account forms' token: HMAC-SHA256 keyed by the session cookie's secret over
// the session id.
func (h *Handler) accountCSRF(r *http.Request, sess *domain.Session) string {
	c, err := r.Cookie(h.sessions.CookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(c.Value))
	m.Write([]byte("gatehouse account\x00"))
	m.Write([]byte(sess.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// accountUser is the signed-in session and its user; it answers (not signed in) and returns nil
// when there is none.
func (h *Handler) accountUser(w http.ResponseWriter, r *http.Request) (*domain.Session, *domain.User) {
	ctx := r.Context()
	sess, err := h.sessions.Current(ctx, r)
	if err != nil {
		h.internalError(w, r, err)
		return nil, nil
	}
	if sess == nil || h.mfa == nil {
		h.errorPage(w, r, accountNotSignedIn())
		return nil, nil
	}
	user, err := h.store.GetUser(ctx, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, accountNotSignedIn())
		return nil, nil
	}
	if err != nil {
		h.internalError(w, r, err)
		return nil, nil
	}
	return sess, user
}

// freshMFA reports whether the session passed a second factor within AccountStepUpFor.
func (h *Handler) freshMFA(ctx context.Context, sess *domain.Session) (bool, error) {
	m, err := h.store.GetSessionMFA(ctx, sess.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("account: session mfa: %w", err)
	}
	now := h.now()
	return !m.At.Before(sess.AuthenticatedAt) && now.Sub(m.At) <= AccountStepUpFor && !m.At.After(now.Add(time.Minute)), nil
}

// accountFactors are the user's second factors (confirmed apps and email, security keys and
// platform authenticators), passkeys, and whether a recovery code is set.
func (h *Handler) accountFactors(ctx context.Context, u *domain.User) (factors, passkeys []web.AccountItem, recovery bool, err error) {
	list, err := h.store.ListMFAAuthenticators(ctx, u.UserID)
	if err != nil {
		return nil, nil, false, err
	}
	for _, a := range list {
		switch {
		case a.Type == domain.MethodRecoveryCode:
			recovery = true
		case a.Type == domain.MethodTOTP && a.Confirmed:
			factors = append(factors, web.AccountItem{ID: a.ID, Kind: "Authenticator app", CreatedAt: a.CreatedAt, LastUsed: a.LastAuthAt})
		case a.Type == domain.MethodEmail && a.Confirmed:
			factors = append(factors, web.AccountItem{ID: a.ID, Kind: "Email", Name: maskedEmail(u.Email), CreatedAt: a.CreatedAt, LastUsed: a.LastAuthAt})
		}
	}
	keys, err := h.store.ListWebAuthnCredentials(ctx, u.UserID)
	if err != nil {
		return nil, nil, false, err
	}
	for _, k := range keys {
		item := web.AccountItem{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, LastUsed: k.LastAuthAt}
		switch k.Type {
		case domain.MethodPasskey:
			passkeys = append(passkeys, item)
		case domain.FactorWebAuthnPlatform:
			item.Kind = "This device's screen lock"
			factors = append(factors, item)
		default:
			item.Kind = "Security key"
			factors = append(factors, item)
		}
	}
	return factors, passkeys, recovery, nil
}

// accountPage is GET /u/account.
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	sess, user := h.accountUser(w, r)
	if sess == nil {
		return
	}
	notice := ""
	if r.URL.Query().Get("verified") == "1" {
		if fresh, err := h.freshMFA(r.Context(), sess); err == nil && fresh {
			notice = "Identity verified. You can make changes for the next few minutes."
		}
	}
	h.renderAccount(w, r, sess, user, http.StatusOK, "", notice, "")
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, sess *domain.Session, user *domain.User, status int, msg, notice, newCode string) {
	ctx := r.Context()
	factors, passkeys, recovery, err := h.accountFactors(ctx, user)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	fresh, err := h.freshMFA(ctx, sess)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := web.AccountData{Base: h.base(ctx), Email: user.Email, Name: user.Name, Action: AccountPath, CSRF: h.accountCSRF(r, sess),
		Factors: factors, Passkeys: passkeys, HasRecoveryCode: recovery, CanRegenerate: len(factors) > 0 && g.Enabled[domain.FactorRecoveryCode],
		Fresh: fresh, NewRecoveryCode: newCode, Error: msg, Notice: notice}
	if h.webauthn != nil {
		if conn, err := h.databaseConnection(ctx); err == nil && conn.Options.PasskeysEnabled() && user.Connection == conn.Name {
			d.PasskeysURL = PasskeysPath
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(ctx, w, status, web.PageAccount, d)
}

// accountSubmit is POST /u/account: op=remove (id) or op=recovery-code, after a fresh factor.
func (h *Handler) accountSubmit(w http.ResponseWriter, r *http.Request) {
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
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(r.PostForm.Get("csrf"))) != 1 {
		h.renderAccount(w, r, sess, user, http.StatusForbidden, MsgFormExpired, "", "")
		return
	}
	op := r.PostForm.Get("op")
	if op != "remove" && op != "recovery-code" {
		h.renderAccount(w, r, sess, user, http.StatusBadRequest, "Unknown change.", "", "")
		return
	}
	fresh, err := h.freshMFA(ctx, sess)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !fresh {
		// Step-up: a second factor first. Nothing is changed; the user comes back and asks again.
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, AccountVerifyPath, http.StatusSeeOther)
		return
	}
	if op == "recovery-code" {
		h.accountRegenerate(w, r, sess, user)
		return
	}
	h.accountRemove(w, r, sess, user, r.PostForm.Get("id"))
}

func (h *Handler) accountRegenerate(w http.ResponseWriter, r *http.Request, sess *domain.Session, user *domain.User) {
	ctx := r.Context()
	factors, _, _, err := h.accountFactors(ctx, user)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	g, err := h.store.GetGuardianSettings(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if len(factors) == 0 || !g.Enabled[domain.FactorRecoveryCode] {
		h.renderAccount(w, r, sess, user, http.StatusBadRequest, "A recovery code stands in for a second factor: add one first.", "", "")
		return
	}
	code, err := h.mfa.NewRecoveryCode(ctx, user.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAEnrollmentComplete, "Guardian - Recovery code regenerated (account page)", nil, user)
	h.renderAccount(w, r, sess, user, http.StatusOK, "", "A new recovery code was made.", code)
}

// accountRemove deletes one factor or passkey of the user; with the last second factor goes the
// recovery code that stood in for it.
func (h *Handler) accountRemove(w http.ResponseWriter, r *http.Request, sess *domain.Session, user *domain.User, id string) {
	ctx := r.Context()
	factors, passkeys, _, err := h.accountFactors(ctx, user)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	byID := func(it web.AccountItem) bool { return it.ID == id }
	var kind string
	switch {
	case id == "":
	case slices.ContainsFunc(factors, byID):
		kind = factors[slices.IndexFunc(factors, byID)].Kind
	case slices.ContainsFunc(passkeys, byID):
		kind = "Passkey"
	}
	if kind == "" {
		h.renderAccount(w, r, sess, user, http.StatusNotFound, "This factor no longer exists.", "", "")
		return
	}
	err = h.store.DeleteMFAAuthenticator(ctx, user.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		err = h.store.DeleteWebAuthnCredential(ctx, user.UserID, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		h.renderAccount(w, r, sess, user, http.StatusNotFound, "This factor no longer exists.", "", "")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if kind != "Passkey" && len(factors) == 1 {
		if err := h.dropRecoveryCodes(ctx, user.UserID); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	h.record(r, audit.TypeMFAUnenroll, "Guardian - Unenroll device: "+kind+" removed by the user (account page)", nil, user)
	h.renderAccount(w, r, sess, user, http.StatusOK, "", kind+" removed.", "")
}

func (h *Handler) dropRecoveryCodes(ctx context.Context, userID string) error {
	list, err := h.store.ListMFAAuthenticators(ctx, userID)
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.Type == domain.MethodRecoveryCode {
			if err := h.store.DeleteMFAAuthenticator(ctx, userID, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// accountNotSignedIn is the account pages without a session.
func accountNotSignedIn() *protocol.Error {
	return &protocol.Error{Status: http.StatusUnauthorized, Heading: "You are not signed in.",
		Description: "Sign in to an application first, then come back to manage your account."}
}
