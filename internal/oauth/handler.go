package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// ActionRunner runs the Actions of the token endpoint's exchanges; nil means none. See
// grant.ActionRunner.
type ActionRunner = grant.ActionRunner

// Options are the dependencies of the protocol endpoints.
type Options struct {
	// Issuer is https://HOST[:PORT]/ with its trailing slash (spec §1.1).
	Issuer  string
	Store   store.Store
	Keys    *keys.Manager
	Tokens  *token.Issuer
	Audit   *audit.Recorder // nil: no tenant log
	Logger  *slog.Logger
	Now     func() time.Time
	Actions ActionRunner
	// ConfigCacheTTL is how long clients, APIs, client grants and tenant settings are served from
	// memory (default 2 s; negative: always read the store). It bounds how long a configuration change
	// made on another node takes to reach this one.
	ConfigCacheTTL time.Duration
	// Limiter and TokenPerIP limit POST /oauth/token per client IP address; a nil Limiter or a
	// zero TokenPerIP turns the limit off.
	Limiter    *guard.RateLimiter
	TokenPerIP guard.Limit
	// Metrics counts issued tokens; nil counts nothing.
	Metrics *metrics.Recorder
	// Hasher verifies user passwords for the password grants (zero: password.Default()).
	// BruteForce must be the instance /u/login uses, so that both count toward one block; nil
	// turns brute-force protection off.
	Hasher     password.Hasher
	BruteForce *guard.BruteForce
	// Throttle and Policy are suspicious IP throttling and the attack protection settings, shared
	// with /u/login; nil: off.
	Throttle *guard.Throttle
	Policy   *guard.Policy
	// Notify tells a user that attack protection acted on their account; nil tells no one.
	Notify func(ctx context.Context, user *domain.User, kind, ip string)
	// PushedRequests validates pushed authorization requests (package authflow); nil turns
	// /oauth/par off.
	PushedRequests PushedRequestValidator
	// DPoPNonceKey, when set, makes DPoP proofs carry a server nonce (RFC 9449 §8), derived from it
	// alike on every node; nil accepts proofs without one.
	DPoPNonceKey []byte
	// MFA checks second factors for Auth0's MFA API (/mfa/*) and MFA grants; nil turns both off
	// (mfa_required then carries no mfa_token). KickMail wakes the mail worker after a code is queued.
	MFA      *mfa.Service
	KickMail func()
}

// Handler serves /.well-known/openid-configuration, /.well-known/jwks.json, /oauth/token,
// /oauth/device/code, /oauth/par, /oauth/introspect, /oauth/revoke and /userinfo.
type Handler struct {
	issuer string
	store  store.Store
	keys   *keys.Manager
	tokens *token.Issuer
	log    *slog.Logger
	now    func() time.Time
	config *configCache
	grants map[string]grant.Grant
	deps   *grant.Deps

	logs       *logQueue
	discovery  *publicDocument
	jwks       atomic.Pointer[publicDocument] // rebuilt when the key set's ETag changes
	limiter    *guard.RateLimiter
	tokenPerIP guard.Limit
	metrics    *metrics.Recorder
	pushed     PushedRequestValidator
	dpopNonce  *dpopNonces
}

