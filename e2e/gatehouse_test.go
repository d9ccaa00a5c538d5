package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devca"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// gatehouse is a node started by MustStartGatehouse.
type gatehouse struct {
	App    *app.App
	Issuer string // https://localhost:PORT/
	Origin string // https://localhost:PORT
	CA     devca.Paths
	Tenant *devtenant.File
	// HTTP trusts the dev CA and does not follow redirects.
	HTTP *http.Client
}

// MustStartGatehouse runs a Gatehouse node as `gatehouse dev` does — SQLite, the dev CA's
// certificate, the seed guide's tenant — on 127.0.0.1 with a free port, its issuer
// https://localhost:PORT/. The node stops when the test ends; its log is shown if the test failed.
// opts adjust the node's app.Options (the development mailbox, say).
func MustStartGatehouse(t *testing.T, ctx context.Context, opts ...func(*app.Options)) *gatehouse {
	t.Helper()
	return mustStartGatehouse(t, ctx, nil, opts...)
}

// MustStartDevGatehouse is MustStartGatehouse with `gatehouse dev`'s landing page at the root.
func MustStartDevGatehouse(t *testing.T, ctx context.Context) *gatehouse {
	t.Helper()
	return mustStartGatehouse(t, ctx, &devtenant.Landing{})
}

func mustStartGatehouse(t *testing.T, ctx context.Context, landing *devtenant.Landing, opts ...func(*app.Options)) *gatehouse {
	t.Helper()
	dir := t.TempDir()
	ca, err := devca.Ensure(filepath.Join(dir, "ca"), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	key := make([]byte, 32)
	_, _ = rand.Read(key)

	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = "https://localhost:" + port + "/"
	cfg.Database = filepath.Join(dir, "gatehouse.db")
	cfg.DataDir = dir
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.TLS.CertFile, cfg.TLS.KeyFile = ca.Cert, ca.Key

	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gatehouse log:\n%s", logs.String())
		}
	})
	hasher := password.Hasher{P: password.Fast()}
	o := app.Options{Hasher: hasher, Logger: httpserver.NewLogger("text", "info", logs)}
	if landing != nil {
		o.RootPage = landing
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := app.New(ctx, cfg, o)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	tenant, err := devtenant.Seed(ctx, a.Store, devtenant.Options{
		Issuer: cfg.Issuer, CACert: ca.CACert, Path: filepath.Join(dir, "dev-tenant.json"),
		ManagementAudience: cfg.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
		Hasher: hasher, Now: time.Now,
	})
	if err == nil && landing != nil {
		err = landing.Set(tenant, filepath.Join(dir, "dev-tenant.json"))
	}
	if err != nil {
		ln.Close()
		a.Close()
		t.Fatal(err)
	}

	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(serveCtx, ln) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				t.Errorf("gatehouse: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("gatehouse did not stop within 10 s")
		}
		a.Close()
	})

	client := mustTrustingClient(t, ca.CACert)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	g := &gatehouse{App: a, Issuer: cfg.Issuer, Origin: "https://localhost:" + port, CA: ca, Tenant: tenant, HTTP: client}
	g.mustBeReady(t, ctx)
	return g
}

// mustBeReady waits (bounded) until discovery answers.
func (g *gatehouse) mustBeReady(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.Issuer+".well-known/openid-configuration", nil)
		resp, err := g.HTTP.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gatehouse discovery not ready within 10 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MustRegisterApp makes the seed guide's web client accept the seed app at the given base URLs:
// callback BASE/api/auth/callback, logout URL and web origin BASE, exactly as step 1 registers
// http://localhost:3000. Call it before the first request for the client (the token endpoint caches
// clients).
func (g *gatehouse) MustRegisterApp(t *testing.T, ctx context.Context, bases ...string) {
	t.Helper()
	c, err := g.App.Store.GetClient(ctx, g.Tenant.WebApp.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins = nil, nil, nil
	for _, b := range bases {
		c.Callbacks = append(c.Callbacks, b+"/api/auth/callback")
		c.AllowedLogoutURLs = append(c.AllowedLogoutURLs, b)
		c.WebOrigins = append(c.WebOrigins, b)
	}
	if err := g.App.Store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// MustSetAPITokenLifetime shortens the access tokens of the guide's API, so a test can wait for
// one to expire.
func (g *gatehouse) MustSetAPITokenLifetime(t *testing.T, ctx context.Context, seconds int) {
	t.Helper()
	rs, err := g.App.Store.GetResourceServerByIdentifier(ctx, devtenant.APIIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	rs.TokenLifetime, rs.TokenLifetimeForWeb = seconds, seconds
	if err := rs.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := g.App.Store.UpdateResourceServer(ctx, rs); err != nil {
		t.Fatal(err)
	}
}

// User returns the seeded user with the role, and its password.
func (g *gatehouse) User(t *testing.T, role string) devtenant.User {
	t.Helper()
	for _, u := range g.Tenant.Users {
		if slices.Contains(u.Roles, role) {
			return u
		}
	}
	t.Fatalf("no seeded user with role %q", role)
	return devtenant.User{}
}

// syncBuffer is a bytes.Buffer safe for the node's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
