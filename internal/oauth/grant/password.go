package grant

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// Password is the resource owner password grant (RFC 6749 §4.3) as Auth0 has it (spec §1.3): with
// Realm false it is `password`, checked against the connection an optional `realm` names, else the
// tenant's default directory; with Realm true it is Auth0's extension grant
// `http://auth0.com/oauth/grant-type/password-realm`, checked against the connection `realm` must
// name. Only a client that lists the grant, and that the connection is enabled for, may use it.
//
// The password is checked exactly as /u/login checks it: the same brute-force protection (one
// counter for both), the same answer for an unknown email and a wrong password, the same cost for
// both, and a blocked user told so only once the password was right. Post-login Actions run, and
// scopes follow the rule of the code flow (protocol.ResolveScopes), so a token obtained with a
// password carries no more than one obtained in the browser.
type Password struct {
	Deps  *Deps
	Realm bool
}

// Type implements Grant.
func (g Password) Type() string {
	if g.Realm {
		return domain.GrantPasswordRealm
	}
	return domain.GrantPassword
}

// LogTypes implements Grant.
func (Password) LogTypes() (string, string) {
	return audit.TypePasswordExchange, audit.TypePasswordExchangeFail
}

// Auth0's answers to the password grants (spec §1.3).
const (
	descNoDefaultDirectory = "Authorization server not configured with default connection."
	descUnknownRealm       = "Unknown realm."
	// descNoPasswords: the realm (or default directory) is a connection that keeps no passwords, a
	// social or enterprise one.
	descNoPasswords = "specified strategy does not support requested operation"
	// descConnectionNotEnabled: the connection does not list the client in its enabled clients.
	descConnectionNotEnabled = "The connection is not enabled for this client."
)

// wrongCredentials is the one answer for an unknown user and a wrong password: 403 invalid_grant.
// hashingBusy is the answer while password hashing is at its memory budget (password.ErrBusy), as
// /u/login gives it: 503 with Retry-After and no tenant-log event. No password was checked, so the
// attempt is given back to brute-force protection and suspicious IP throttling.
func (d *Deps) hashingBusy(ctx context.Context, bf *guard.BruteForce, throttle guard.Verdict, ip, email string) *protocol.Error {
	if err := bf.GiveBack(ctx, ip, email); err != nil {
		d.logger().WarnContext(ctx, "brute-force attempt not given back", "err", err)
	}
	if err := d.Throttle.Succeeded(ctx, guard.PreLogin, ip, throttle); err != nil {
		d.logger().WarnContext(ctx, "suspicious IP throttling attempt not given back", "err", err)
	}
	e := protocol.NewError(http.StatusServiceUnavailable, "temporarily_unavailable", "Too many sign-ins are being checked right now. Try again in a moment.")
	e.RetryAfter, e.Quiet = 1, true
	return e
}

func wrongCredentials(logType, userID string) *protocol.Error {
	e := protocol.NewError(http.StatusForbidden, "invalid_grant", guard.MsgWrongCredentials)
	e.LogType, e.UserID = logType, userID
	return e
}

// Exchange implements Grant.
func (g Password) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d, c := g.Deps, req.Client
	// A third-party client cannot list the grant (domain.FirstPartyOnly); one stored before the rule
	// is refused here all the same.
	if !c.HasGrant(g.Type()) || !c.IsFirstParty {
		return nil, protocol.UnauthorizedClient(g.Type())
	}
	// Everything that does not depend on the credentials is checked first: a malformed request
	// neither costs a password hash nor counts as a failed attempt.
	if req.Username == "" {
		return nil, protocol.MissingParameter("username")
	}
	if req.Password == "" {
		return nil, protocol.MissingParameter("password")
	}
	conn, err := g.connection(ctx, req)
	if err != nil {
		return nil, err
	}
	if !conn.EnabledFor(c.ClientID) {
		return nil, protocol.NewError(http.StatusForbidden, "unauthorized_client", descConnectionNotEnabled)
	}
	connection := conn.Name
	api, err := d.audienceAPI(ctx, req.Audience)
	if err != nil {
		return nil, err
	}
	ip := endUserIP(req)
	user, err := g.authenticate(ctx, conn, req.Username, req.Password, ip)
	if err != nil {
		return nil, err
	}
	now := d.now().UTC()
	if err := d.Store.RecordLogin(ctx, user.UserID, ip, now); err != nil {
		d.logger().WarnContext(ctx, "login not recorded on the user", "err", err)
	}
	return d.userSignIn(ctx, req, signIn{user: user, connection: connection, api: api, scope: req.Scope, ip: ip,
		methods: []trigger.AuthMethod{{Name: "pwd", Timestamp: now}}, now: now})
}

