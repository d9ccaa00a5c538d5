package apiauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

func TestIssuerBaseURLForms(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	for _, base := range []string{iss.URL(), iss.URL() + "/", iss.URL() + "/.well-known/openid-configuration"} {
		t.Run(base, func(t *testing.T) {
			cfg := iss.config(clk)
			cfg.IssuerBaseURL = base
			h := mustNew(t, cfg).Handler(okHandler)
			if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))); r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.rawBody)
			}
		})
	}
}

// TestDiscoveryIsLazyAndRetried: New makes no request; the first request
// does discovery; a failure answers 503 and is retried after a backoff, so an
// API may start before its issuer.
func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	iss.set(func(f *fakeIssuer) { f.discStatus = http.StatusBadGateway })
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	if got := iss.discoveryHits.Load(); got != 0 {
		t.Fatalf("New fetched discovery %d times", got)
	}
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))

	r := do(t, h, tok)
	if r.status != http.StatusServiceUnavailable || r.body["error"] != apiauth.CodeUnavailable {
		t.Fatalf("issuer down: %d %s", r.status, r.rawBody)
	}
	if strings.Contains(r.rawBody, "502") || strings.Contains(r.rawBody, "127.0.0.1") {
		t.Errorf("network detail leaked to the client: %s", r.rawBody)
	}
	hits := iss.discoveryHits.Load() // OIDC path; the RFC 8414 path is not routed
	do(t, h, tok)
	if got := iss.discoveryHits.Load(); got != hits {
		t.Fatalf("retried within backoff: %d hits, want %d", got, hits)
	}

	iss.set(func(f *fakeIssuer) { f.discStatus = 0 })
	clk.Advance(2 * time.Second)
	if r := do(t, h, tok); r.status != 200 {
		t.Fatalf("after the issuer came up: %d %s", r.status, r.rawBody)
	}
	for range 5 {
		do(t, h, tok)
	}
	if got := iss.discoveryHits.Load(); got != hits+1 {
		t.Errorf("discovery repeated after success: %d hits", got)
	}
}

func TestDiscoveryConcurrentFirstRequests(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := do(t, h, tok); r.status != 200 {
				t.Errorf("status %d", r.status)
			}
		}()
	}
	wg.Wait()
	if d, j := iss.discoveryHits.Load(), iss.jwksHits.Load(); d != 1 || j != 1 {
		t.Errorf("discovery %d, JWKS %d fetches; want 1 and 1", d, j)
	}
}

func TestReadyFailsFast(t *testing.T) {
	iss := newFakeIssuer(t)
	iss.publish("k1", testKeys().rsa1, "RS256")
	clk := newFakeClock()

	// The issuer's certificate is from a private CA: the default client
	// cannot reach it, which is why Config.HTTPClient exists.
	cfg := iss.config(clk)
	cfg.HTTPClient = nil
	err := mustNew(t, cfg).Ready(context.Background())
	if !errors.Is(err, apiauth.ErrIssuerUnavailable) {
		t.Fatalf("Ready with an untrusted CA: %v", err)
	}
	if err := mustNew(t, iss.config(clk)).Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	// Metadata naming another issuer is refused (OIDC Discovery §4.3)...
	iss.set(func(f *fakeIssuer) { f.issuer = "https://elsewhere.example/" })
	err = mustNew(t, iss.config(clk)).Ready(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not match IssuerBaseURL") {
		t.Fatalf("issuer mismatch: %v", err)
	}
	// ...unless Config.Issuer says which issuer to expect.
	cfg = iss.config(clk)
	cfg.Issuer = "https://elsewhere.example/"
	if err := mustNew(t, cfg).Ready(context.Background()); err != nil {
		t.Fatalf("with Config.Issuer: %v", err)
	}

	// An empty JWKS is an error too.
	iss.set(func(f *fakeIssuer) { f.issuer = f.srv.URL + "/"; f.keys = nil })
	if err := mustNew(t, iss.config(clk)).Ready(context.Background()); err == nil {
		t.Fatal("Ready accepted an empty JWKS")
	}
}

func TestIssuerAndJWKSURIWithoutDiscovery(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	h := mustNew(t, apiauth.Config{
		Issuer: iss.Issuer(), JWKSURI: iss.URL() + "/.well-known/jwks.json",
		Audience: testAudience, HTTPClient: iss.srv.Client(), Now: clk.Now,
	}).Handler(okHandler)
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if got := iss.discoveryHits.Load(); got != 0 {
		t.Errorf("discovery fetched %d times", got)
	}
}

// TestRFC8414Fallback: an authorization server publishing only
// /.well-known/oauth-authorization-server is found as the Node SDK finds it.
func TestRFC8414Fallback(t *testing.T) {
	keys := testKeys()
	clk := newFakeClock()
	var base string
	jwks := newFakeIssuer(t)
	jwks.publish("k1", keys.rsa1, "RS256")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + base + `","jwks_uri":"` + jwks.URL() + `/.well-known/jwks.json"}`))
	}))
	defer srv.Close()
	base = srv.URL + "/tenant"
	h := mustNew(t, apiauth.Config{IssuerBaseURL: base, Audience: testAudience, HTTPClient: jwks.srv.Client(), Now: clk.Now}).Handler(okHandler)
	c := jwks.claims(clk)
	c["iss"] = base
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.rawBody)
	}
}
