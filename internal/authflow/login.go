package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// Messages shown on the hosted forms.
const (
	// MsgWrongCredentials is the one answer for an unknown email and a wrong password alike, as Auth0
	// gives it, so the form does not tell which emails are registered. The password grant gives the
	// same answer.
	MsgWrongCredentials = guard.MsgWrongCredentials
	// MsgBlocked is shown while brute-force protection blocks this user from this address.
	MsgBlocked = guard.MsgBlocked
	// MsgSignupFailed is shown when the email is already registered. It is New Universal Login's
	// generic text rather than Auth0's older "The user already exists.", which would confirm to anyone
	// that an address has an account.
	MsgSignupFailed = "Something went wrong, please try again later."
	// MsgFormExpired is shown when the CSRF token is missing or wrong; nothing else is checked.
	MsgFormExpired = "Your form has expired or was not sent from this page. Please try again."
	// MsgBusy is shown when password hashing is at its memory budget (503 with Retry-After).
	MsgBusy          = "We are receiving too many sign-in requests. Please try again in a moment."
	msgMissingFields = "Please enter your email address and password."
	msgInvalidEmail  = "Please enter a valid email address."
)

// maxFormBytes bounds the hosted forms' bodies (two short fields and two tokens).
const maxFormBytes = 16 << 10

// flowState is a transaction loaded for a hosted page, with the proof that this browser started it.
type flowState struct {
	tx     *domain.LoginTransaction
	client *domain.Client
	secret string // the browser's binding secret
}

// loadTx finds the transaction named by state and checks that it is live and was started by this
// browser; otherwise it answers with the "no longer valid" page and returns nil.
func (h *Handler) loadTx(w http.ResponseWriter, r *http.Request, state string) *flowState {
	ctx := r.Context()
	if state == "" || len(state) > 128 {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	tx, err := h.store.GetTransaction(ctx, state)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("login: transaction: %w", err))
		return nil
	}
	if !h.now().Before(tx.ExpiresAt) || tx.PasswordReset != nil {
		// A password reset's continuation is no sign-in, whoever holds its cookie.
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	secret, ok := h.boundTo(tx, r)
	if !ok {
		h.logger.InfoContext(ctx, "login transaction used from another browser")
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	client, err := h.store.GetClient(ctx, tx.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, staleTransaction())
		return nil
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("login: client: %w", err))
		return nil
	}
	*r = *r.WithContext(httpserver.WithClientID(ctx, client.ClientID))
	httpserver.SetFormPageCSP(w, tx.RedirectURI, h.providerTargets(ctx, client)...)
	return &flowState{tx: tx, client: client, secret: secret}
}

// loadPostedTx reads a posted form and loads the transaction it names, answering the request itself
// (and returning nil) when either fails.
func (h *Handler) loadPostedTx(w http.ResponseWriter, r *http.Request) *flowState {
	state, ok := parseForm(w, r)
	if !ok {
		h.errorPage(w, r, badRequest("The form could not be read."))
		return nil
	}
	return h.loadTx(w, r, state)
}

// parseForm reads a bounded form body and returns the transaction id it names.
func parseForm(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	state := r.PostForm.Get("state")
	if state == "" {
		state = r.URL.Query().Get("state")
	}
	return state, true
}

func (h *Handler) loginData(r *http.Request, fs *flowState, username, msg string) web.LoginData {
	q := "?state=" + url.QueryEscape(fs.tx.ID)
	org := h.organizationView(r.Context(), fs.tx)
	d := web.LoginData{
		Base: h.pageBase(r.Context(), org), ClientName: fs.client.Name, Action: LoginPath + q, State: fs.tx.ID,
		CSRF: csrfToken(fs.secret, fs.tx.ID), Username: username, Error: msg, SignupURL: SignupPath + q,
		ForgotURL: domain.ResetPasswordPath + q, UpstreamAction: UpstreamPath + q,
		Providers: h.providerButtons(r.Context(), fs.client),
	}
	if conn, err := h.databaseConnection(r.Context()); err == nil {
		if conn.Options.DisableSignup || !conn.EnabledFor(fs.client.ClientID) {
			d.SignupURL = "" // no link to a form that would refuse
		}
		d.ByUsername = conn.Options.RequiresUsername
		if org != nil {
			// Only the organization's connections: the password form when it enables the
			// database connection, a signup link when it lets people sign up (or they are
			// accepting an invitation), the buttons of the others it enables.
			d.NoPassword = !org.enables(conn.Name)
			if !org.signupAllowed(conn.Name, fs.tx) {
				d.SignupURL = ""
			}
		}
	}
	if org != nil {
		d.Organization = organizationName(org.org)
		d.Providers = org.buttons(d.Providers)
	}
	if !d.NoPassword {
		d.Passkey = h.passkeyLogin(r, fs) // a passkey is the database connection's
	}
	return d
}

