package oauth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/testclock"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/token"
)

var master = bytes.Repeat([]byte{9}, 32)

const (
	apiID      = "https://api.example.test"
	m2mSecret  = "m2m-secret-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
	webSecret  = "web-secret+with/odd:chars%20and more 0123456789abcdefghijklmnopqrstuvwxyz"
	webCB      = "http://localhost:3000/api/auth/callback"
	spaCB      = "http://localhost:5173/callback"
	spaOrigin  = "http://localhost:5173"
	userID     = "auth0|65a0c0ffee0000000000beef"
	adminID    = "auth0|65a0c0ffee0000000000ad01"
	blockedID  = "auth0|65a0c0ffee0000000000b10c"
	rbacAPIID  = "https://rbac.example.test"
	m2mID      = "m2mClientId000000000000000000001"
	webID      = "webClientId000000000000000000001"
	spaID      = "spaClientId000000000000000000001"
	noGrantID  = "noGrantClient0000000000000000001"
	nonCCID    = "nonCCClient000000000000000000001"
	nonRotID   = "nonRotatingClient000000000000001"
	leewayID   = "leewayClient00000000000000000001"
	otherWebID = "otherWebClient000000000000000001"
)

// env is a Gatehouse token service on a loopback listener with a real SQLite store.
type env struct {
	Store   store.Store
	Keys    *keys.Manager
	Tokens  *token.Issuer
	Handler *oauth.Handler
	Mux     *http.ServeMux
	Server  *httptest.Server
	Issuer  string
	Clock   *testclock.Clock
	realNow bool
}

type envOptions struct {
	actions oauth.ActionRunner
	noAudit bool
	realNow bool
	noCache bool // read the configuration from the store on every request
	perIP   guard.Limit
	// bruteForce, when set, is the brute-force protection of the password grants.
	bruteForce *guard.BruteForce
	// postgres runs the service on PostgreSQL (pgtest: skipped without a server) instead of SQLite.
	postgres bool
	// dpopNonceKey turns DPoP server nonces on.
	dpopNonceKey []byte
	// gate bounds password hashing, as a node's memory budget does.
	gate *password.Gate
}

// onBothEngines runs f on SQLite and on PostgreSQL (skipped without a server): f passes pg to
// envOptions.postgres. Each grant's error paths run on both backends.
func onBothEngines(t *testing.T, f func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { f(t, false) })
	t.Run("postgres", func(t *testing.T) { f(t, true) })
}

func MustEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	ctx := context.Background()
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	now := clk.Now
	if o.realNow {
		now = time.Now
	}
	var st store.Store
	if o.postgres {
		st = pgtest.Open(tb, pgtest.SchemaURL(tb), postgres.Options{Now: now})
	} else {
		st = sqlitetest.New(tb, sqlite.Options{Now: now})
	}
	km, err := keys.NewManager(ctx, st, master, keys.Options{Now: now, UnknownKIDReloadInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	issuer := "http://" + srv.Listener.Addr().String() + "/"
	tokens, err := token.NewIssuer(token.Options{Issuer: issuer, Keys: km, MasterKey: master, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	var rec *audit.Recorder
	if !o.noAudit {
		rec = &audit.Recorder{Store: st, Now: now}
	}
	ttl := time.Duration(0)
	if o.noCache {
		ttl = -1
	}
	if o.bruteForce != nil && o.bruteForce.Counters == nil {
		o.bruteForce.Counters = st // counted in the test's own database, as a node does
	}
	h, err := oauth.NewHandler(oauth.Options{Issuer: issuer, Store: st, Keys: km, Tokens: tokens, Audit: rec, Now: now, Actions: o.actions, ConfigCacheTTL: ttl,
		Hasher: password.Hasher{P: password.Fast(), Gate: o.gate}, BruteForce: o.bruteForce,
		Limiter: &guard.RateLimiter{Counters: st, Now: now}, TokenPerIP: o.perIP, DPoPNonceKey: o.dpopNonceKey})
	if err != nil {
		tb.Fatal(err)
	}
	h.Mount(mux)
	srv.Start()
	tb.Cleanup(h.Close) // runs after srv.Close: cleanups run last-registered first
	tb.Cleanup(srv.Close)
	e := &env{Store: st, Keys: km, Tokens: tokens, Handler: h, Mux: mux, Server: srv, Issuer: issuer, Clock: clk, realNow: o.realNow}
	e.seed(tb)
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func (e *env) seed(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	for _, rs := range []*domain.ResourceServer{
		{ID: domain.NewResourceServerID(), Name: "API", Identifier: apiID, AllowOfflineAccess: true,
			Scopes: []domain.Scope{{Value: "read:a"}, {Value: "write:a"}, {Value: "admin:a"}}},
		{ID: domain.NewResourceServerID(), Name: "RBAC API", Identifier: rbacAPIID, EnforcePolicies: true, TokenDialect: domain.DialectAccessTokenAuthz,
			AllowOfflineAccess: true, Scopes: []domain.Scope{{Value: "read:own_data"}, {Value: "admin:read"}}},
		mgmt.APIResourceServer(e.Issuer),
	} {
		domain.ApplyResourceServerDefaults(rs)
		must(tb, e.Store.CreateResourceServer(ctx, rs))
	}
	mk := func(id, name, appType, secret string, edit func(*domain.Client)) {
		c := &domain.Client{ClientID: id, Name: name, AppType: appType}
		domain.ApplyClientDefaults(c)
		if secret != "" {
			c.SecretHash = domain.HashSecret(secret)
		}
		if edit != nil {
			edit(c)
		}
		must(tb, e.Store.CreateClient(ctx, c))
	}
	mk(m2mID, "M2M", domain.AppTypeNonInteractive, m2mSecret, nil)
	mk(noGrantID, "No grant", domain.AppTypeNonInteractive, m2mSecret, nil)
	mk(nonCCID, "Web without CC", domain.AppTypeRegularWeb, m2mSecret, func(c *domain.Client) {
		c.GrantTypes = []string{domain.GrantAuthorizationCode}
	})
	mk(webID, "Web", domain.AppTypeRegularWeb, webSecret, func(c *domain.Client) {
		c.Callbacks = []string{webCB}
		c.WebOrigins = []string{"http://localhost:3000"}
	})
	mk(otherWebID, "Other web", domain.AppTypeRegularWeb, webSecret, func(c *domain.Client) { c.Callbacks = []string{webCB} })
	mk(nonRotID, "Non-rotating", domain.AppTypeRegularWeb, webSecret, func(c *domain.Client) {
		c.Callbacks = []string{webCB}
		c.RefreshToken.RotationType = domain.RotationNonRotating
	})
	mk(leewayID, "Leeway", domain.AppTypeRegularWeb, webSecret, func(c *domain.Client) {
		c.Callbacks = []string{webCB}
		c.RefreshToken.Leeway = 10
	})
	mk(spaID, "SPA", domain.AppTypeSPA, "", func(c *domain.Client) {
		c.Callbacks = []string{spaCB}
		c.WebOrigins = []string{spaOrigin}
	})
	for _, g := range []*domain.ClientGrant{
		{ID: domain.NewClientGrantID(), ClientID: m2mID, Audience: apiID, Scope: []string{"read:a", "write:a"}},
		{ID: domain.NewClientGrantID(), ClientID: m2mID, Audience: rbacAPIID, Scope: []string{"read:own_data"}},
		{ID: domain.NewClientGrantID(), ClientID: m2mID, Audience: e.Issuer + "api/v2/", Scope: []string{"read:users", "read:clients"}},
		{ID: domain.NewClientGrantID(), ClientID: nonCCID, Audience: apiID, Scope: []string{"read:a"}},
	} {
		must(tb, e.Store.CreateClientGrant(ctx, g))
	}
	for _, u := range []*domain.User{
		{UserID: userID, Email: "jane@example.test", EmailVerified: true, GivenName: "Jane"},
		{UserID: adminID, Email: "admin@example.test", EmailVerified: true},
		{UserID: blockedID, Email: "blocked@example.test", Blocked: true},
	} {
		domain.ApplyUserDefaults(u)
		must(tb, e.Store.CreateUser(ctx, u))
	}
	must(tb, e.Store.AddUserPermissions(ctx, userID, []domain.Permission{{ResourceServerIdentifier: rbacAPIID, PermissionName: "read:own_data"}}))
	must(tb, e.Store.AddUserPermissions(ctx, adminID, []domain.Permission{
		{ResourceServerIdentifier: rbacAPIID, PermissionName: "read:own_data"}, {ResourceServerIdentifier: rbacAPIID, PermissionName: "admin:read"}}))
}

// url returns the absolute URL of a path on the test server.
func (e *env) url(path string) string { return e.Issuer + path }

// decodeJWT reads a JWT's header and claims without verifying it.
func decodeJWT(tb testing.TB, raw string) (header, claims map[string]any) {
	tb.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWS: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			tb.Fatal(err)
		}
	}
	return header, claims
}