// signIn is a user's sign-in at the token endpoint once their credentials are proved: by the
// password grants, or by an MFA grant completing one of them.
type signIn struct {
	user       *domain.User
	connection string
	api        *domain.ResourceServer
	scope      string
	ip         string
	methods    []trigger.AuthMethod
	// amr is set when the sign-in passed a second factor: the ID token's amr (and acr).
	amr []string
	now time.Time
}

// userSignIn runs the post-login Actions, asks for a second factor when the tenant's policy or an
// Action wants one (403 mfa_required with an mfa_token, unless this sign-in passed one), and
// issues the tokens: scopes follow the rule of the code flow (protocol.ResolveScopes).
func (d *Deps) userSignIn(ctx context.Context, req *protocol.TokenRequest, s signIn) (*Response, error) {
	c, user, api := req.Client, s.user, s.api
	requested := Fields(s.scope)
	scopes, err := d.userScopes(ctx, d.Store, c.ClientID, user.UserID, nil, requested, api)
	if err != nil {
		return nil, err
	}
	tk := trigger.Tokens{Scopes: scopes.Scopes, MayAdd: func(sc string) bool { return protocol.ActionMayAdd(api, sc) }}
	ev := trigger.PostLogin{
		Source: trigger.Password, Client: c, User: user, Connection: s.connection,
		RequestedScopes: requested, GrantedScopes: scopes.Scopes, Methods: s.methods,
		Request: trigger.Request{IP: s.ip, Method: http.MethodPost, UserAgent: req.UserAgent},
	}
	if e := d.postLogin(ctx, ev, api, &tk); e != nil {
		return nil, e
	}
	if len(s.amr) == 0 {
		if e := d.mfaRequired(ctx, &tk, c, user, s); e != nil {
			e.UserID = user.UserID
			return nil, e
		}
	}
	scopes.Scopes = tk.Scopes

	refresh, err := d.newFamily(ctx, c, user.UserID, "", api, &scopes, s.now,
		domain.RefreshContext{IDTokenClaims: tk.IDTokenClaims, AccessTokenClaims: tk.AccessTokenClaims, ActionScopes: tk.ActionScopes, AMR: s.amr}, req.DPoPJKT)
	if err != nil {
		return nil, err
	}
	res, err := d.issue(ctx, userTokens{
		client: c, user: user, api: api, scopes: scopes, idScope: scopes.Scope(),
		idToken: contains(scopes.Scopes, "openid"), authTime: s.now, gty: token.GTYPassword,
		idClaims: tk.IDTokenClaims, atClaims: tk.AccessTokenClaims, jkt: req.DPoPJKT, executions: tk.Executions, amr: s.amr,
	})
	if err != nil {
		return nil, err
	}
	res.RefreshToken = refresh
	return res, nil
}

// endUserIP is the address brute-force protection counts against: the request's, or, for a
// confidential client trusted to send it (is_token_endpoint_ip_header_trusted), the end user's
// address in auth0-forwarded-for, as Auth0 reads it (spec §1.3). A malformed header is ignored.
func endUserIP(req *protocol.TokenRequest) string {
	c := req.Client
	if req.ForwardedFor == "" || !c.IsTokenEndpointIPHeaderTrusted || !c.IsConfidential() {
		return req.IP
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(req.ForwardedFor))
	if err != nil {
		return req.IP
	}
	return addr.Unmap().String()
}