// signupData fills the signup page; policy and rep (the refused password's report, or nil) list
// the connection's password rules.
func (h *Handler) signupData(r *http.Request, fs *flowState, conn *domain.Connection, email, username, msg string, rep *passwordpolicy.Report) web.SignupData {
	q := "?state=" + url.QueryEscape(fs.tx.ID)
	policy := passwordpolicy.New(conn.Options)
	return web.SignupData{
		Base: h.pageBase(r.Context(), h.organizationView(r.Context(), fs.tx)), ClientName: fs.client.Name, Action: SignupPath + q, State: fs.tx.ID,
		CSRF: csrfToken(fs.secret, fs.tx.ID), Email: email, Username: username, AskUsername: conn.Options.RequiresUsername, Error: msg,
		PasswordPolicy: "Your password must meet these rules:", PolicyRules: policyRules(policy, rep), LoginURL: LoginPath + q,
		PasskeyAction: h.passkeySignupAction(conn, q),
	}
}

// loginPage is GET /u/login?state=<transaction id>.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	fs := h.loadTx(w, r, r.URL.Query().Get("state"))
	if fs == nil {
		return
	}
	h.render(r.Context(), w, http.StatusOK, web.PageLogin, h.loginData(r, fs, fs.tx.LoginHint, ""))
}

