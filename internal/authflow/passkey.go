package authflow

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// Passkeys as a first factor of the database connection (Auth0's authentication_methods.passkey):
// sign-in from /u/login (the username field's autofill, conditional mediation, and/or a button,
// as passkey_options.challenge_ui says), sign-up with a passkey instead of a password, and a
// signed-in user adding a passkey at /u/passkeys. User verification is required every time, so a
// passkey sign-in is a multi-factor one: the session records it as a passed factor.
const (
	PasskeyLoginPath        = "/u/login/passkey"
	PasskeySignupPath       = "/u/signup/passkey"
	PasskeySignupCreatePath = "/u/signup/passkey/create"
	PasskeysPath            = "/u/passkeys"
)

// passkeyMethod marks a session record as a passkey sign-in; it is never written into amr.
const passkeyMethod = "passkey"

// passkeyAMR is the amr of a sign-in whose session record says it was a passkey: no password.
func passkeyAMR(methods []string) ([]string, bool) {
	if len(methods) == 0 || methods[0] != passkeyMethod {
		return nil, false
	}
	return methods[1:], true
}

// passkeyMethods are a passkey sign-in's session record: the marker, "mfa" (something the user
// has, unlocked by something they are or know) and hwk, or swk for a passkey that can be synced.
func passkeyMethods(c *domain.WebAuthnCredential) []string {
	key := "hwk"
	if rec, err := mfa.Record(c); err == nil && rec.Flags.BackupEligible {
		key = "swk"
	}
	return []string{passkeyMethod, "mfa", key}
}

// passkeysFor reports whether the database connection offers passkeys to the client.
func (h *Handler) passkeysFor(conn *domain.Connection, client *domain.Client) bool {
	return h.webauthn != nil && conn.Options.PasskeysEnabled() && conn.EnabledFor(client.ClientID)
}

// passkeyLogin fills the login page's passkey part and starts its ceremony, bound to the
// transaction: each rendering of the page replaces the challenge.
func (h *Handler) passkeyLogin(r *http.Request, fs *flowState) *web.PasskeyLogin {
	ctx := r.Context()
	conn, err := h.databaseConnection(ctx)
	if err != nil || !h.passkeysFor(conn, fs.client) {
		return nil
	}
	opts, err := h.webauthn.BeginLogin(ctx, txBinding(fs.tx.ID), "", []string{domain.MethodPasskey})
	if err != nil {
		h.logger.ErrorContext(ctx, "passkey sign-in not offered", "err", err)
		return nil
	}
	ui := conn.Options.PasskeyChallengeUI()
	return &web.PasskeyLogin{
		Action: PasskeyLoginPath + "?state=" + url.QueryEscape(fs.tx.ID), Options: string(opts),
		Button: ui != domain.PasskeyChallengeAutofill, Autofill: ui != domain.PasskeyChallengeButton,
	}
}

// passkeyLoginSubmit is POST /u/login/passkey: the assertion of a passkey signs its user in.
func (h *Handler) passkeyLoginSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgFormExpired))
		return
	}
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !h.passkeysFor(conn, fs.client) {
		h.errorPage(w, r, badRequest("Passkeys are not enabled for this application."))
		return
	}
	cred, err := h.webauthn.FinishLogin(ctx, txBinding(fs.tx.ID), "", []byte(r.PostForm.Get("credential")))
	if msg, ok := webauthnRefusal(err); ok {
		h.logger.InfoContext(ctx, "passkey sign-in refused", "err", err)
		if msg == MsgWebAuthnFailed {
			msg = "We could not verify your passkey. Please try again."
		}
		h.record(r, audit.TypeLoginFailure, "Passkey sign-in refused: "+msg, fs.client, nil)
		h.render(ctx, w, http.StatusBadRequest, web.PageLogin, h.loginData(r, fs, "", msg))
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	user, err := h.store.GetUser(ctx, cred.UserID)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("passkey: user: %w", err))
		return
	}
	if user.Connection != conn.Name {
		h.errorPage(w, r, badRequest("This passkey belongs to another connection."))
		return
	}
	h.authenticatedWith(w, r, fs, user, passkeyMethods(cred))
}

// passkeySignupAction is the signup page's passkey form target, or "" when passkeys are off or
// the connection asks for usernames (a passkey signup takes an email only).
func (h *Handler) passkeySignupAction(conn *domain.Connection, q string) string {
	if h.webauthn == nil || !conn.Options.PasskeysEnabled() || conn.Options.RequiresUsername {
		return ""
	}
	return PasskeySignupPath + q
}

