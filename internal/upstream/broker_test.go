package upstream_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// provider is an OpenID provider on loopback whose token endpoint checks the client secret and
// the PKCE verifier and answers with the ID token the test mints.
type provider struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	mu        sync.Mutex
	challenge string
	mint      func(p *provider, nonce string) string
	delay     time.Duration
	nonce     string
}

func newProvider(t *testing.T) *provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "HS256", "none"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay, challenge, nonce := p.delay, p.challenge, p.nonce
		p.mu.Unlock()
		time.Sleep(delay)
		id, secret, _ := r.BasicAuth()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if id != "cid" || secret != "the-secret" || r.PostFormValue("code") != "good-code" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60,
			"id_token": p.mint(p, nonce)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) sign(t *testing.T, alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (p *provider) claims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": p.srv.URL, "aud": "cid", "sub": "user-1", "nonce": nonce, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "email": "Ann@Example.com", "email_verified": true, "name": "Ann"}
}

func setup(t *testing.T) (*upstream.Broker, *provider, *domain.Connection) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secrets, err := upstream.NewSecrets(key)
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t)
	c := &domain.Connection{ID: "con_1", Name: "acme", Strategy: domain.StrategyOIDC,
		Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "cid", DiscoveryURL: p.srv.URL + "/.well-known/openid-configuration"}}}
	if c.SecretSealed, err = secrets.Seal(c.ID, "the-secret"); err != nil {
		t.Fatal(err)
	}
	b := &upstream.Broker{Secrets: secrets, Policy: netguard.Policy{AllowPrivate: true}, Timeout: 500 * time.Millisecond}
	return b, p, c
}

