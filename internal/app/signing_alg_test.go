package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"golang.org/x/oauth2/clientcredentials"
)

// TestSigningAlgorithmsPerAPI: an API whose signing_alg is ES256 or PS256 gets tokens signed so,
// verifiable through the published JWKS by an outside validator, while RS256 APIs keep their own
// key; every key set lives in the store, and a rotation rotates each algorithm in use. Other
// algorithms are refused.
func TestSigningAlgorithmsPerAPI(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	for _, api := range []struct{ name, identifier, alg string }{
		{"EC API", "https://ec.example.test", "ES256"}, {"PSS API", "https://pss.example.test", "PS256"},
	} {
		if status, out := m.do("POST", "resource-servers", map[string]any{"name": api.name, "identifier": api.identifier,
			"signing_alg": api.alg, "scopes": []map[string]string{{"value": "read:x"}}}); status != http.StatusCreated {
			t.Fatalf("create API: %d %v", status, out)
		}
		if status, out := m.do("POST", "client-grants", map[string]any{"client_id": n.tenant.M2MApp.ClientID,
			"audience": api.identifier, "scope": []string{"read:x"}}); status != http.StatusCreated {
			t.Fatalf("create grant: %d %v", status, out)
		}
	}
	for _, bad := range []string{"none", "HS512", "RS512", "EdDSA", "rs256"} {
		if status, out := m.do("POST", "resource-servers", map[string]any{"name": "Bad", "identifier": "https://bad.example.test/" + bad,
			"signing_alg": bad}); status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["message"]), "signing_alg") {
			t.Errorf("signing_alg %q: %d %v, want 400 naming signing_alg", bad, status, out)
		}
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
	kids := map[string]string{}
	for _, tc := range []struct{ audience, alg string }{{"https://ec.example.test", "ES256"}, {"https://pss.example.test", "PS256"},
		{"https://api.yourapp.com", "RS256"}} {
		raw := token(tc.audience)
		h := decodeJWTHeader(t, raw)
		if h["alg"] != tc.alg {
			t.Errorf("%s: alg %v; want %s", tc.audience, h["alg"], tc.alg)
		}
		kids[tc.alg] = h["kid"].(string)
		alg := validator.SignatureAlgorithm(tc.alg)
		v, err := validator.New(provider.KeyFunc, alg, n.issuer, []string{tc.audience})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.ValidateToken(ctx, raw); err != nil {
			t.Errorf("%s: go-jwt-middleware rejected the %s token: %v", tc.audience, tc.alg, err)
		}
	}
	// One rotation rotates every algorithm's keys; the JWKS lists three per algorithm.
	if status, out := m.do("POST", "keys/signing/rotate", nil); status/100 != 2 {
		t.Fatalf("rotate: %d %v", status, out)
	}
	_, list := m.do("GET", "keys/signing", nil)
	previous := map[string]bool{}
	for _, k := range list["list"].([]any) {
		k := k.(map[string]any)
		if k["previous"] == true {
			previous[fmt.Sprint(k["kid"])] = true
		}
	}
	for alg, kid := range kids {
		if !previous[kid] {
			t.Errorf("%s key %s is not previous after a rotation", alg, kid)
		}
	}
}
