package apiauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Middleware validates bearer access tokens for one issuer and audience. It is
// safe for concurrent use; create one per API and share it between routes.
type Middleware struct {
	cfg settings

	state atomic.Pointer[issuer] // nil until discovery succeeds

	mu      sync.Mutex
	flight  *fetchCall
	retryAt time.Time
	backoff time.Duration
	lastErr error
}

// issuer is what discovery settles: the expected "iss", its keys, and the
// claims validator configured once for every token.
type issuer struct {
	keys      *keyCache
	validator *jwt.Validator
}

// New checks cfg and returns a Middleware. It makes no network request:
// discovery happens on the first request, or in Ready.
func New(cfg Config) (*Middleware, error) {
	s, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	m := &Middleware{cfg: s}
	if s.Issuer != "" && s.JWKSURI != "" {
		m.state.Store(m.newIssuer(s.Issuer, s.JWKSURI))
	}
	return m, nil
}

func (m *Middleware) newIssuer(iss, jwksURI string) *issuer {
	s := m.cfg
	return &issuer{
		keys: newKeyCache(jwksURI, s),
		validator: jwt.NewValidator(
			jwt.WithIssuer(iss),
			jwt.WithAudience(s.Audience),
			jwt.WithLeeway(s.tolerance),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(s.Now),
		),
	}
}

// Ready runs discovery and fetches the JWKS now if that has not happened yet,
// returning the error that would make requests fail. Call it at start-up to
// fail fast, or from a readiness probe. After a failure, calls within the
// retry backoff return the last error without a new request.
func (m *Middleware) Ready(ctx context.Context) error {
	st, e := m.issuer(ctx)
	if e != nil {
		return e
	}
	if st.keys.set.Load() != nil {
		return nil
	}
	if _, err := st.keys.refetch(ctx, nil); err != nil {
		return unavailable(err)
	}
	return nil
}

// issuer returns the discovered issuer, discovering it first if needed.
func (m *Middleware) issuer(ctx context.Context) (*issuer, *Error) {
	if st := m.state.Load(); st != nil {
		return st, nil
	}
	m.mu.Lock()
	if st := m.state.Load(); st != nil {
		m.mu.Unlock()
		return st, nil
	}
	c := m.flight
	if c == nil {
		if m.cfg.Now().Before(m.retryAt) {
			err := m.lastErr
			m.mu.Unlock()
			return nil, unavailable(err)
		}
		c = &fetchCall{done: make(chan struct{})}
		m.flight = c
		go m.runDiscovery(c)
	}
	m.mu.Unlock()
	if err := c.wait(ctx); err != nil {
		return nil, unavailable(err)
	}
	return m.state.Load(), nil
}

// runDiscovery performs one discovery attempt, detached from the request
// that triggered it so that its cancellation does not fail other waiters.
func (m *Middleware) runDiscovery(c *fetchCall) {
	md, err := discover(context.Background(), m.cfg)
	m.mu.Lock()
	if err != nil {
		m.backoff = nextBackoff(m.backoff, m.cfg.JWKSRefetchCooldown)
		m.retryAt = m.cfg.Now().Add(m.backoff)
		m.lastErr = err
		m.cfg.Logger.Warn("apiauth: discovery failed", "issuer_base_url", m.cfg.IssuerBaseURL, "error", err, "retry_in", m.backoff)
	} else {
		iss, jwksURI := md.Issuer, md.JWKSURI
		if m.cfg.Issuer != "" {
			iss = m.cfg.Issuer
		}
		if m.cfg.JWKSURI != "" {
			jwksURI = m.cfg.JWKSURI
		}
		m.state.Store(m.newIssuer(iss, jwksURI))
	}
	m.flight = nil
	m.mu.Unlock()
	c.err = err
	close(c.done)
}

// Handler returns next guarded by token validation and then checks, in order.
// The validated claims are in the request context (ClaimsFrom).
func (m *Middleware) Handler(next http.Handler, checks ...Check) http.Handler {
	checks = slices.Clone(checks)
	onError := m.cfg.ErrorHandler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, scheme, e := m.credentials(r)
		if e != nil {
			// Anonymous requests pass only where no check is asked for: a
			// check cannot hold without claims (the Node SDK's claim checks
			// also answer 401 when auth was optional and absent).
			if m.cfg.CredentialsOptional && len(checks) == 0 && errors.Is(e, ErrMissingToken) {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), errorHandlerKey{}, onError)))
				return
			}
			onError(w, r, e)
			return
		}
		c, e := m.validate(r.Context(), token)
		if e == nil {
			e = m.checkDPoP(r, scheme, c)
		}
		if e == nil {
			e = runChecks(c, checks)
		}
		if e != nil {
			onError(w, r, e)
			return
		}
		c.onError = onError
		next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
	})
}

// Validate checks a raw access token (without the "Bearer " prefix) and then
// checks, for callers outside net/http (gRPC, WebSocket upgrades, queues).
// A rejection is an *Error. There is no request here to carry a DPoP proof, so
// a DPoP-bound token (cnf.jkt) is refused unless Config.DPoP.Disabled.
func (m *Middleware) Validate(ctx context.Context, token string, checks ...Check) (*Claims, error) {
	c, e := m.validate(ctx, token)
	if e == nil && !m.cfg.DPoP.Disabled {
		if _, bound, _ := confirmation(c); bound {
			e = dpopChallenge(invalidToken("the access token is DPoP-bound; its proof can only be checked on an HTTP request", nil))
		}
	}
	if e == nil {
		e = runChecks(c, checks)
	}
	if e != nil {
		return nil, e
	}
	return c, nil
}