// loginSubmit is POST /u/login: the password step. On success it starts a new SSO session, records
// the authentication in the transaction and returns to the dispatcher.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	username := strings.TrimSpace(r.PostForm.Get("username"))
	pw := r.PostForm.Get("password")
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, username, MsgFormExpired))
		return
	}
	if h.homeRealm(w, r, fs, username) { // the email's domain belongs to an enterprise connection
		return
	}
	if username == "" || pw == "" {
		h.render(ctx, w, http.StatusBadRequest, web.PageLogin, h.loginData(r, fs, username, msgMissingFields))
		return
	}
	email := domain.NormalizeEmail(username)
	ip := httpserver.ClientIP(r.Context()).String()
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("login: %w", err))
		return
	}
	if !conn.EnabledFor(fs.client.ClientID) {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, username, MsgConnectionDisabled))
		return
	}
	if org := h.organizationView(ctx, fs.tx); org != nil && !org.enables(conn.Name) {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, username, MsgOrganizationNoPassword))
		return
	}
	bruteForce := h.guardFor(conn)

	// Suspicious IP throttling first: an address over its bucket is refused before anything about
	// the account is looked at. It fails open; brute-force protection, below, fails closed.
	throttle, err := h.throttle.Attempt(ctx, guard.PreLogin, ip)
	if err != nil {
		h.logger.WarnContext(ctx, "suspicious IP throttling not counted", "err", err)
	}
	if throttle.Throttled {
		if throttle.Logs {
			h.record(r, audit.TypeBlockedIP, "Suspicious IP throttling: too many failed logins from this address", fs.client, &domain.User{Email: email})
		}
		if !throttle.Allowed {
			h.metrics.SignIn(metrics.SignInBlocked)
			w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfter))
			h.render(ctx, w, http.StatusTooManyRequests, web.PageLogin, h.loginData(r, fs, username, guard.MsgSuspiciousIP))
			return
		}
	}
	// The attempt is counted before any password check, known user or not: a blocked pair is refused
	// without revealing anything about the account, and concurrent attempts on any node cannot
	// slip past the threshold while their passwords are being checked.
	attempt, err := bruteForce.Attempt(ctx, ip, email)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("login: %w", err))
		return
	}
	if !attempt.Allowed {
		h.metrics.SignIn(metrics.SignInBlocked)
		h.record(r, audit.TypeBlockedAccount, MsgBlocked, fs.client, &domain.User{Email: email})
		w.Header().Set("Retry-After", strconv.Itoa(int(attempt.RetryAfter/time.Second)))
		h.render(ctx, w, http.StatusTooManyRequests, web.PageLogin, h.loginData(r, fs, username, MsgBlocked))
		return
	}
	login, err := store.FindDatabaseLogin(ctx, h.store, conn, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.internalError(w, r, fmt.Errorf("login: user: %w", err))
		return
	}
	if login == nil || login.PasswordHash == "" {
		// Same cost as a real verification, so response time does not reveal unknown emails; and
		// the same refusal when hashing is at capacity.
		if err := h.hasher.Dummy(pw); err != nil {
			h.giveBack(ctx, bruteForce, throttle, ip, email)
			h.busy(w, r, fs, username)
			return
		}
		h.metrics.SignIn(metrics.SignInUnknownUser)
		h.record(r, audit.TypeUnknownUser, MsgWrongCredentials, fs.client, &domain.User{Email: email})
		h.failedAttempt(r, fs, bruteForce, attempt, email)
		h.render(ctx, w, http.StatusBadRequest, web.PageLogin, h.loginData(r, fs, username, MsgWrongCredentials))
		return
	}
	user := login.User // a linked account's password signs in as its primary user
	needsRehash, err := h.hasher.Verify(login.PasswordHash, pw)
	if errors.Is(err, password.ErrBusy) {
		h.giveBack(ctx, bruteForce, throttle, ip, email)
		h.busy(w, r, fs, username)
		return
	}
	if err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			h.logger.ErrorContext(ctx, "stored password hash unusable", "user_id", user.UserID, "err", err)
		}
		h.metrics.SignIn(metrics.SignInWrongPassword)
		h.record(r, audit.TypeWrongPassword, MsgWrongCredentials, fs.client, user)
		h.failedAttempt(r, fs, bruteForce, attempt, email)
		if bruteForce.Blocks(attempt) && attempt.Notify {
			h.notify(ctx, user, "blocked", ip)
		}
		h.render(ctx, w, http.StatusBadRequest, web.PageLogin, h.loginData(r, fs, username, MsgWrongCredentials))
		return
	}
	if user.Blocked {
		h.metrics.SignIn(metrics.SignInUserBlocked)
	} else {
		h.metrics.SignIn(metrics.SignInSuccess)
	}
	if err := bruteForce.Succeeded(ctx, ip, email); err != nil {
		// The sign-in stands; the count it should have cleared expires on its own.
		h.logger.WarnContext(ctx, "brute-force count not cleared", "err", err)
	}
	if err := h.throttle.Succeeded(ctx, guard.PreLogin, ip, throttle); err != nil {
		h.logger.WarnContext(ctx, "suspicious IP throttling attempt not given back", "err", err)
	}
	// Breached password detection, once the password is known to be the user's (a blocked user
	// is told so by the steps that follow, as before).
	if !user.Blocked {
		if rate, err := bruteForce.SignedIn(ctx, ip, email); err != nil {
			h.logger.WarnContext(ctx, "sign-in rate not counted", "err", err)
		} else if !rate.Allowed {
			if rate.Logs {
				h.record(r, audit.TypeTooManyLogins, "Too many sign-ins for this account from this address", fs.client, user)
			}
			w.Header().Set("Retry-After", strconv.Itoa(rate.RetryAfter))
			h.render(ctx, w, http.StatusTooManyRequests, web.PageLogin, h.loginData(r, fs, username, guard.MsgTooManyLogins))
			return
		}
		if leak, err := h.policy.BreachedAt(ctx, "", pw); err != nil {
			h.logger.WarnContext(ctx, "breached password detection not checked", "err", err)
		} else if leak.Detected {
			h.record(r, audit.TypePasswordLeaked, "Breached password used at sign-in", fs.client, user)
			if leak.Notify {
				h.notify(ctx, user, "breached", ip)
			}
			if leak.Block {
				h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, username, guard.MsgPasswordLeaked))
				return
			}
		}
	}
	if needsRehash {
		// Imported bcrypt hashes and argon2id hashes below the current cost are upgraded now, the
		// only moment the clear password is at hand.
		if hash, err := h.hasher.Hash(pw); err != nil {
			h.logger.ErrorContext(ctx, "password rehash failed", "err", err)
		} else if err := login.SavePasswordHash(ctx, h.store, hash); err != nil {
			h.logger.ErrorContext(ctx, "upgraded password hash not saved", "err", err)
		}
	}
	h.authenticated(w, r, fs, user)
}

