package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	actiontrigger "github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/internal/userimport"
)

// TokenVerifier checks a Management API bearer token: signature, issuer, expiry and that audience is
// among its `aud`.
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, raw, audience string) (Caller, error)
}

// Caller is what a verified token says of who presents it.
type Caller struct {
	Subject  string   // `sub`
	ClientID string   // the client the token was issued to (`azp`, or the client part of `sub`)
	Scopes   []string // the space-separated `scope` claim
	// User: the token was obtained by a user (any grant but client credentials). It acts only on
	// that user's own record, and only through the *:current_user* scopes (Auth0's rule).
	User bool
	// Actor is the user a machine token acts for (its RFC 8693 act.sub): set only on the tokens the
	// node mints in-process for its dashboard. Changes are logged under that user's id.
	Actor string
}

// ErrTokenExpired is what a TokenVerifier wraps when the token is well-formed and signed but
// expired, so that the 401 says "Expired token" rather than "Invalid token".
var ErrTokenExpired = errors.New("token expired")

// KeyManager rotates and revokes signing keys (spec §4.4 Signing keys). Listing reads the KeyStore
// directly; these two change what every node signs with, so they go through the key manager that
// owns the per-node cache.
type KeyManager interface {
	// Rotate makes the next key current, the current one previous, and generates a new next key.
	Rotate(ctx context.Context) error
	// Revoke revokes a previous key; it leaves the JWKS.
	Revoke(ctx context.Context, kid string) error
}

// ActionCompiler compiles an Action's code for one trigger without running it; an error's text
// (which should carry the line and the message) is shown to the caller.
type ActionCompiler interface {
	Compile(name, code, trigger string) error
}

// ActionTester runs an Action's current code once with a test event and reports what it did
// (POST /actions/actions/{id}/test); nothing it asks for is applied. A *CompileError-like error is
// shown to the caller; an error in the payload is a domain validation error.
type ActionTester interface {
	TestAction(ctx context.Context, a *domain.Action, trigger string, payload map[string]any) (map[string]any, error)
}

// RateLimit configures the per-caller limit: Max requests per fixed Window, counted in the
// database every node shares.
type RateLimit struct {
	Max      int           // 0 means 100
	Window   time.Duration // 0 means 2s: 50 requests a second on average, in bursts of up to 100
	Disabled bool
}

// Options are the Management API's dependencies.
type Options struct {
	Issuer   string // https://HOST/ with the trailing slash; the token audience is Issuer+"api/v2/"
	Store    store.Store
	Verifier TokenVerifier
	Keys     KeyManager // nil: rotate/revoke answer 501
	// PrepareSigningAlg makes sure alg has published signing keys before an API is saved with it,
	// so that no token names a key a client's JWKS has not had the chance to list; nil: nothing.
	PrepareSigningAlg func(ctx context.Context, alg string) error
	Actions           ActionCompiler // nil: actions are stored with status "pending" and deploy without a check
	// ActionTests runs POST /actions/actions/{id}/test; nil answers 501.
	ActionTests ActionTester
	// PostChangePassword runs the post-change-password Actions after PATCH /users/{id} sets a
	// password; nil: none.
	PostChangePassword actiontrigger.PostChangePasswordRunner
	// Changed, when set, is called after every successful write, so that this node's caches of
	// configuration (the token endpoint's clients and grants, the Actions runner's bindings) drop what
	// they hold at once; other nodes notice within their cache lifetimes.
	Changed func()
	// ImportStarted, when set, is called after a users import job is stored, so that this node's
	// import runner picks it up at once rather than at its next poll.
	ImportStarted func()
	Hasher        password.Hasher
	Audit         *audit.Recorder
	Logger        *slog.Logger
	Now           func() time.Time
	RateLimit     RateLimit
	// Limiter counts requests for RateLimit; nil means one over Store.
	Limiter *guard.RateLimiter
	// BruteForce is the sign-in flows' brute-force protection, whose blocks /user-blocks lists and
	// lifts; nil means one over Store with the default threshold.
	BruteForce *guard.BruteForce
	// APISecrets seals and opens HS256 APIs' signing_secret; nil: HS256 is refused (501).
	APISecrets APISecrets
	// EmailSecrets seals the email provider's SMTP password; nil: a password is refused (501).
	EmailSecrets EmailSecrets
	// ConnectionSecrets seals upstream connections' client secrets and checks their URLs; nil:
	// such connections are refused (501).
	ConnectionSecrets ConnectionSecrets
	// CheckEmailProvider validates a provider before it is saved; nil means its domain rules only.
	CheckEmailProvider ProviderCheck
	// Verification queues verification mail for /jobs/verification-email; nil answers 501.
	Verification VerificationMailer
	// IPBlocks answers /anomaly/blocks/ips (suspicious IP throttling); nil: no address is blocked.
	IPBlocks IPBlocks
	// LogStreams seals a log stream's Authorization header and checks its endpoint; nil: log
	// streams are refused (501).
	LogStreams LogStreamSecrets
	// IDTokens checks the ID tokens account linking takes (link_with); nil: link_with answers 501.
	IDTokens IDTokenVerifier
	// IdPTokens opens the providers' tokens kept with identities, shown to read:user_idp_tokens;
	// nil: never shown.
	IdPTokens IdPTokenOpener
	// ExportLinks signs and checks users exports' download links; nil: users exports answer 501.
	ExportLinks *userimport.ExportLinks
}

