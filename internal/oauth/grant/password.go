package grant

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

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
// Realm false it is `password`, checked against the tenant's default directory; with Realm true it
// is Auth0's extension grant `http://auth0.com/oauth/grant-type/password-realm`, checked against the
// connection named by `realm`. Only a client that lists the grant may use it.
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
)

// wrongCredentials is the one answer for an unknown user and a wrong password: 403 invalid_grant.
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
	connection, err := g.connection(ctx, req)
	if err != nil {
		return nil, err
	}
	api, err := d.audienceAPI(ctx, req.Audience)
	if err != nil {
		return nil, err
	}
	ip := endUserIP(req)
	user, err := g.authenticate(ctx, connection, req.Username, req.Password, ip)
	if err != nil {
		return nil, err
	}
	now := d.now().UTC()
	if err := d.Store.RecordLogin(ctx, user.UserID, ip, now); err != nil {
		d.logger().WarnContext(ctx, "login not recorded on the user", "err", err)
	}

	requested := Fields(req.Scope)
	scopes, err := d.userScopes(ctx, d.Store, c.ClientID, user.UserID, requested, api)
	if err != nil {
		return nil, err
	}
	tk := trigger.Tokens{Scopes: scopes.Scopes, MayAdd: func(s string) bool { return protocol.ActionMayAdd(api, s) }}
	ev := trigger.PostLogin{
		Source: trigger.Password, Client: c, User: user, Connection: connection,
		RequestedScopes: requested, GrantedScopes: scopes.Scopes,
		Methods: []trigger.AuthMethod{{Name: "pwd", Timestamp: now}},
		Request: trigger.Request{IP: ip, Method: http.MethodPost, UserAgent: req.UserAgent},
	}
	if e := d.postLogin(ctx, ev, api, &tk); e != nil {
		return nil, e
	}
	scopes.Scopes = tk.Scopes

	refresh, err := d.newFamily(ctx, c, user.UserID, "", api, &scopes, now,
		domain.RefreshContext{IDTokenClaims: tk.IDTokenClaims, AccessTokenClaims: tk.AccessTokenClaims, ActionScopes: tk.ActionScopes}, req.DPoPJKT)
	if err != nil {
		return nil, err
	}
	res, err := d.issue(ctx, userTokens{
		client: c, user: user, api: api, scopes: scopes, idScope: scopes.Scope(),
		idToken: contains(scopes.Scopes, "openid"), authTime: now, gty: token.GTYPassword,
		idClaims: tk.IDTokenClaims, atClaims: tk.AccessTokenClaims, jkt: req.DPoPJKT,
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

// connection is the database connection that checks the password: `realm` for the realm grant, the
// tenant's default directory for `password`. Gatehouse has one database connection so far.
func (g Password) connection(ctx context.Context, req *protocol.TokenRequest) (string, error) {
	if g.Realm {
		if req.Realm == "" {
			return "", protocol.MissingParameter("realm")
		}
		if req.Realm != domain.DefaultConnection {
			return "", protocol.InvalidRequest(descUnknownRealm)
		}
		return req.Realm, nil
	}
	ts, err := g.Deps.Config.TenantSettings(ctx)
	if err != nil {
		return "", protocol.ServerError(err)
	}
	if ts.DefaultDirectory != domain.DefaultConnection {
		// A tenant setting, not the caller's fault: Auth0's words for it, and no internal cause to hide.
		return "", protocol.NewError(http.StatusInternalServerError, "server_error", descNoDefaultDirectory)
	}
	return ts.DefaultDirectory, nil
}

// authenticate checks username and password against connection as /u/login does and returns the user,
// or the error to answer. Failures count toward brute-force protection for (ip, email).
func (g Password) authenticate(ctx context.Context, connection, username, pw, ip string) (*domain.User, error) {
	d := g.Deps
	email := domain.NormalizeEmail(username)
	// A blocked pair is refused before any password check, known user or not, so the answer reveals
	// nothing about the account.
	// The attempt is counted before the password is checked, so concurrent attempts on any node
	// cannot slip past the threshold while their passwords are being checked.
	attempt, err := d.BruteForce.Attempt(ctx, ip, email)
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if !attempt.Allowed {
		e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", guard.MsgBlocked)
		e.LogType = audit.TypeBlockedAccount
		return nil, e
	}
	user, err := d.Store.GetUserByEmail(ctx, connection, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, protocol.ServerError(err)
	}
	if user == nil || user.PasswordHash == "" {
		// Same cost as a real verification, so response time does not reveal unknown emails.
		d.Hasher.Dummy(pw)
		return nil, g.failed(attempt, wrongCredentials(audit.TypeUnknownUser, ""))
	}
	needsRehash, err := d.Hasher.Verify(user.PasswordHash, pw)
	if err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			d.logger().ErrorContext(ctx, "stored password hash unusable", "user_id", user.UserID, "err", err)
		}
		return nil, g.failed(attempt, wrongCredentials(audit.TypeWrongPassword, user.UserID))
	}
	if err := d.BruteForce.Succeeded(ctx, ip, email); err != nil {
		// The sign-in stands; the count it should have cleared expires on its own.
		d.logger().WarnContext(ctx, "brute-force count not cleared", "err", err)
	}
	if user.Blocked {
		// Auth0's answer for a blocked user (401 unauthorized), given only to the right password.
		e := protocol.NewError(http.StatusUnauthorized, "unauthorized", guard.MsgUserBlocked)
		e.LogType, e.UserID = audit.TypeBlockedUser, user.UserID
		return nil, e
	}
	if needsRehash {
		// Imported bcrypt hashes and argon2id hashes below the current cost are upgraded now, the
		// only moment the clear password is at hand.
		if hash, err := d.Hasher.Hash(pw); err != nil {
			d.logger().ErrorContext(ctx, "password rehash failed", "err", err)
		} else {
			user.PasswordHash = hash
			if err := d.Store.UpdateUser(ctx, user); err != nil {
				d.logger().ErrorContext(ctx, "upgraded password hash not saved", "err", err)
			}
		}
	}
	return user, nil
}

// failed marks the attempt that starts a block (already counted, see Attempt) as the block in the log.
func (g Password) failed(attempt guard.Attempt, e *protocol.Error) *protocol.Error {
	if g.Deps.BruteForce.Blocks(attempt) {
		e.LogType = audit.TypeBlockedAccount
	}
	return e
}
