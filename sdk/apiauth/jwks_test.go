package apiauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// waitFor polls cond for up to two seconds: background refreshes finish on
// their own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestUnknownKIDBurst: 50 concurrent requests with an unknown kid cause
// exactly one JWKS refetch, and later ones wait for the cooldown.
func TestUnknownKIDBurst(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	m := mustNew(t, iss.config(clk))
	if err := m.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := iss.jwksHits.Load(); got != 1 {
		t.Fatalf("JWKS fetched %d times by Ready", got)
	}
	h := m.Handler(okHandler)
	unknown := "Bearer " + sign(t, jwt.SigningMethodRS256, "k-unknown", keys.rsa2, iss.claims(clk))
	// Slow the refetch so the whole burst arrives while it is in flight.
	iss.set(func(f *fakeIssuer) { f.jwksDelay = 100 * time.Millisecond })

	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = do(t, h, unknown).status
		}()
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != 401 {
			t.Fatalf("request %d: status %d", i, s)
		}
	}
	if got := iss.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (initial + one refetch)", got)
	}

	// Within the cooldown: no fetch at all.
	iss.set(func(f *fakeIssuer) { f.jwksDelay = 0 })
	clk.Advance(apiauth.DefaultJWKSRefetchCooldown - time.Second)
	do(t, h, unknown)
	if got := iss.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetched during cooldown: %d", got)
	}
	// After it: one more.
	clk.Advance(2 * time.Second)
	do(t, h, unknown)
	if got := iss.jwksHits.Load(); got != 3 {
		t.Fatalf("JWKS fetched %d times after cooldown, want 3", got)
	}
	// Known kids never fetch.
	good := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))
	for range 10 {
		if r := do(t, h, good); r.status != 200 {
			t.Fatalf("known kid: %d", r.status)
		}
	}
	if got := iss.jwksHits.Load(); got != 3 {
		t.Fatalf("known kid caused a fetch: %d", got)
	}
}

// TestKeyRotation: a new kid published after start-up is picked up by the
// refetch its first token causes; the old key keeps working while published.
func TestKeyRotation(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	old := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))
	if r := do(t, h, old); r.status != 200 {
		t.Fatalf("old key: %d", r.status)
	}

	clk.Advance(time.Hour)
	iss.publish("k2", keys.rsa2, "RS256")
	rotated := "Bearer " + sign(t, jwt.SigningMethodRS256, "k2", keys.rsa2, iss.claims(clk))
	if r := do(t, h, rotated); r.status != 200 {
		t.Fatalf("new key after rotation: %d %s", r.status, r.rawBody)
	}
	old = "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))
	if r := do(t, h, old); r.status != 200 {
		t.Fatalf("previous key still published: %d", r.status)
	}

	// A key published after a failed lookup is found once the cooldown ends.
	k3 := "Bearer " + sign(t, jwt.SigningMethodRS256, "k3", keys.rsaOther, iss.claims(clk))
	if r := do(t, h, k3); r.status != 401 {
		t.Fatalf("unpublished k3: %d", r.status)
	}
	iss.publish("k3", keys.rsaOther, "RS256")
	if r := do(t, h, k3); r.status != 401 {
		t.Fatalf("k3 within cooldown should still fail: %d", r.status)
	}
	clk.Advance(apiauth.DefaultJWKSRefetchCooldown)
	if r := do(t, h, k3); r.status != 200 {
		t.Fatalf("k3 after cooldown: %d %s", r.status, r.rawBody)
	}
}

// TestJWKSMaxAge: the cached set is refreshed in the background once the
// issuer's max-age (floored at one minute) passes, and a removed key then
// stops verifying.
func TestJWKSMaxAge(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	iss.publish("k2", keys.rsa2, "RS256")
	iss.set(func(f *fakeIssuer) { f.cacheControl = "public, max-age=15, stale-while-revalidate=15" })
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	tok := func() string { return "Bearer " + sign(t, jwt.SigningMethodRS256, "k2", keys.rsa2, iss.claims(clk)) }
	if r := do(t, h, tok()); r.status != 200 {
		t.Fatal(r.status)
	}
	iss.unpublish("k2")

	clk.Advance(30 * time.Second) // past max-age, under the one-minute floor
	do(t, h, tok())
	if got := iss.jwksHits.Load(); got != 1 {
		t.Fatalf("refreshed before the floor: %d fetches", got)
	}
	clk.Advance(31 * time.Second)
	if r := do(t, h, tok()); r.status != 200 {
		t.Fatalf("stale keys must keep serving during the refresh: %d", r.status)
	}
	waitFor(t, "background refresh", func() bool { return iss.jwksHits.Load() == 2 })
	waitFor(t, "k2 to be dropped", func() bool { return do(t, h, tok()).status == 401 })
}