// busy answers a sign-in that password hashing had no memory left for: 503 with Retry-After, the
// form kept. The attempt stays counted against brute-force protection: a flood gains nothing.
func (h *Handler) busy(w http.ResponseWriter, r *http.Request, fs *flowState, username string) {
	h.metrics.SignIn(metrics.SignInBusy)
	w.Header().Set("Retry-After", "1")
	h.render(r.Context(), w, http.StatusServiceUnavailable, web.PageLogin, h.loginData(r, fs, username, MsgBusy))
}

// giveBack uncounts an attempt whose password was never checked (hashing at its memory budget)
// from brute-force protection and suspicious IP throttling: only checked failures count.
func (h *Handler) giveBack(ctx context.Context, bruteForce *guard.BruteForce, throttle guard.Verdict, ip, email string) {
	if err := bruteForce.GiveBack(ctx, ip, email); err != nil {
		h.logger.WarnContext(ctx, "brute-force attempt not given back", "err", err)
	}
	if err := h.throttle.Succeeded(ctx, guard.PreLogin, ip, throttle); err != nil {
		h.logger.WarnContext(ctx, "suspicious IP throttling attempt not given back", "err", err)
	}
}

// failedAttempt logs the block a failed password starts, if it is the last one allowed.
func (h *Handler) failedAttempt(r *http.Request, fs *flowState, bruteForce *guard.BruteForce, attempt guard.Attempt, email string) {
	if bruteForce.Blocks(attempt) {
		h.record(r, audit.TypeBlockedAccount, "Too many consecutive failed logins: blocked for this IP address", fs.client, &domain.User{Email: email})
	}
}

// authenticated is the end of a sign-in step: a new session (never the old id), the login recorded,
// the transaction updated with who authenticated and when, and back to the dispatcher.
func (h *Handler) authenticated(w http.ResponseWriter, r *http.Request, fs *flowState, user *domain.User) {
	h.authenticatedWith(w, r, fs, user, nil)
}

// authenticatedWith is authenticated for a first factor that is also a second one (a passkey):
// methods, when given, are recorded on the new session as a passed factor before dispatch.
func (h *Handler) authenticatedWith(w http.ResponseWriter, r *http.Request, fs *flowState, user *domain.User, methods []string) {
	ctx := r.Context()
	now := h.now().UTC()
	if methods != nil {
		// The factor's record keeps microseconds; the session's time must not be later than it.
		now = now.Truncate(time.Microsecond)
	}
	ip := httpserver.ClientIP(r.Context()).String()
	if err := h.store.RecordLogin(ctx, user.UserID, ip, now); err != nil {
		h.logger.WarnContext(ctx, "login not recorded on the user", "err", err)
	}
	sess, err := h.sessions.Start(ctx, w, r, session.StartParams{
		UserID: user.UserID, ClientID: fs.client.ClientID, IP: ip, UserAgent: r.UserAgent(), AuthenticatedAt: now,
		SAML: fs.tx.SAMLSession,
	})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if methods != nil {
		if err := h.store.SetSessionMFA(ctx, &domain.SessionMFA{SessionID: sess.ID, Methods: methods, At: now}); err != nil {
			h.internalError(w, r, fmt.Errorf("login: record passkey on session: %w", err))
			return
		}
	}
	fs.tx.UserID = user.UserID
	fs.tx.AuthTime = &now
	if err := h.store.UpdateTransaction(ctx, fs.tx); err != nil {
		h.internalError(w, r, fmt.Errorf("login: update transaction: %w", err))
		return
	}
	h.dispatch(w, r, &flow{client: fs.client, tx: fs.tx, stored: true, sess: sess})
}

// signupPage is GET /u/signup?state=<transaction id>.
func (h *Handler) signupPage(w http.ResponseWriter, r *http.Request) {
	fs := h.loadTx(w, r, r.URL.Query().Get("state"))
	if fs == nil {
		return
	}
	ctx := r.Context()
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if conn.Options.DisableSignup || !conn.EnabledFor(fs.client.ClientID) {
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgSignupDisabled))
		return
	}
	email := ""
	if strings.Contains(fs.tx.LoginHint, "@") {
		email = fs.tx.LoginHint
	}
	h.render(ctx, w, http.StatusOK, web.PageSignup, h.signupData(r, fs, conn, email, "", "", nil))
}