// passkeySignupSubmit is POST /u/signup/passkey: the email is checked under the connection's rules
// and the passkey's creation begins for a new user id. Nothing is written but the ceremony.
func (h *Handler) passkeySignupSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	rawEmail := strings.TrimSpace(r.PostForm.Get("email"))
	page := func(status int, msg string) {
		h.render(ctx, w, status, web.PageSignup, h.signupData(r, fs, conn, rawEmail, "", msg, nil))
	}
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		page(http.StatusForbidden, MsgFormExpired)
		return
	}
	if conn.Options.DisableSignup || !conn.EnabledFor(fs.client.ClientID) || h.passkeySignupAction(conn, "") == "" {
		h.record(r, audit.TypeSignupFailed, "passkey signup not enabled", fs.client, &domain.User{Email: domain.NormalizeEmail(rawEmail)})
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgSignupDisabled))
		return
	}
	user := &domain.User{UserID: domain.NewUserID(), Email: rawEmail, Connection: conn.Name}
	domain.ApplyUserDefaults(user)
	if rawEmail == "" || user.Validate() != nil {
		page(http.StatusBadRequest, msgInvalidEmail)
		return
	}
	h.renderPasskeySignup(w, r, fs, user, http.StatusOK, "")
}

func (h *Handler) renderPasskeySignup(w http.ResponseWriter, r *http.Request, fs *flowState, user *domain.User, status int, msg string) {
	ctx := r.Context()
	opts, err := h.webauthn.BeginRegistration(ctx, txBinding(fs.tx.ID), domain.MethodPasskey, mfa.AccountOf(user))
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	q := "?state=" + url.QueryEscape(fs.tx.ID)
	h.render(ctx, w, status, web.PagePasskeySignup, web.PasskeySignupData{
		Base: h.base(ctx), Action: PasskeySignupCreatePath + q, State: fs.tx.ID, CSRF: csrfToken(fs.secret, fs.tx.ID),
		Email: user.Email, Options: string(opts), Error: msg, BackURL: SignupPath + q,
	})
}

// passkeySignupCreate is POST /u/signup/passkey/create: the new passkey is verified, and the user
// and the passkey are written in one transaction (with the signup's mail), then signed in.
func (h *Handler) passkeySignupCreate(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	signupPage := func(status int, email, msg string) {
		h.render(ctx, w, status, web.PageSignup, h.signupData(r, fs, conn, email, "", msg, nil))
	}
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		signupPage(http.StatusForbidden, "", MsgFormExpired)
		return
	}
	if conn.Options.DisableSignup || !conn.EnabledFor(fs.client.ClientID) || h.passkeySignupAction(conn, "") == "" {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgSignupDisabled))
		return
	}
	var user *domain.User
	queued := false
	_, err = h.webauthn.FinishRegistration(ctx, txBinding(fs.tx.ID), domain.MethodPasskey, "",
		[]byte(r.PostForm.Get("credential")), "", r.UserAgent(), func(c *domain.WebAuthnCredential, a mfa.Account) error {
			user = &domain.User{UserID: a.ID, Email: a.Name, Connection: conn.Name}
			domain.ApplyUserDefaults(user)
			if err := user.Validate(); err != nil {
				return err
			}
			if refused := h.signupAttackChecks(ctx, r, fs.client, user, ""); refused != nil {
				if refused.retryAfter > 0 {
					w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
				}
				return &signupRefused{refused}
			}
			return h.store.WithTx(ctx, func(tx store.Store) error {
				if err := tx.CreateUser(ctx, user); err != nil {
					return err
				}
				if err := tx.CreateWebAuthnCredential(ctx, c); err != nil {
					return err
				}
				if h.signupMail == nil {
					return nil
				}
				var err error
				queued, err = h.signupMail(ctx, tx, user, fs.client)
				return err
			})
		})
	var refused *signupRefused
	switch {
	case errors.As(err, &refused):
		signupPage(refused.status, user.Email, refused.message)
		return
	case errors.Is(err, store.ErrConflict) || domain.ErrorCode(err) == domain.CodeConflict || errors.Is(err, mfa.ErrAlreadyRegistered):
		email := ""
		if user != nil {
			email = user.Email
		}
		h.record(r, audit.TypeSignupFailed, "user already exists", fs.client, &domain.User{Email: email})
		signupPage(http.StatusBadRequest, email, MsgSignupFailed)
		return
	}
	if msg, ok := webauthnRefusal(err); ok {
		h.logger.InfoContext(ctx, "passkey signup refused", "err", err)
		h.record(r, audit.TypeSignupFailed, "Passkey not created: "+msg, fs.client, nil)
		signupPage(http.StatusBadRequest, "", "Your passkey could not be created. Please try again.")
		return
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("passkey signup: %w", err))
		return
	}
	if queued {
		h.kickMail()
	}
	h.record(r, audit.TypeSignup, "Successful signup", fs.client, user)
	cred, err := h.webauthn.Credentials(ctx, user.UserID, domain.MethodPasskey)
	if err != nil || len(cred) == 0 {
		h.internalError(w, r, fmt.Errorf("passkey signup: credential: %w", err))
		return
	}
	h.authenticatedWith(w, r, fs, user, passkeyMethods(cred[0]))
}