// begin starts a sign-in and records the PKCE challenge and nonce the provider will see.
func begin(t *testing.T, b *upstream.Broker, p *provider, c *domain.Connection) *domain.UpstreamRequest {
	t.Helper()
	authURL, req, err := b.Begin(context.Background(), c, "http://127.0.0.1:1/login/callback", "tx1", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if !strings.HasPrefix(authURL, p.srv.URL+"/authorize?") || q.Get("code_challenge_method") != "S256" || q.Get("nonce") != req.Nonce ||
		q.Get("client_id") != "cid" || !strings.Contains(q.Get("scope"), "openid") || q.Get("login_hint") != "ann@example.com" {
		t.Fatalf("authorization URL %s", authURL)
	}
	txID, secret, ok := upstream.SplitState(q.Get("state"))
	if !ok || txID != "tx1" || !upstream.StateMatches(req, secret) || upstream.StateMatches(req, secret+"x") {
		t.Fatalf("state %q does not round-trip", q.Get("state"))
	}
	if strings.Contains(authURL, req.CodeVerifier) {
		t.Fatal("the PKCE verifier left the server")
	}
	p.mu.Lock()
	p.challenge, p.nonce = q.Get("code_challenge"), req.Nonce
	p.mu.Unlock()
	return req
}

func TestOIDCSignIn(t *testing.T) {
	b, p, c := setup(t)
	p.mint = func(p *provider, nonce string) string { return p.sign(t, jose.RS256, p.key, p.claims(nonce)) }
	req := begin(t, b, p, c)
	prof, err := b.Finish(context.Background(), c, req, "http://127.0.0.1:1/login/callback", "good-code")
	if err != nil {
		t.Fatal(err)
	}
	if prof.Subject != "user-1" || prof.Email != "Ann@Example.com" || !prof.EmailVerified || prof.Name != "Ann" {
		t.Errorf("profile %+v", prof)
	}
}

// TestOIDCRefusals: every bad answer is access_denied (or temporarily_unavailable for a provider
// that does not answer in time) with a description that names no secret.
func TestOIDCRefusals(t *testing.T) {
	cases := []struct {
		name string
		mint func(t *testing.T, p *provider, nonce string) string
		code string
		want string
	}{
		{"wrong issuer", func(t *testing.T, p *provider, n string) string {
			cl := p.claims(n)
			cl["iss"] = "https://evil.example"
			return p.sign(t, jose.RS256, p.key, cl)
		}, "good-code", "access_denied"},
		{"wrong audience", func(t *testing.T, p *provider, n string) string {
			cl := p.claims(n)
			cl["aud"] = "another-client"
			return p.sign(t, jose.RS256, p.key, cl)
		}, "good-code", "access_denied"},
		{"nonce mismatch", func(t *testing.T, p *provider, n string) string { return p.sign(t, jose.RS256, p.key, p.claims(n+"x")) }, "good-code", "access_denied"},
		{"no nonce", func(t *testing.T, p *provider, n string) string {
			cl := p.claims(n)
			delete(cl, "nonce")
			return p.sign(t, jose.RS256, p.key, cl)
		}, "good-code", "access_denied"},
		{"expired", func(t *testing.T, p *provider, n string) string {
			cl := p.claims(n)
			cl["exp"] = time.Now().Add(-time.Hour).Unix()
			return p.sign(t, jose.RS256, p.key, cl)
		}, "good-code", "access_denied"},
		{"signed by another key", func(t *testing.T, p *provider, n string) string {
			return p.sign(t, jose.RS256, rsaKeyHolder, p.claims(n))
		}, "good-code", "access_denied"},
		{"HS256 keyed with the public key", func(t *testing.T, p *provider, n string) string {
			der, _ := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return p.sign(t, jose.HS256, pemKey, p.claims(n))
		}, "good-code", "access_denied"},
		{"alg none", func(t *testing.T, p *provider, n string) string {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`))
			b, _ := json.Marshal(p.claims(n))
			return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
		}, "good-code", "access_denied"},
		{"wrong code", func(t *testing.T, p *provider, n string) string { return p.sign(t, jose.RS256, p.key, p.claims(n)) }, "bad-code", "access_denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, p, c := setup(t)
			p.mint = func(p *provider, nonce string) string { return tc.mint(t, p, nonce) }
			req := begin(t, b, p, c)
			prof, err := b.Finish(context.Background(), c, req, "http://127.0.0.1:1/login/callback", tc.code)
			var ue *upstream.Error
			if prof != nil || !errors.As(err, &ue) || ue.Code != tc.want {
				t.Fatalf("got %+v, %v; want %s", prof, err, tc.want)
			}
			if strings.Contains(ue.Description, "the-secret") {
				t.Errorf("description leaks the secret: %s", ue.Description)
			}
		})
	}
}

var rsaKeyHolder = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func TestProviderSlowOrDown(t *testing.T) {
	b, p, c := setup(t)
	p.mint = func(p *provider, nonce string) string { return p.sign(t, jose.RS256, p.key, p.claims(nonce)) }
	req := begin(t, b, p, c)
	p.mu.Lock()
	p.delay = 3 * time.Second
	p.mu.Unlock()
	start := time.Now()
	_, err := b.Finish(context.Background(), c, req, "http://127.0.0.1:1/login/callback", "good-code")
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Code != "temporarily_unavailable" {
		t.Fatalf("slow provider: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the slow provider held the sign-in for %s; the timeout is 500ms", took)
	}

	// A provider that is down: its discovery document cannot be fetched.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	down := &domain.Connection{ID: "con_2", Name: "down", Strategy: domain.StrategyOIDC,
		Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "cid", Issuer: dead}}}
	_, _, err = b.Begin(context.Background(), down, "http://127.0.0.1:1/cb", "tx", "")
	if !errors.As(err, &ue) || ue.Code != "temporarily_unavailable" {
		t.Fatalf("provider down: %v", err)
	}
	// A discovery document naming another issuer than the connection.
	other := *c
	other.ID = "con_3"
	other.Options.Issuer = "https://idp.example"
	if _, _, err = b.Begin(context.Background(), &other, "http://127.0.0.1:1/cb", "tx", ""); !errors.As(err, &ue) {
		t.Fatalf("issuer mismatch in discovery: %v", err)
	}
}

func TestCheckConnectionAddressRule(t *testing.T) {
	c := &domain.Connection{Strategy: domain.StrategyGitHub, Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{
		ClientID: "id", TokenURL: "http://127.0.0.1:9/token"}}}
	prod := &upstream.Broker{Policy: netguard.Policy{}}
	err := prod.CheckConnection(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "options.token_endpoint") || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain http to loopback outside development: %v", err)
	}
	c.Options.TokenURL = "https://127.0.0.1:9/token"
	if err := prod.CheckConnection(context.Background(), c); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("loopback outside development: %v", err)
	}
	dev := &upstream.Broker{Policy: netguard.Policy{AllowPrivate: true}}
	c.Options.TokenURL = "http://127.0.0.1:9/token"
	if err := dev.CheckConnection(context.Background(), c); err != nil {
		t.Fatalf("loopback in development: %v", err)
	}
}

func TestSecretsBoundToConnection(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, _ := upstream.NewSecrets(key)
	sealed, err := s.Seal("con_a", "shh")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "shh") {
		t.Fatal("sealed secret holds the plaintext")
	}
	if got, err := s.Open("con_a", sealed); err != nil || got != "shh" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open("con_b", sealed); err == nil {
		t.Fatal("a secret sealed for one connection opened for another")
	}
}