// signupSubmit is POST /u/signup: create a database user under the connection's rules (signup
// allowed, username when required, the password policy), then sign them in.
func (h *Handler) signupSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	rawEmail := strings.TrimSpace(r.PostForm.Get("email"))
	username := strings.TrimSpace(r.PostForm.Get("username"))
	pw := r.PostForm.Get("password")
	conn, err := h.databaseConnection(ctx)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	page := func(status int, msg string, rep *passwordpolicy.Report) {
		h.render(ctx, w, status, web.PageSignup, h.signupData(r, fs, conn, rawEmail, username, msg, rep))
	}
	if !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		page(http.StatusForbidden, MsgFormExpired, nil)
		return
	}
	if conn.Options.DisableSignup || !conn.EnabledFor(fs.client.ClientID) {
		h.record(r, audit.TypeSignupFailed, "signup disabled", fs.client, &domain.User{Email: domain.NormalizeEmail(rawEmail)})
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgSignupDisabled))
		return
	}
	if org := h.organizationView(ctx, fs.tx); org != nil && !org.signupAllowed(conn.Name, fs.tx) {
		h.record(r, audit.TypeSignupFailed, "signup disabled for the organization", fs.client, &domain.User{Email: domain.NormalizeEmail(rawEmail)})
		h.render(ctx, w, http.StatusForbidden, web.PageLogin, h.loginData(r, fs, "", MsgSignupDisabled))
		return
	}
	if rawEmail == "" || pw == "" {
		page(http.StatusBadRequest, msgMissingFields, nil)
		return
	}
	if conn.Options.RequiresUsername && username == "" {
		page(http.StatusBadRequest, msgUsernameRequired, nil)
		return
	}
	if !conn.Options.RequiresUsername {
		username = "" // the form offers no username field; a posted one is ignored
	}
	user := &domain.User{UserID: domain.NewUserID(), Email: rawEmail, Username: username, Connection: conn.Name}
	domain.ApplyUserDefaults(user)
	if err := user.Validate(); err != nil {
		h.record(r, audit.TypeSignupFailed, "invalid email", fs.client, &domain.User{Email: user.Email})
		msg := msgInvalidEmail
		if username != "" && strings.Contains(err.Error(), "username") {
			msg = "Usernames have at most 128 characters, without spaces or @."
		}
		page(http.StatusBadRequest, msg, nil)
		return
	}
	policy := passwordpolicy.New(conn.Options)
	if v := policy.Check(pw, user); v != nil {
		h.record(r, audit.TypeSignupFailed, v.Error(), fs.client, user)
		page(http.StatusBadRequest, v.PageMessage(), v.Report)
		return
	}
	if refused := h.signupAttackChecks(ctx, r, fs.client, user, pw); refused != nil {
		if refused.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(refused.retryAfter))
		}
		page(refused.status, refused.message, nil)
		return
	}
	if refused, err := h.preUserRegistration(ctx, r, fs.client, user); err != nil {
		h.internalError(w, r, err)
		return
	} else if refused != nil {
		page(refused.status, refused.message, nil)
		return
	}
	hash, err := h.hasher.Hash(pw)
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		page(http.StatusServiceUnavailable, MsgBusy, nil)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	user.PasswordHash = hash
	queued, err := h.createSignedUpUser(ctx, user, policy, fs.client)
	if err != nil {
		if errors.Is(err, store.ErrConflict) || domain.ErrorCode(err) == domain.CodeConflict {
			h.record(r, audit.TypeSignupFailed, "user already exists", fs.client, user)
			page(http.StatusBadRequest, MsgSignupFailed, nil)
			return
		}
		h.internalError(w, r, fmt.Errorf("signup: create user: %w", err))
		return
	}
	if queued {
		h.kickMail()
	}
	h.record(r, audit.TypeSignup, "Successful signup", fs.client, user)
	h.postUserRegistration(ctx, r, fs.client, user)
	h.authenticated(w, r, fs, user)
}

// sentence upper-cases the first letter of a domain message for display.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
