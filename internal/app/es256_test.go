package app_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"golang.org/x/oauth2/clientcredentials"
)

// TestES256API: an API whose signing_alg is ES256 gets ES256 tokens, verifiable through the published
// JWKS by an outside validator, while RS256 APIs keep their own key; both key sets live in the store.
func TestES256API(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	if status, out := m.do("POST", "resource-servers", map[string]any{"name": "EC API", "identifier": "https://ec.example.test",
		"signing_alg": "ES256", "scopes": []map[string]string{{"value": "read:ec"}}}); status != http.StatusCreated {
		t.Fatalf("create API: %d %v", status, out)
	}
	if status, out := m.do("POST", "client-grants", map[string]any{"client_id": n.tenant.M2MApp.ClientID,
		"audience": "https://ec.example.test", "scope": []string{"read:ec"}}); status != http.StatusCreated {
		t.Fatalf("create grant: %d %v", status, out)
	}
	ctx := context.Background()
	token := func(audience string) string {
		t.Helper()
		cc := clientcredentials.Config{ClientID: n.tenant.M2MApp.ClientID, ClientSecret: n.tenant.M2MApp.ClientSecret,
			TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {audience}}}
		tk, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("token for %s: %v", audience, err)
		}
		return tk.AccessToken
	}
	issuerURL, _ := url.Parse(n.issuer)
	provider := jwks.NewCachingProvider(issuerURL, time.Minute)
	for _, tc := range []struct{ audience, alg string }{{"https://ec.example.test", "ES256"}, {"https://api.yourapp.com", "RS256"}} {
		raw := token(tc.audience)
		if h := decodeJWTHeader(t, raw); h["alg"] != tc.alg {
			t.Errorf("%s: alg %v; want %s", tc.audience, h["alg"], tc.alg)
		}
		alg := validator.SignatureAlgorithm(tc.alg)
		v, err := validator.New(provider.KeyFunc, alg, n.issuer, []string{tc.audience})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.ValidateToken(ctx, raw); err != nil {
			t.Errorf("%s: go-jwt-middleware rejected the %s token: %v", tc.audience, tc.alg, err)
		}
	}
}