// connection is the database connection that checks the password: the one `realm` names, which the
// realm grant requires and `password` takes too (Auth0's own SDK, auth0-auth-js, sends `password`
// with a realm to pick a connection other than the default directory); else the tenant's default
// directory.
func (g Password) connection(ctx context.Context, req *protocol.TokenRequest) (*domain.Connection, error) {
	name := req.Realm
	if name == "" {
		if g.Realm {
			return nil, protocol.MissingParameter("realm")
		}
		ts, err := g.Deps.Config.TenantSettings(ctx)
		if err != nil {
			return nil, protocol.ServerError(err)
		}
		name = ts.DefaultDirectory
	}
	conn, err := g.Deps.Store.GetConnectionByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound) && req.Realm != "":
		return nil, protocol.InvalidRequest(descUnknownRealm)
	case errors.Is(err, store.ErrNotFound):
		// A tenant setting, not the caller's fault: Auth0's words for it, and no internal cause to hide.
		return nil, protocol.NewError(http.StatusInternalServerError, "server_error", descNoDefaultDirectory)
	case err != nil:
		return nil, protocol.ServerError(err)
	}
	if conn.Strategy != domain.StrategyAuth0 {
		// Refused before any password is looked at: such a connection's users have none here, so
		// every attempt would be a wrong password counted against them.
		return nil, protocol.InvalidRequest(descNoPasswords)
	}
	return conn, nil
}

