package apiauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

const testAudience = "https://api.yourapp.com"

// Keys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() struct {
	rsa1, rsa2, rsaOther *rsa.PrivateKey
	ec                   *ecdsa.PrivateKey
	ed                   ed25519.PrivateKey
} {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return struct {
		rsa1, rsa2, rsaOther *rsa.PrivateKey
		ec                   *ecdsa.PrivateKey
		ed                   ed25519.PrivateKey
	}{gen(), gen(), gen(), ec, ed}
})

// fakeClock is an injectable clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeIssuer is an authorization server on 127.0.0.1 (TLS, with its own CA)
// serving discovery and a JWKS the test controls, and counting requests.
type fakeIssuer struct {
	srv *httptest.Server

	mu           sync.Mutex
	keys         []jose.JSONWebKey
	jwksDelay    time.Duration
	jwksStatus   int
	discStatus   int
	cacheControl string
	issuer       string // advertised issuer; default srv.URL + "/"

	discoveryHits atomic.Int32
	jwksHits      atomic.Int32
}

func newFakeIssuer(tb testing.TB) *fakeIssuer {
	tb.Helper()
	f := &fakeIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.discoveryHits.Add(1)
		f.mu.Lock()
		status, iss := f.discStatus, f.issuer
		f.mu.Unlock()
		if status != 0 {
			http.Error(w, "unavailable", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss,
			"jwks_uri":                              f.srv.URL + "/.well-known/jwks.json",
			"authorization_endpoint":                f.srv.URL + "/authorize",
			"token_endpoint":                        f.srv.URL + "/oauth/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		f.jwksHits.Add(1)
		f.mu.Lock()
		delay, status, cc := f.jwksDelay, f.jwksStatus, f.cacheControl
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), f.keys...)}
		f.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if status != 0 {
			http.Error(w, "unavailable", status)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in one test
	f.srv.StartTLS()
	f.issuer = f.srv.URL + "/"
	tb.Cleanup(f.srv.Close)
	return f
}

// URL is the issuer base URL as the seed guide writes it: no trailing slash.
func (f *fakeIssuer) URL() string { return f.srv.URL }

// Issuer is the "iss" Auth0 puts in tokens: with the trailing slash.
func (f *fakeIssuer) Issuer() string { return f.srv.URL + "/" }

func (f *fakeIssuer) set(fn func(f *fakeIssuer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// publish adds the public half of key to the JWKS under kid, with "alg" like
// Auth0 (alg may be empty).
func (f *fakeIssuer) publish(kid string, key crypto.Signer, alg string) {
	f.set(func(f *fakeIssuer) {
		f.keys = append(f.keys, jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	})
}

// unpublish removes kid from the JWKS.
func (f *fakeIssuer) unpublish(kid string) {
	f.set(func(f *fakeIssuer) {
		var keep []jose.JSONWebKey
		for _, k := range f.keys {
			if k.KeyID != kid {
				keep = append(keep, k)
			}
		}
		f.keys = keep
	})
}

// config returns a Config for this issuer with the fake clock and a client
// trusting the server's certificate.
func (f *fakeIssuer) config(clk *fakeClock) apiauth.Config {
	return apiauth.Config{
		IssuerBaseURL: f.URL(),
		Audience:      testAudience,
		HTTPClient:    f.srv.Client(),
		Now:           clk.Now,
	}
}

// claims returns a valid Auth0-shaped access token payload at clk's time.
func (f *fakeIssuer) claims(clk *fakeClock) jwt.MapClaims {
	now := clk.Now()
	return jwt.MapClaims{
		"iss":   f.Issuer(),
		"sub":   "auth0|user1",
		"aud":   []string{testAudience, f.Issuer() + "userinfo"},
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"azp":   "client123",
		"scope": "openid profile email read:own_data",
	}
}

func sign(tb testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(method, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatalf("signing: %v", err)
	}
	return s
}

// response is what a test request produced.
type response struct {
	status    int
	challenge string
	body      map[string]any
	rawBody   string
}

// do sends a request with the given Authorization header values through h.
func do(tb testing.TB, h http.Handler, auth ...string) response {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/private", nil)
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	r := response{status: rec.Code, challenge: rec.Header().Get("WWW-Authenticate"), rawBody: string(raw)}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			tb.Errorf("body %q: %v", raw, err) // Errorf: do also runs on test goroutines
		}
	}
	return r
}

// okHandler answers 200 with the subject from the context.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := apiauth.ClaimsFrom(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject})
})

func mustNew(tb testing.TB, cfg apiauth.Config) *apiauth.Middleware {
	tb.Helper()
	m, err := apiauth.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