// Handler serves /api/v2/.
type Handler struct {
	opts     Options
	st       store.Store
	log      *slog.Logger
	now      func() time.Time
	audience string
	limiter  *guard.RateLimiter
	limit    guard.Limit
}

// New builds the Management API handler.
func New(opts Options) *Handler {
	h := &Handler{opts: opts, st: opts.Store, log: opts.Logger, now: opts.Now}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.audience = opts.Issuer + "api/v2/"
	if !opts.RateLimit.Disabled {
		h.limit = guard.Limit{Max: opts.RateLimit.Max, Window: opts.RateLimit.Window}
		if h.limit.Max <= 0 {
			h.limit.Max = 100
		}
		if h.limit.Window <= 0 {
			h.limit.Window = 2 * time.Second
		}
		h.limiter = opts.Limiter
		if h.limiter == nil {
			h.limiter = &guard.RateLimiter{Counters: opts.Store, Now: h.now}
		}
	}
	return h
}

// Audience is the Management API's identifier, Issuer + "api/v2/".
func (h *Handler) Audience() string { return h.audience }

// route is one endpoint: its pattern (without the /api/v2 prefix), the scopes of which any one
// grants access (spec §4.1), for writes the description of its sapi log event, and for a write whose
// scopes do not all cover the whole body, which scope may change which field.
type route struct {
	method, path string
	scopes       []string
	// selfScopes grant access to a user-obtained token for the user's own record only (the path's
	// {id} equal to the token's subject): Auth0's *:current_user* scopes.
	selfScopes []string
	desc       string
	fields     *fieldScopes
	fn         handler
}

// Mount registers every endpoint on mux, plus a JSON 404 for unknown paths under /api/v2/.
func (h *Handler) Mount(mux *http.ServeMux) {
	for _, rt := range h.routes() {
		mux.Handle(rt.method+" /api/v2"+rt.path, h.wrap(rt))
	}
	mux.HandleFunc("GET /api/v2/jobs/{id}/download", h.exportDownload)
	mux.Handle("/api/v2/", h.wrap(route{fn: func(*call) (int, any, error) { return 0, nil, errNoRoute }}))
}

type principal struct {
	subject, clientID string
	scopes            []string
	// user: a user-obtained token; its scopes are only *:current_user* ones, each good for the
	// user's own record alone (route.selfScopes).
	user bool
	// actor: the user a machine token acts for (Caller.Actor), recorded as the sapi event's user.
	actor string
}

// wrap authenticates, rate-limits, checks the scope, runs the endpoint, writes what it returned
// and, for a successful change, records a sapi event and calls Changed. It is the one place a
// Management API response is written.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, fields: rt.fields}
		who, authErr := h.authenticate(r)
		key := "client:" + who.clientID
		if authErr != nil {
			key = "ip:" + httpserver.ClientIP(r.Context()).String()
		}
		if h.limiter != nil {
			d, err := h.limiter.Take(r.Context(), "mgmt", key, h.limit)
			if err != nil {
				// Fail open: the limit protects capacity, and a database that cannot count
				// will fail the request itself if it is really down.
				h.log.WarnContext(r.Context(), "management rate limit not counted", "err", err)
			}
			d.SetHeaders(w.Header())
			if !d.Allowed {
				h.respond(c, 0, nil, errRateLimited)
				return
			}
		}
		if authErr != nil {
			h.respond(c, 0, nil, authErr)
			return
		}
		c.who = who
		c.r = r.WithContext(httpserver.WithClientID(r.Context(), who.clientID))
		if !who.allowed(rt, c.r) {
			h.respond(c, 0, nil, refuse(http.StatusForbidden, codeInsufficientScope, "Insufficient scope, expected any of: %s", strings.Join(append(slices.Clone(rt.scopes), rt.selfScopes...), ",")))
			return
		}
		status, body, err := rt.fn(c)
		h.respond(c, status, body, err)
		if rt.desc != "" && c.status >= 200 && c.status < 300 {
			h.recordChange(c, rt.desc)
			if h.opts.Changed != nil {
				h.opts.Changed()
			}
		}
	})
}