// authenticate checks username and password against connection as /u/login does and returns the user,
// or the error to answer. Failures count toward brute-force protection for (ip, email).
func (g Password) authenticate(ctx context.Context, conn *domain.Connection, username, pw, ip string) (*domain.User, error) {
	d := g.Deps
	email := domain.NormalizeEmail(username)
	bruteForce := d.BruteForce
	if !conn.Options.BruteForceProtection {
		bruteForce = nil // the connection turned it off (brute_force_protection: false)
	}
	// Suspicious IP throttling first: an address over its bucket is refused before anything about
	// the account is looked at. It fails open (it protects capacity; brute-force protection,
	// below, fails closed).
	throttle, err := d.Throttle.Attempt(ctx, guard.PreLogin, ip)
	if err != nil {
		d.logger().WarnContext(ctx, "suspicious IP throttling not counted", "err", err)
	}
	if throttle.Throttled {
		if !throttle.Allowed {
			e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", guard.MsgSuspiciousIP)
			e.RetryAfter = throttle.RetryAfter
			if throttle.Logs {
				e.LogType = audit.TypeBlockedIP
			}
			return nil, e
		}
		if throttle.Logs {
			d.record(ctx, audit.TypeBlockedIP, "Suspicious IP throttling: too many failed logins from this address (not blocked)", ip, email, "")
		}
	}
	// A blocked pair is refused before any password check, known user or not, so the answer reveals
	// nothing about the account. The attempt is counted before the password is checked, so
	// concurrent attempts on any node cannot slip past the threshold while their passwords are
	// being checked.
	attempt, err := bruteForce.Attempt(ctx, ip, email)
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if !attempt.Allowed {
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", guard.MsgBlocked)
		e.LogType = audit.TypeBlockedAccount
		e.RetryAfter = int(attempt.RetryAfter / time.Second)
		return nil, e
	}
	// A connection that requires usernames signs in by username too (Auth0 accepts either); a
	// linked database account's password signs in as its primary user.
	login, err := store.FindDatabaseLogin(ctx, d.Store, conn, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, protocol.ServerError(err)
	}
	if login == nil || login.PasswordHash == "" {
		// Same cost as a real verification, so response time does not reveal unknown emails; and
		// the same refusal when hashing is at capacity.
		if err := d.Hasher.Dummy(pw); errors.Is(err, password.ErrBusy) {
			return nil, d.hashingBusy(ctx, bruteForce, throttle, ip, email)
		}
		return nil, g.failed(attempt, wrongCredentials(audit.TypeUnknownUser, ""))
	}
	user := login.User
	needsRehash, err := d.Hasher.Verify(login.PasswordHash, pw)
	if errors.Is(err, password.ErrBusy) {
		return nil, d.hashingBusy(ctx, bruteForce, throttle, ip, email)
	}
	if err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			d.logger().ErrorContext(ctx, "stored password hash unusable", "user_id", user.UserID, "err", err)
		}
		if bruteForce.Blocks(attempt) && attempt.Notify {
			d.notify(ctx, user, "blocked", ip)
		}
		return nil, g.failed(attempt, wrongCredentials(audit.TypeWrongPassword, user.UserID))
	}
	if err := bruteForce.Succeeded(ctx, ip, email); err != nil {
		// The sign-in stands; the count it should have cleared expires on its own.
		d.logger().WarnContext(ctx, "brute-force count not cleared", "err", err)
	}
	if err := d.Throttle.Succeeded(ctx, guard.PreLogin, ip, throttle); err != nil {
		d.logger().WarnContext(ctx, "suspicious IP throttling attempt not given back", "err", err)
	}
	if user.Blocked {
		// Auth0's answer for a blocked user (401 unauthorized), given only to the right password.
		e := protocol.NewError(http.StatusUnauthorized, "unauthorized", guard.MsgUserBlocked)
		e.LogType, e.UserID = audit.TypeBlockedUser, user.UserID
		return nil, e
	}
	if rate, err := bruteForce.SignedIn(ctx, ip, email); err != nil {
		d.logger().WarnContext(ctx, "sign-in rate not counted", "err", err)
	} else if !rate.Allowed {
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", guard.MsgTooManyLogins)
		e.RetryAfter, e.UserID = rate.RetryAfter, user.UserID
		if rate.Logs {
			e.LogType = audit.TypeTooManyLogins
		}
		return nil, e
	}
	// Breached password detection, once the password is known to be the user's.
	if leak, err := d.Policy.BreachedAt(ctx, "", pw); err != nil {
		d.logger().WarnContext(ctx, "breached password detection not checked", "err", err)
	} else if leak.Block {
		if leak.Notify {
			d.notify(ctx, user, "breached", ip)
		}
		e := protocol.NewError(http.StatusForbidden, "password_leaked", guard.MsgPasswordLeaked)
		e.LogType, e.UserID = audit.TypePasswordLeaked, user.UserID
		return nil, e
	} else if leak.Detected {
		if leak.Notify {
			d.notify(ctx, user, "breached", ip)
		}
		d.record(ctx, audit.TypePasswordLeaked, "Breached password used at sign-in (not blocked)", ip, email, user.UserID)
	}
	if needsRehash {
		// Imported bcrypt hashes and argon2id hashes below the current cost are upgraded now, the
		// only moment the clear password is at hand.
		if hash, err := d.Hasher.Hash(pw); err != nil {
			d.logger().ErrorContext(ctx, "password rehash failed", "err", err)
		} else if err := login.SavePasswordHash(ctx, d.Store, hash); err != nil {
			d.logger().ErrorContext(ctx, "upgraded password hash not saved", "err", err)
		}
	}
	return user, nil
}

// record writes an attack protection event beside the exchange's own.
func (d *Deps) record(ctx context.Context, typ, desc, ip, email, userID string) {
	d.Audit.Record(ctx, domain.LogEvent{Type: typ, Description: desc, IP: ip, UserName: email, UserID: userID})
}

// failed marks the attempt that starts a block (already counted, see Attempt) as the block in the log.
func (g Password) failed(attempt guard.Attempt, e *protocol.Error) *protocol.Error {
	if g.Deps.BruteForce.Blocks(attempt) {
		e.LogType = audit.TypeBlockedAccount
	}
	return e
}
