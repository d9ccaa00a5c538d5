package upstream_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

func newPresetBroker(t *testing.T, c *domain.Connection, secret string) *upstream.Broker {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secrets, err := upstream.NewSecrets(key)
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretSealed, err = secrets.Seal(c.ID, secret); err != nil {
		t.Fatal(err)
	}
	return &upstream.Broker{Secrets: secrets, Policy: netguard.Policy{AllowPrivate: true}, Timeout: 2 * time.Second}
}

// startAt begins a sign-in and returns the request and the authorization URL's query.
func startAt(t *testing.T, b *upstream.Broker, c *domain.Connection) (*domain.UpstreamRequest, url.Values) {
	t.Helper()
	authURL, req, err := b.Begin(context.Background(), c, "http://127.0.0.1:1/login/callback", "tx1", "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	return req, u.Query()
}

// oauth2Provider is a Microsoft- or Facebook-shaped provider: a JSON token answer (with a
// refresh token) for the PKCE verifier of the challenge it was given, and a profile.
func oauth2Provider(t *testing.T, profilePath string, profile map[string]any) (*httptest.Server, *string) {
	var mu sync.Mutex
	challenge := new(string)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("client_secret") != "preset-secret" || base64.RawURLEncoding.EncodeToString(sum[:]) != *challenge {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"preset-at","refresh_token":"preset-rt","token_type":"Bearer","expires_in":3600}`))
	})
	mux.HandleFunc("GET "+profilePath, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer preset-at" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(profile)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, challenge
}

// TestSocialPresets: windowslive (Microsoft Graph's /me) and facebook (Graph /me with a nested
// picture) with their URLs pointed at loopback: the profile mapped as Auth0 names it, the address
// never taken as verified, the provider's tokens kept for the identity.
func TestSocialPresets(t *testing.T) {
	for _, tc := range []struct {
		strategy, path string
		profile        map[string]any
		scope          string
		want           upstream.Profile
	}{
		{domain.StrategyWindowsLive, "/v1.0/me", map[string]any{"id": "00000000-0000-0000-1234-56789abcdef0", "displayName": "Megan Bowen",
			"givenName": "Megan", "surname": "Bowen", "mail": "megan@outlook.example", "userPrincipalName": "megan@outlook.example"},
			"openid profile email offline_access User.Read",
			upstream.Profile{Subject: "00000000-0000-0000-1234-56789abcdef0", Email: "megan@outlook.example", Name: "Megan Bowen",
				Nickname: "megan@outlook.example", GivenName: "Megan", FamilyName: "Bowen"}},
		{domain.StrategyFacebook, "/me", map[string]any{"id": "10158", "name": "Fay Book", "first_name": "Fay", "last_name": "Book",
			"email": "fay@facebook.example", "picture": map[string]any{"data": map[string]any{"url": "https://graph.example/pic.jpg"}}},
			"email public_profile",
			upstream.Profile{Subject: "10158", Email: "fay@facebook.example", Name: "Fay Book", GivenName: "Fay", FamilyName: "Book",
				Picture: "https://graph.example/pic.jpg"}},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			srv, challenge := oauth2Provider(t, tc.path, tc.profile)
			c := &domain.Connection{ID: "con_" + tc.strategy, Name: tc.strategy, Strategy: tc.strategy, Realms: []string{tc.strategy},
				Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "preset-id",
					AuthorizationURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ProfileURL: srv.URL + tc.path}}}
			c.Options.ClientSecret = "preset-secret"
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			// Without overrides the preset names the provider's own URLs.
			bare := &domain.Connection{Strategy: tc.strategy}
			if e := bare.Endpoints(); !strings.HasPrefix(e.AuthorizationURL, "https://") || !strings.HasPrefix(e.ProfileURL, "https://") {
				t.Errorf("default endpoints %+v", e)
			}
			b := newPresetBroker(t, c, "preset-secret")
			req, q := startAt(t, b, c)
			if q.Get("scope") != tc.scope || q.Get("nonce") != "" {
				t.Errorf("authorization request %v", q)
			}
			*challenge = q.Get("code_challenge")
			prof, err := b.Finish(context.Background(), c, req, "http://127.0.0.1:1/login/callback", "code")
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Tokens = domain.IdPTokens{AccessToken: "preset-at", RefreshToken: "preset-rt", ExpiresIn: 3600}
			if *prof != want {
				t.Errorf("profile\n got %+v\nwant %+v", *prof, want)
			}
		})
	}
}

// apple is a Sign in with Apple-shaped provider: its token endpoint takes client_secret_post
// whose secret is an ES256 JWT signed with the team's key, and answers with an RS256 ID token.
type apple struct {
	srv       *httptest.Server
	idKey     *rsa.PrivateKey
	teamKey   *ecdsa.PrivateKey
	mu        sync.Mutex
	challenge string
	nonce     string
	secretErr error
}

func newApple(t *testing.T) (*apple, string) {
	a := &apple{}
	var err error
	if a.idKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if a.teamKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(a.teamKey)
	p8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &a.idKey.PublicKey, KeyID: "apple1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		secret, err := jwt.Parse(r.PostFormValue("client_secret"), func(tok *jwt.Token) (any, error) {
			if tok.Header["kid"] != "KEY123" {
				return nil, jwt.ErrTokenUnverifiable
			}
			return &a.teamKey.PublicKey, nil
		}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer("TEAM123"), jwt.WithSubject("com.example.web"),
			jwt.WithAudience(a.srv.URL), jwt.WithExpirationRequired())
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if err != nil || !secret.Valid || r.PostFormValue("client_id") != "com.example.web" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge {
			a.secretErr = err
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		now := time.Now()
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: a.idKey}, (&jose.SignerOptions{}).WithHeader("kid", "apple1"))
		claims, _ := json.Marshal(map[string]any{"iss": a.srv.URL, "aud": "com.example.web", "sub": "001234.abcdef.0987",
			"nonce": a.nonce, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "email": "x7@privaterelay.appleid.example",
			"email_verified": "true", "is_private_email": "true"})
		jws, _ := s.Sign(claims)
		idt, _ := jws.CompactSerialize()
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "apple-at", "refresh_token": "apple-rt", "token_type": "Bearer",
			"expires_in": 3600, "id_token": idt})
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a, p8
}

// TestAppleSignIn: the apple preset asks for form_post, signs its client secret with the team's
// key per request, and verifies Apple's ID token (its "true" string for email_verified taken as
// Apple means it). A secret that is not such a key is refused when the connection is saved.
func TestAppleSignIn(t *testing.T) {
	a, p8 := newApple(t)
	c := &domain.Connection{ID: "con_apple", Name: "apple", Strategy: domain.StrategyApple, Realms: []string{"apple"},
		Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "com.example.web", TeamID: "TEAM123", KeyID: "KEY123",
			Issuer: a.srv.URL, AuthorizationEndpoint: a.srv.URL + "/auth/authorize", TokenEndpoint: a.srv.URL + "/auth/token",
			JWKSURI: a.srv.URL + "/auth/keys"}}}
	c.Options.ClientSecret = p8
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	b := newPresetBroker(t, c, p8)
	if err := b.CheckConnection(context.Background(), c); err != nil {
		t.Fatalf("CheckConnection: %v", err)
	}
	req, q := startAt(t, b, c)
	if q.Get("response_mode") != "form_post" || q.Get("scope") != "openid name email" || q.Get("nonce") != req.Nonce {
		t.Fatalf("authorization request %v", q)
	}
	a.mu.Lock()
	a.challenge, a.nonce = q.Get("code_challenge"), req.Nonce
	a.mu.Unlock()
	prof, err := b.Finish(context.Background(), c, req, "http://127.0.0.1:1/login/callback", "code")
	if err != nil {
		t.Fatalf("Finish: %v (provider: %v)", err, a.secretErr)
	}
	if prof.Subject != "001234.abcdef.0987" || prof.Email != "x7@privaterelay.appleid.example" || !prof.EmailVerified ||
		prof.Tokens.RefreshToken != "apple-rt" {
		t.Errorf("profile %+v", prof)
	}

	// Refusals when saved: no team or key id; a secret that is not an EC P-256 PKCS #8 key.
	noTeam := *c
	noTeam.Options.TeamID = ""
	if err := noTeam.Validate(); err == nil || !strings.Contains(err.Error(), "team_id") {
		t.Errorf("apple without team_id: %v", err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(a.idKey)
	for _, bad := range []string{"not a key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}))} {
		wrong := *c
		wrong.Options.ClientSecret = bad
		if err := b.CheckConnection(context.Background(), &wrong); err == nil || !strings.Contains(err.Error(), "client_secret") {
			t.Errorf("apple with client_secret %.20q: %v", bad, err)
		}
	}
	gh := &domain.Connection{Name: "gh", Strategy: domain.StrategyGitHub, Realms: []string{"gh"},
		Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{ClientID: "x", ClientSecret: "y", TeamID: "T"}}}
	if err := gh.Validate(); err == nil || !strings.Contains(err.Error(), "team_id") {
		t.Errorf("team_id on github: %v", err)
	}
}
