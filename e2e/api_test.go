package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestAPIRejectsInvalidTokens is the guide's "Test token validation: send invalid token to API -
// should return 401", with the tokens its troubleshooting section warns about, against the seed
// app's API (sdk/apiauth) and real Gatehouse tokens.
func TestAPIRejectsInvalidTokens(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	app := MustStartSeedApp(t, ctx, g)

	m2m := mustClientCredentials(t, ctx, g, g.Tenant.M2MApp.ClientID, g.Tenant.M2MApp.ClientSecret, g.Tenant.API.Identifier)
	mgmt := mustClientCredentials(t, ctx, g, g.Tenant.ManagementAPI.ClientID, g.Tenant.ManagementAPI.ClientSecret, g.Tenant.ManagementAPI.Audience)
	forged := mustForgeToken(t, ctx, g)

	tests := []struct {
		name, path, authorization string
		want                      int
	}{
		{"public needs nothing", "/api/public", "", http.StatusOK},
		{"no token", "/api/private", "", http.StatusUnauthorized},
		{"jwt malformed", "/api/private", "Bearer not-a-jwt", http.StatusUnauthorized},
		{"signed by another key", "/api/private", "Bearer " + forged, http.StatusUnauthorized},
		{"token for another audience", "/api/private", "Bearer " + mgmt, http.StatusUnauthorized},
		{"tampered payload", "/api/private", "Bearer " + tamper(t, m2m), http.StatusUnauthorized},
		{"valid token", "/api/private", "Bearer " + m2m, http.StatusOK},
		{"valid token without admin:read", "/api/admin", "Bearer " + m2m, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, app.API+tt.path, nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d body %s, want %d", resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("401 without a Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// mustClientCredentials gets an access token with the client credentials grant (RFC 6749 §4.4).
func mustClientCredentials(t *testing.T, ctx context.Context, g *gatehouse, id, secret, audience string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.Issuer+"oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("client credentials for %s: status %d, %v", audience, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// mustForgeToken signs a token that claims everything right (issuer, audience, a kid from the
// JWKS) with a key that is not Gatehouse's.
func mustForgeToken(t *testing.T, ctx context.Context, g *gatehouse) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.Issuer+".well-known/jwks.json", nil)
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil || len(jwks.Keys) == 0 {
		t.Fatalf("JWKS: %v (%d keys)", err, len(jwks.Keys))
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": g.Issuer, "sub": "auth0|attacker", "aud": g.Tenant.API.Identifier,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "permissions": []string{"admin:read"},
	})
	tok.Header["kid"] = jwks.Keys[0].Kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper changes one character of the payload of a compact JWS, keeping it well-formed.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) < 10 {
		t.Fatalf("not a compact JWS")
	}
	p := []byte(parts[1])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}