// respond writes status and body as JSON (no body when it is nil) or, when err is set, Auth0's
// error JSON for it (errorFor); an unexpected error is logged here, never shown.
func (h *Handler) respond(c *call, status int, body any, err error) {
	var buf []byte
	if err == nil && body != nil {
		if buf, err = json.Marshal(body); err != nil {
			err = fmt.Errorf("mgmt: encode response: %w", err)
		}
	}
	if err != nil {
		e, internal := errorFor(err)
		if internal {
			h.log.ErrorContext(c.ctx(), "management api request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		}
		if e.status == http.StatusUnauthorized {
			// RFC 6750 §3: a bearer-protected resource names its scheme on 401.
			c.w.Header().Set("WWW-Authenticate", `Bearer realm="`+h.audience+`"`)
		}
		if e.status == http.StatusServiceUnavailable {
			c.w.Header().Set("Retry-After", "1")
		}
		status, buf = e.status, e.body()
	}
	if buf != nil {
		c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	c.status = status
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf)
}

// authenticate returns the caller, or the 401 that says what is wrong with its token.
func (h *Handler) authenticate(r *http.Request) (principal, error) {
	authz := r.Header.Get("Authorization")
	scheme, raw, ok := strings.Cut(authz, " ")
	if authz == "" {
		return principal{}, errMissingAuth
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return principal{}, errBadAuthHeader
	}
	if h.opts.Verifier == nil {
		return principal{}, errInvalidToken
	}
	who, err := h.opts.Verifier.VerifyAccessToken(r.Context(), strings.TrimSpace(raw), h.audience)
	if err != nil {
		if errors.Is(err, ErrTokenExpired) {
			return principal{}, errExpiredToken
		}
		return principal{}, errInvalidToken
	}
	p := principal{subject: who.Subject, clientID: who.ClientID, scopes: who.Scopes, user: who.User}
	if !who.User {
		p.actor = who.Actor
	}
	if p.clientID == "" {
		p.clientID, _ = strings.CutSuffix(who.Subject, "@clients")
	}
	// Whatever a user-obtained token claims, it is worth its *:current_user* scopes alone; a
	// machine's token is worth everything but those, which name no user to act on.
	p.scopes = slices.DeleteFunc(slices.Clone(p.scopes), func(s string) bool { return domain.IsCurrentUserScope(s) != p.user })
	return p, nil
}

// allowed reports whether the caller may use rt: any one of its scopes, or, for a user's own record
// (the path's {id} is the caller's subject), any one of its selfScopes.
func (p principal) allowed(rt route, r *http.Request) bool {
	if len(rt.scopes) == 0 && len(rt.selfScopes) == 0 {
		return true
	}
	if !p.user && hasAnyScope(p.scopes, rt.scopes) {
		return true
	}
	return p.user && len(rt.selfScopes) > 0 && r.PathValue("id") == p.subject && hasAnyScope(p.scopes, rt.selfScopes)
}

func hasAnyScope(have, want []string) bool {
	for _, w := range want {
		for _, s := range have {
			if s == w {
				return true
			}
		}
	}
	return false
}

// recordChange appends the sapi event of a successful write (spec §4.4 Logs), with the request body
// stripped of passwords and secrets.
func (h *Handler) recordChange(c *call, desc string) {
	if h.opts.Audit == nil {
		return
	}
	req := map[string]any{
		// Auth0 records the method in lower case.
		"method": strings.ToLower(c.r.Method),
		"path":   c.r.URL.EscapedPath(),
	}
	if q := c.r.URL.RawQuery; q != "" {
		req["query"] = q
	}
	if body := redactedBody(c.body); body != nil {
		req["body"] = body
	}
	h.opts.Audit.Record(c.r.Context(), domain.LogEvent{
		Type:        audit.TypeManagementAPI,
		Description: desc,
		ClientID:    c.who.clientID,
		UserID:      c.who.actor,
		IP:          httpserver.ClientIP(c.r.Context()).String(),
		UserAgent:   c.r.UserAgent(),
		Hostname:    c.r.Host,
		Audience:    h.audience,
		Scope:       strings.Join(c.who.scopes, " "),
		Details: map[string]any{
			"request":  req,
			"response": map[string]any{"statusCode": c.status},
		},
	})
}

// routes is every Management API route, each area's list in turn: what Mount serves and what the
// route tests check.
func (h *Handler) routes() []route {
	var all []route
	all = append(all, h.clientRoutes()...)
	all = append(all, h.clientCredentialRoutes()...)
	all = append(all, h.sessionRoutes()...)
	all = append(all, h.grantRoutes()...)
	all = append(all, h.resourceServerRoutes()...)
	all = append(all, h.roleRoutes()...)
	all = append(all, h.userRoutes()...)
	all = append(all, h.keyRoutes()...)
	all = append(all, h.tenantRoutes()...)
	all = append(all, h.logRoutes()...)
	all = append(all, h.actionRoutes()...)
	all = append(all, h.emailRoutes()...)
	all = append(all, h.ticketRoutes()...)
	all = append(all, h.emailTemplateRoutes()...)
	all = append(all, h.jobRoutes()...)
	all = append(all, h.importRoutes()...)
	all = append(all, h.connectionRoutes()...)
	all = append(all, h.userBlockRoutes()...)
	all = append(all, h.attackProtectionRoutes()...)
	all = append(all, h.guardianRoutes()...)
	all = append(all, h.guardianEnrollmentRoutes()...)
	all = append(all, h.anomalyRoutes()...)
	all = append(all, h.logStreamRoutes()...)
	all = append(all, h.organizationRoutes()...)
	all = append(all, h.absentRoutes()...)
	return all
}