// signupRefused carries attack protection's refusal out of the registration's create callback.
type signupRefused struct{ *signupRefusal }

func (e *signupRefused) Error() string { return "signup refused: " + e.message }

// passkeysCSRF is /u/passkeys' form token: HMAC-SHA256 keyed by the session cookie's secret over
// the session id, so only the browser holding the session can post it.
func (h *Handler) passkeysCSRF(r *http.Request, sess *domain.Session) string {
	c, err := r.Cookie(h.sessions.CookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(c.Value))
	m.Write([]byte("gatehouse passkeys\x00"))
	m.Write([]byte(sess.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// passkeysPage is GET /u/passkeys: the signed-in user's passkeys, and a button to add one.
func (h *Handler) passkeysPage(w http.ResponseWriter, r *http.Request) {
	h.renderPasskeys(w, r, http.StatusOK, "", "")
}

func (h *Handler) renderPasskeys(w http.ResponseWriter, r *http.Request, status int, msg, notice string) {
	ctx := r.Context()
	sess, err := h.sessions.Current(ctx, r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if sess == nil || h.webauthn == nil {
		h.errorPage(w, r, notSignedIn())
		return
	}
	user, err := h.store.GetUser(ctx, sess.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	list, err := h.webauthn.Credentials(ctx, user.UserID, domain.MethodPasskey)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	d := web.PasskeysData{Base: h.base(ctx), Email: user.Email, Action: PasskeysPath, CSRF: h.passkeysCSRF(r, sess), Error: msg, Notice: notice}
	for _, c := range list {
		d.Passkeys = append(d.Passkeys, web.PasskeyItem{Name: c.Name, CreatedAt: c.CreatedAt, LastUsed: c.LastAuthAt})
	}
	if conn, err := h.databaseConnection(ctx); err == nil && conn.Options.PasskeysEnabled() && user.Connection == conn.Name {
		opts, err := h.webauthn.BeginRegistration(ctx, "session:"+sess.ID, domain.MethodPasskey, mfa.AccountOf(user))
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		d.Options = string(opts)
	}
	h.render(ctx, w, status, web.PagePasskeys, d)
}

// passkeysSubmit is POST /u/passkeys: the new passkey is verified and added to the signed-in user.
func (h *Handler) passkeysSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, badRequest("The form could not be read."))
		return
	}
	sess, err := h.sessions.Current(ctx, r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if sess == nil || h.webauthn == nil {
		h.errorPage(w, r, notSignedIn())
		return
	}
	want := h.passkeysCSRF(r, sess)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(r.PostForm.Get("csrf"))) != 1 {
		h.renderPasskeys(w, r, http.StatusForbidden, MsgFormExpired, "")
		return
	}
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	user, err := h.store.GetUser(ctx, sess.UserID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !conn.Options.PasskeysEnabled() || user.Connection != conn.Name {
		h.renderPasskeys(w, r, http.StatusForbidden, "Passkeys are not enabled for your account.", "")
		return
	}
	reg, err := h.webauthn.FinishRegistration(ctx, "session:"+sess.ID, domain.MethodPasskey, user.UserID,
		[]byte(r.PostForm.Get("credential")), "", r.UserAgent(), nil)
	if msg, ok := webauthnRefusal(err); ok {
		h.logger.InfoContext(ctx, "passkey not added", "err", err)
		if msg == MsgWebAuthnFailed {
			msg = "Your passkey could not be verified. Please try again."
		}
		h.renderPasskeys(w, r, http.StatusBadRequest, msg, "")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.record(r, audit.TypeMFAEnrollmentComplete, "Passkey added ("+reg.Credential.ID+")", nil, user)
	h.renderPasskeys(w, r, http.StatusOK, "", "Your passkey was added.")
}

// notSignedIn is /u/passkeys without a session.
func notSignedIn() *protocol.Error {
	return &protocol.Error{Status: http.StatusUnauthorized, Heading: "You are not signed in.",
		Description: "Sign in to the application first, then come back to manage your passkeys."}
}
