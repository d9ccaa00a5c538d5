package webauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testClientID     = "client id:1" // a space and a colon exercise RFC 6749 §2.3.1 encoding
	testClientSecret = "s3cret/with:odd+chars"
	testSub          = "auth0|65a1b2c3d4e5f60718293a4b"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func signingKey(tb testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// testClock is a settable clock shared by the client and the fake issuer.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type grant struct {
	nonce, challenge, redirect, scope, audience string
}

type tokenCall struct {
	BasicUser, BasicPass string // raw (still form-encoded) Basic credentials
	Form                 url.Values
}

// fakeIssuer is an OpenID provider with Auth0's wire shapes: discovery, JWKS, /authorize,
// /oauth/token (code and rotating refresh grants), /v2/logout and /oidc/logout.
type fakeIssuer struct {
	srv   *httptest.Server
	clock *testClock
	key   *rsa.PrivateKey

	mu sync.Mutex
	// Knobs.
	mutateIDToken func(jwt.MapClaims) // change ID token claims before signing
	extraClaims   map[string]any
	expiresIn     int
	rotate        bool   // issue a new refresh token on every refresh
	refreshStatus int    // non-zero: refresh grant answers this status with invalid_grant
	signingMethod string // default RS256
	discoveredIss string // overrides the issuer in discovery
	// Called outside the lock before a refresh grant is handled and after it was answered, to
	// hold a grant at the issuer or wait for one.
	beforeRefresh, afterRefresh func()
	// Records.
	codes         map[string]grant
	refreshTokens map[string]issued // deleted when rotated
	accessTokens  map[string]issued
	tokenCalls    []tokenCall
	refreshCalls  int
}

// issued is what a token was issued for.
type issued struct{ scope, audience string }

func newFakeIssuer(tb testing.TB, clock *testClock) *fakeIssuer {
	f := &fakeIssuer{clock: clock, key: signingKey(tb), expiresIn: 86400, rotate: true,
		codes: map[string]grant{}, refreshTokens: map[string]issued{}, accessTokens: map[string]issued{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /.well-known/jwks.json", f.jwks)
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /oauth/token", f.token)
	f.srv = httptest.NewTLSServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) issuer() string { return f.srv.URL + "/" }

func (f *fakeIssuer) discovery(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	iss := f.issuer()
	if f.discoveredIss != "" {
		iss = f.discoveredIss
	}
	f.mu.Unlock()
	writeTestJSON(w, 200, map[string]any{
		"issuer":                 iss,
		"authorization_endpoint": f.srv.URL + "/authorize",
		"token_endpoint":         f.srv.URL + "/oauth/token",
		"jwks_uri":               f.srv.URL + "/.well-known/jwks.json",
		"end_session_endpoint":   f.srv.URL + "/oidc/logout",
		"userinfo_endpoint":      f.srv.URL + "/userinfo",
	})
}

func (f *fakeIssuer) jwks(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	writeTestJSON(w, 200, set)
}

func (f *fakeIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != testClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorize request", 400)
		return
	}
	code := randomString()
	f.mu.Lock()
	f.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"),
		scope: q.Get("scope"), audience: q.Get("audience")}
	f.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (f *fakeIssuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", 400)
		return
	}
	if r.PostForm.Get("grant_type") == "refresh_token" {
		f.mu.Lock()
		before, after := f.beforeRefresh, f.afterRefresh
		f.mu.Unlock()
		if before != nil {
			before()
		}
		if after != nil {
			defer after()
		}
	}
	call := tokenCall{Form: r.PostForm}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		call.BasicUser, call.BasicPass = u, p
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls = append(f.tokenCalls, call)
	if id != testClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(testClientSecret)) != 1 {
		writeTestJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok || g.redirect != r.PostForm.Get("redirect_uri"):
			writeTestJSON(w, 403, map[string]string{"error": "invalid_grant", "error_description": "Invalid authorization code"})
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			writeTestJSON(w, 403, map[string]string{"error": "invalid_grant", "error_description": "Failed to verify code verifier"})
		default:
			f.issueLocked(w, issued{g.scope, g.audience}, issued{g.scope, g.audience}, g.nonce, true)
		}
	case "refresh_token":
		f.refreshCalls++
		rt := r.PostForm.Get("refresh_token")
		rtFor, ok := f.refreshTokens[rt]
		if !ok || f.refreshStatus != 0 {
			status := f.refreshStatus
			if status == 0 {
				status = 403
			}
			writeTestJSON(w, status, map[string]string{"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})
			return
		}
		// Like Auth0: scope may narrow the grant, audience picks another API.
		atFor := rtFor
		if s := r.PostForm.Get("scope"); s != "" {
			for _, v := range strings.Fields(s) {
				if !strings.Contains(" "+rtFor.scope+" ", " "+v+" ") {
					writeTestJSON(w, 403, map[string]string{"error": "invalid_scope", "error_description": "Scope not granted."})
					return
				}
			}
			atFor.scope = s
		}
		if a := r.PostForm.Get("audience"); a != "" {
			atFor.audience = a
		}
		if f.rotate {
			delete(f.refreshTokens, rt)
		}
		f.issueLocked(w, atFor, rtFor, "", f.rotate)
	default:
		writeTestJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	}
}

// issueLocked answers a token response: an access token for at, and, when withRefresh is set and
// rt's scope has offline_access, a refresh token for rt.
func (f *fakeIssuer) issueLocked(w http.ResponseWriter, at, rt issued, nonce string, withRefresh bool) {
	now := f.clock.Now()
	claims := jwt.MapClaims{
		"iss": f.issuer(), "aud": testClientID, "sub": testSub,
		"iat": now.Unix(), "exp": now.Add(10 * time.Hour).Unix(),
		"name": "jane@example.com", "nickname": "jane", "email": "jane@example.com", "email_verified": true,
		"picture": "https://s.gravatar.com/avatar/x.png", "sid": "sid-1",
		"https://yourapp.com/roles": []string{"admin"},
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	for k, v := range f.extraClaims {
		claims[k] = v
	}
	if f.mutateIDToken != nil {
		f.mutateIDToken(claims)
	}
	method := jwt.SigningMethod(jwt.SigningMethodRS256)
	var key any = f.key
	if f.signingMethod == "HS256" {
		method, key = jwt.SigningMethodHS256, []byte(testClientSecret)
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = "k1"
	idToken, err := tok.SignedString(key)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	access := "at-" + randomString()
	f.accessTokens[access] = at
	resp := map[string]any{"access_token": access, "id_token": idToken, "token_type": "Bearer",
		"expires_in": f.expiresIn, "scope": at.scope}
	if withRefresh && strings.Contains(" "+rt.scope+" ", " offline_access ") {
		refresh := "rt-" + randomString()
		f.refreshTokens[refresh] = rt
		resp["refresh_token"] = refresh
	}
	w.Header().Set("Cache-Control", "no-store")
	writeTestJSON(w, 200, resp)
}

func (f *fakeIssuer) set(fn func(f *fakeIssuer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeIssuer) lastTokenCall() tokenCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls[len(f.tokenCalls)-1]
}

func (f *fakeIssuer) refreshTokenValid(rt string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.refreshTokens[rt]
	return ok
}

// accessTokenFor says what the access token was issued for.
func (f *fakeIssuer) accessTokenFor(at string) issued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accessTokens[at]
}

func (f *fakeIssuer) refreshCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshCalls
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