func TestJWKSCacheTTLCapsMaxAge(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	iss.set(func(f *fakeIssuer) { f.cacheControl = "max-age=86400" })
	clk := newFakeClock()
	cfg := iss.config(clk)
	cfg.JWKSCacheTTL = 2 * time.Minute
	h := mustNew(t, cfg).Handler(okHandler)
	tok := func() string { return "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk)) }
	do(t, h, tok())
	clk.Advance(3 * time.Minute)
	do(t, h, tok())
	waitFor(t, "refresh at the configured TTL", func() bool { return iss.jwksHits.Load() == 2 })
}

// TestJWKSFailureKeepsKeys: a failed refresh keeps the old keys in use and is
// retried after a backoff rather than on every request.
func TestJWKSFailureKeepsKeys(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	tok := func() string { return "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk)) }
	do(t, h, tok())
	iss.set(func(f *fakeIssuer) { f.jwksStatus = http.StatusInternalServerError })
	clk.Advance(apiauth.DefaultJWKSCacheTTL + time.Second)
	if r := do(t, h, tok()); r.status != 200 {
		t.Fatalf("stale keys: %d", r.status)
	}
	waitFor(t, "failed refresh", func() bool { return iss.jwksHits.Load() == 2 })
	for range 20 {
		if r := do(t, h, tok()); r.status != 200 {
			t.Fatalf("keys dropped after a failed refresh: %d", r.status)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if got := iss.jwksHits.Load(); got != 2 {
		t.Fatalf("failed refresh retried without backoff: %d fetches", got)
	}
	iss.set(func(f *fakeIssuer) { f.jwksStatus = 0 })
	clk.Advance(2 * time.Second)
	do(t, h, tok())
	waitFor(t, "retry after backoff", func() bool { return iss.jwksHits.Load() == 3 })
}

// TestJWKSSkipsUnusableKeys: symmetric keys, private keys, encryption keys and
// short RSA keys are ignored; the usable key in the same set still works.
func TestJWKSSkipsUnusableKeys(t *testing.T) {
	keys := testKeys()
	clk := newFakeClock()
	var issuerURL string
	good, err := json.Marshal(map[string]any{"kty": "RSA", "kid": "good", "use": "sig", "alg": "RS256",
		"n": b64(keys.rsa1.N.Bytes()), "e": "AQAB"})
	if err != nil {
		t.Fatal(err)
	}
	private, err := json.Marshal(map[string]any{"kty": "RSA", "kid": "priv", "n": b64(keys.rsa2.N.Bytes()), "e": "AQAB",
		"d": b64(keys.rsa2.D.Bytes()), "p": b64(keys.rsa2.Primes[0].Bytes()), "q": b64(keys.rsa2.Primes[1].Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"keys":[` +
		`{"kty":"oct","kid":"hmac","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},` +
		`{"kty":"RSA","kid":"enc","use":"enc","n":"` + b64(keys.rsaOther.N.Bytes()) + `","e":"AQAB"},` +
		`{"kty":"RSA","kid":"short","n":"` + b64(make([]byte, 128)) + `","e":"AQAB"},` +
		`{"kty":"FUTURE","kid":"new"},` + string(private) + `,` + string(good) + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuerURL, "jwks_uri": issuerURL + ".well-known/jwks.json"})
		default:
			_, _ = w.Write([]byte(body))
		}
	}))
	defer srv.Close()
	issuerURL = srv.URL + "/"
	h := mustNew(t, apiauth.Config{IssuerBaseURL: srv.URL + "/", Audience: testAudience, Now: clk.Now}).Handler(okHandler)
	claims := jwt.MapClaims{"iss": issuerURL, "aud": testAudience, "sub": "auth0|user1", "exp": clk.Now().Add(time.Hour).Unix()}
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "good", keys.rsa1, claims)); r.status != 200 {
		t.Fatalf("usable key: %d %s", r.status, r.rawBody)
	}
	for _, kid := range []string{"hmac", "enc", "priv"} {
		key := keys.rsaOther
		if kid == "priv" {
			key = keys.rsa2
		}
		if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, kid, key, claims)); r.status != 401 {
			t.Errorf("kid %s accepted: %d", kid, r.status)
		}
	}
}

// TestDisallowedAlgNeverReachesKeys: the alg allow-list is applied before
// any key lookup, so a token with a refused alg and an unknown kid causes no
// JWKS fetch (and "none" or HS256 never meet a key).
func TestDisallowedAlgNeverReachesKeys(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	m := mustNew(t, iss.config(clk))
	if err := m.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := m.Handler(okHandler)
	for _, tok := range []string{
		sign(t, jwt.SigningMethodHS256, "new-kid", []byte("secret"), iss.claims(clk)),
		sign(t, jwt.SigningMethodRS512, "new-kid", keys.rsa1, iss.claims(clk)),
	} {
		if r := do(t, h, "Bearer "+tok); r.status != 401 {
			t.Fatalf("status %d", r.status)
		}
	}
	if got := iss.jwksHits.Load(); got != 1 {
		t.Fatalf("refused algs caused %d JWKS fetches", got-1)
	}
}
