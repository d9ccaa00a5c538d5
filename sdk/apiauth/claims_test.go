package apiauth_test

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

func TestClaimsInContext(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	c := iss.claims(clk)
	c["permissions"] = []string{"read:own_data", "admin:read"}
	c["https://yourapp.com/roles"] = []string{"admin"}
	c["jti"] = "tok-1"
	c["nbf"] = clk.Now().Add(-time.Second).Unix()
	raw := sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)

	var got *apiauth.Claims
	h := mustNew(t, iss.config(clk)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = apiauth.ClaimsFrom(r.Context())
	}))
	if r := do(t, h, "Bearer "+raw); r.status != 200 || got == nil {
		t.Fatalf("status %d, claims %v", r.status, got)
	}
	now := clk.Now()
	checks := []struct {
		name string
		ok   bool
	}{
		{"Subject", got.Subject == "auth0|user1"},
		{"Issuer", got.Issuer == iss.Issuer()},
		{"Audience", slices.Equal(got.Audience, []string{testAudience, iss.Issuer() + "userinfo"})},
		{"Scope", slices.Equal(got.Scope, []string{"openid", "profile", "email", "read:own_data"})},
		{"Permissions", slices.Equal(got.Permissions, []string{"read:own_data", "admin:read"})},
		{"AuthorizedParty", got.AuthorizedParty == "client123"},
		{"ID", got.ID == "tok-1"},
		{"ExpiresAt", got.ExpiresAt.Equal(now.Add(time.Hour))},
		{"IssuedAt", got.IssuedAt.Equal(now)},
		{"NotBefore", got.NotBefore.Equal(now.Add(-time.Second))},
		{"HasScope", got.HasScope("read:own_data") && !got.HasScope("admin:read")},
		{"HasPermission", got.HasPermission("admin:read") && !got.HasPermission("admin:write")},
		{"Raw", got.Raw()["azp"] == "client123"},
		{"Header", got.Header()["kid"] == "k1" && got.KeyID == "k1" && got.Algorithm == "RS256" && got.Type == "JWT"},
		{"Token", got.Token == raw},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s wrong in %+v", c.name, got)
		}
	}
	var extra struct {
		Roles []string `json:"https://yourapp.com/roles"`
	}
	if err := got.Decode(&extra); err != nil || !slices.Equal(extra.Roles, []string{"admin"}) {
		t.Errorf("Decode: %v %v", extra, err)
	}
	p, err := got.Payload()
	if err != nil || !json.Valid(p) || !strings.Contains(string(p), `"sub":"auth0|user1"`) {
		t.Errorf("Payload: %s %v", p, err)
	}
}