// NewHandler builds the protocol endpoints.
func NewHandler(opts Options) (*Handler, error) {
	if !strings.HasSuffix(opts.Issuer, "/") {
		return nil, errors.New("oauth: the issuer must end with /")
	}
	if opts.Store == nil || opts.Keys == nil || opts.Tokens == nil {
		return nil, errors.New("oauth: Store, Keys and Tokens are required")
	}
	if opts.Tokens.IssuerURL() != opts.Issuer {
		return nil, errors.New("oauth: the token issuer and the handler issuer differ")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ttl := opts.ConfigCacheTTL
	if ttl == 0 {
		ttl = 2 * time.Second
	}
	h := &Handler{
		issuer: opts.Issuer, store: opts.Store, keys: opts.Keys, tokens: opts.Tokens,
		log: opts.Logger, now: opts.Now, config: newConfigCache(opts.Store, ttl, opts.Now),
		limiter: opts.Limiter, tokenPerIP: opts.TokenPerIP, metrics: opts.Metrics, pushed: opts.PushedRequests,
	}
	if len(opts.DPoPNonceKey) > 0 {
		h.dpopNonce = &dpopNonces{key: opts.DPoPNonceKey}
	}
	if opts.Hasher.P.Memory == 0 {
		opts.Hasher = password.Hasher{P: password.Default()}
	}
	h.deps = &grant.Deps{Store: opts.Store, Config: h.config, Tokens: opts.Tokens, Actions: opts.Actions, Now: opts.Now, Logger: opts.Logger,
		Hasher: opts.Hasher, BruteForce: opts.BruteForce, Throttle: opts.Throttle, Policy: opts.Policy, Audit: opts.Audit, Notify: opts.Notify}
	if opts.MFA != nil {
		h.deps.MFA = opts.MFA
		h.deps.MFALimit = &guard.MFALimiter{Counters: opts.Store, Now: opts.Now}
		h.deps.EmailCodes = &mfa.EmailCodes{Store: opts.Store, Mail: mailtemplate.New(opts.Store, opts.Issuer), Kick: opts.KickMail, Now: opts.Now}
	}
	h.grants = map[string]grant.Grant{}
	for _, g := range []grant.Grant{
		grant.ClientCredentials{Deps: h.deps},
		grant.AuthorizationCode{Deps: h.deps},
		grant.RefreshToken{Deps: h.deps},
		grant.Password{Deps: h.deps},
		grant.Password{Deps: h.deps, Realm: true},
		grant.DeviceCode{Deps: h.deps},
		grant.MFA{Deps: h.deps, Factor: domain.FactorOTP},
		grant.MFA{Deps: h.deps, Factor: "oob"},
		grant.MFA{Deps: h.deps, Factor: domain.FactorRecoveryCode},
	} {
		h.grants[g.Type()] = g
	}
	if opts.Audit != nil {
		h.logs = newLogQueue(opts.Store, opts.Audit, opts.Logger, opts.Now)
	}
	body, etag, err := renderDiscovery(opts.Issuer)
	if err != nil {
		return nil, err
	}
	h.discovery = newPublicDocument(body, etag, discoveryCacheControl)
	return h, nil
}

// Flush waits until the tenant-log events of the requests answered so far are written.
func (h *Handler) Flush(ctx context.Context) {
	if h.logs != nil {
		h.logs.flush(ctx)
	}
}

// Close writes the queued tenant-log events and stops the writer. Call it once the HTTP server has
// stopped accepting requests; events of later requests are then written synchronously.
func (h *Handler) Close() {
	if h.logs != nil {
		h.logs.close()
	}
}

// ConfigChanged drops the cached clients, APIs, client grants and tenant settings: call it after a
// configuration change on this node (a rotated secret, a deleted client or grant must not keep working
// until the cache expires).
func (h *Handler) ConfigChanged() { h.config.invalidate() }

// Mount registers the endpoints on mux (httpserver.Mounter).
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/openid-configuration", h.serveDiscovery)
	mux.HandleFunc("GET /.well-known/jwks.json", h.serveJWKS)
	mux.HandleFunc("POST /oauth/token", h.serveToken)
	mux.HandleFunc("OPTIONS /oauth/token", h.servePreflight)
	mux.HandleFunc("POST /oauth/device/code", h.serveDeviceCode)
	mux.HandleFunc("OPTIONS /oauth/device/code", h.servePreflight)
	mux.HandleFunc("POST /oauth/introspect", h.serveIntrospect)
	mux.HandleFunc("POST /oauth/par", h.servePAR)
	mux.HandleFunc("OPTIONS /oauth/par", h.servePreflight)
	mux.HandleFunc("POST /oauth/revoke", h.serveRevoke)
	mux.HandleFunc("OPTIONS /oauth/revoke", h.servePreflight)
	mux.HandleFunc("GET /userinfo", h.serveUserinfo)
	mux.HandleFunc("POST /userinfo", h.serveUserinfo)
	mux.HandleFunc("OPTIONS /userinfo", h.servePreflight)
	mux.HandleFunc("GET /mfa/authenticators", h.serveMFAAuthenticators)
	mux.HandleFunc("POST /mfa/associate", h.serveMFAAssociate)
	mux.HandleFunc("POST /mfa/challenge", h.serveMFAChallenge)
	mux.HandleFunc("OPTIONS /mfa/challenge", h.servePreflight)
}