// TestClaimsShapes covers RFC 9068 tokens (client_id instead of azp) and an
// array-valued scope, both read the way the Node SDK reads them.
func TestClaimsShapes(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	c := iss.claims(clk)
	delete(c, "azp")
	c["client_id"] = "m2m-client"
	c["scope"] = []string{"read:own_data", "write:own_data"}
	c["permissions"] = "not-an-array"
	var got *apiauth.Claims
	h := mustNew(t, iss.config(clk)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = apiauth.ClaimsFrom(r.Context())
	}), apiauth.RequiredScopes("write:own_data"))
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)); r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.rawBody)
	}
	if got.AuthorizedParty != "m2m-client" || len(got.Permissions) != 0 || !got.HasScope("read:own_data") {
		t.Errorf("claims %+v", got)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("AUTH0_ISSUER_BASE_URL", "https://tenant.example.com")
	t.Setenv("AUTH0_AUDIENCE", "https://api.yourapp.com")
	t.Setenv("ISSUER_BASE_URL", "https://ignored.example.com")
	t.Setenv("AUDIENCE", "ignored")
	t.Setenv("TOKEN_SIGNING_ALG", "PS256")
	c := apiauth.FromEnv()
	if c.IssuerBaseURL != "https://tenant.example.com" || c.Audience != "https://api.yourapp.com" ||
		!slices.Equal(c.Algorithms, []string{"PS256"}) {
		t.Fatalf("AUTH0_ variables: %+v", c)
	}
	t.Setenv("AUTH0_ISSUER_BASE_URL", "")
	t.Setenv("AUTH0_AUDIENCE", "")
	c = apiauth.FromEnv()
	if c.IssuerBaseURL != "https://ignored.example.com" || c.Audience != "ignored" {
		t.Fatalf("Node SDK variables: %+v", c)
	}
	if _, err := apiauth.New(c); err != nil {
		t.Fatalf("New(FromEnv()): %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	base := apiauth.Config{IssuerBaseURL: "https://tenant.example.com", Audience: testAudience}
	tests := []struct {
		name string
		mut  func(*apiauth.Config)
		want string
	}{
		{"no audience", func(c *apiauth.Config) { c.Audience = "" }, "Audience is required"},
		{"no issuer", func(c *apiauth.Config) { c.IssuerBaseURL = "" }, "IssuerBaseURL is required"},
		{"relative issuer", func(c *apiauth.Config) { c.IssuerBaseURL = "tenant.example.com" }, "not an absolute http(s) URL"},
		{"HS256", func(c *apiauth.Config) { c.Algorithms = []string{"RS256", "HS256"} }, `"HS256" is not supported`},
		{"none", func(c *apiauth.Config) { c.Algorithms = []string{"none"} }, `"none" is not supported`},
		{"lower-case alg", func(c *apiauth.Config) { c.Algorithms = []string{"rs256"} }, `"rs256" is not supported`},
		{"issuer without JWKS URI", func(c *apiauth.Config) { c.IssuerBaseURL = ""; c.Issuer = "https://x/" }, "IssuerBaseURL is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mut(&c)
			_, err := apiauth.New(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestErrorRendering(t *testing.T) {
	e := apiauth.InsufficientScope(`needs "admin"`+"\n\\", "a", "b")
	want := `Bearer realm="api", error="insufficient_scope", error_description="needs 'admin'  ", scope="a b"`
	if got := e.WWWAuthenticate(); got != want {
		t.Errorf("challenge %s, want %s", got, want)
	}
	if e.Status != http.StatusForbidden {
		t.Errorf("status %d", e.Status)
	}
}

// TestPayloadShapes signs hand-written payloads, so JSON spellings a Go
// encoder would normalise (escaped slashes, spacing, mixed arrays) reach the
// decoder as an issuer might send them.
func TestPayloadShapes(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	exp := strconv.FormatInt(clk.Now().Add(time.Hour).Unix(), 10)
	issJSON := `"` + iss.Issuer() + `"`
	tests := []struct {
		name    string
		extra   string // JSON members after iss and exp
		status  int
		desc    string
		inspect func(t *testing.T, c *apiauth.Claims)
	}{
		{"escaped slashes in aud", `"aud":["https:\/\/api.yourapp.com"]`, 200, "", nil},
		{"escaped aud string", `"aud":"https:\/\/api.yourapp.com"`, 200, "", nil},
		{"spaced array", `"aud" : [ "x" , "https://api.yourapp.com" ]`, 200, "", func(t *testing.T, c *apiauth.Claims) {
			if !slices.Equal(c.Audience, []string{"x", testAudience}) {
				t.Errorf("Audience %q", c.Audience)
			}
		}},
		{"empty aud array", `"aud":[]`, 401, "missing required 'aud' claim", nil},
		{"numeric aud", `"aud":7`, 401, "a registered claim has an invalid type", nil},
		{"aud array with a number", `"aud":["https://api.yourapp.com",7]`, 401, "a registered claim has an invalid type", nil},
		{"null aud", `"aud":null`, 401, "missing required 'aud' claim", nil},
		{"fractional exp", `"aud":"https://api.yourapp.com","nbf":` + strconv.FormatInt(clk.Now().Unix(), 10) + `.5`, 200, "", nil},
		{"mixed permissions", `"aud":"https://api.yourapp.com","permissions":["a",1,"b\u0021",null],"jti":7,"scope":"  read:own_data   write:own_data "`, 200, "",
			func(t *testing.T, c *apiauth.Claims) {
				if !slices.Equal(c.Permissions, []string{"a", "b!"}) || c.ID != "" ||
					!slices.Equal(c.Scope, []string{"read:own_data", "write:own_data"}) {
					t.Errorf("claims %+v", c)
				}
			}},
		{"unicode escapes in sub", `"aud":"https://api.yourapp.com","sub":"auth0|\u00e9l\u00e8ve"`, 200, "", func(t *testing.T, c *apiauth.Claims) {
			if c.Subject != "auth0|élève" {
				t.Errorf("Subject %q", c.Subject)
			}
		}},
		{"iss of the wrong type", `"aud":"https://api.yourapp.com","iss":1`, 401, "a registered claim has an invalid type", nil},
		{"duplicate aud members: last wins", `"aud":"https://api.yourapp.com","aud":"https://other"`, 401, "unexpected 'aud' claim value", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := `{"iss":` + issJSON + `,"exp":` + exp + `,` + tt.extra + `}`
			tok := signRaw(t, `{"alg":"RS256","kid":"k1","typ":"JWT"}`, payload, keys.rsa1)
			var got *apiauth.Claims
			h := mustNew(t, iss.config(clk)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = apiauth.ClaimsFrom(r.Context())
			}))
			r := do(t, h, "Bearer "+tok)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.status, r.rawBody)
			}
			if tt.desc != "" && r.body["error_description"] != tt.desc {
				t.Errorf("description %v, want %q", r.body["error_description"], tt.desc)
			}
			if tt.inspect != nil {
				tt.inspect(t, got)
			}
		})
	}
}

// signRaw signs header and payload JSON exactly as given with RS256.
func signRaw(tb testing.TB, header, payload string, key *rsa.PrivateKey) string {
	tb.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	sig, err := jwt.SigningMethodRS256.Sign(input, key)
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + b64(sig)
}
