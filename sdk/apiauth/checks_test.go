package apiauth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

func TestChecks(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	m := mustNew(t, iss.config(clk))

	// The guide's user token: RBAC scopes and permissions, an Action's roles.
	claims := iss.claims(clk)
	claims["scope"] = "openid profile read:own_data write:own_data"
	claims["permissions"] = []string{"read:own_data", "write:own_data"}
	claims["https://yourapp.com/roles"] = []string{"user", "beta"}
	claims["org_id"] = "org_123"
	claims["email_verified"] = true
	claims["tier"] = 2
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, claims)

	const forbidden = `Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="admin:read"`
	tests := []struct {
		name      string
		check     apiauth.Check
		status    int
		challenge string
		desc      string
	}{
		{"required scope present", apiauth.RequiredScopes("read:own_data"), 200, "", ""},
		{"all required scopes present", apiauth.RequiredScopes("read:own_data", "write:own_data"), 200, "", ""},
		{"space-separated argument", apiauth.RequiredScopes("read:own_data write:own_data"), 200, "", ""},
		{"required scope missing", apiauth.RequiredScopes("admin:read"), 403, forbidden, "Insufficient Scope"},
		{"one of two scopes missing", apiauth.RequiredScopes("read:own_data", "admin:read"), 403,
			`Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="read:own_data admin:read"`,
			"Insufficient Scope"},
		{"scope prefix is not the scope", apiauth.RequiredScopes("read"), 403,
			`Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="read"`, "Insufficient Scope"},
		{"any scope: one present", apiauth.ScopeIncludesAny("admin:read", "write:own_data"), 200, "", ""},
		{"any scope: none present", apiauth.ScopeIncludesAny("admin:read"), 403, forbidden, "Insufficient Scope"},
		{"permission present", apiauth.RequiredPermissions("write:own_data"), 200, "", ""},
		{"permission missing", apiauth.RequiredPermissions("read:own_data", "admin:write"), 403,
			`Bearer realm="api", error="insufficient_scope", error_description="Insufficient Permissions", scope="read:own_data admin:write"`,
			"Insufficient Permissions"},
		{"claim equals string", apiauth.ClaimEquals("org_id", "org_123"), 200, "", ""},
		{"claim equals bool", apiauth.ClaimEquals("email_verified", true), 200, "", ""},
		{"claim equals number", apiauth.ClaimEquals("tier", 2), 200, "", ""},
		{"claim differs", apiauth.ClaimEquals("org_id", "org_999"), 401,
			`Bearer realm="api", error="invalid_token", error_description="Unexpected 'org_id' value"`, "Unexpected 'org_id' value"},
		{"organization present", apiauth.RequireOrganization(), 200, "", ""},
		{"organization one of the ids", apiauth.RequireOrganization("org_999", "org_123"), 200, "", ""},
		{"organization not one of the ids", apiauth.RequireOrganization("org_999"), 401,
			`Bearer realm="api", error="invalid_token", error_description="Unexpected 'org_id' value"`, "Unexpected 'org_id' value"},
		{"organization name without org_name", apiauth.RequireOrganization("org_123x", "acme"), 401,
			`Bearer realm="api", error="invalid_token", error_description="Unexpected 'org_id' value"`, "Unexpected 'org_id' value"},
		{"claim absent", apiauth.ClaimEquals("nope", nil), 401,
			`Bearer realm="api", error="invalid_token", error_description="Unexpected 'nope' value"`, "Unexpected 'nope' value"},
		{"claim includes (array)", apiauth.ClaimIncludes("https://yourapp.com/roles", "user", "beta"), 200, "", ""},
		{"claim includes (space list)", apiauth.ClaimIncludes("scope", "openid", "profile"), 200, "", ""},
		{"claim lacks a value", apiauth.ClaimIncludes("https://yourapp.com/roles", "admin"), 401,
			`Bearer realm="api", error="invalid_token", error_description="Unexpected 'https://yourapp.com/roles' value"`,
			"Unexpected 'https://yourapp.com/roles' value"},
		{"claim check passes", apiauth.ClaimCheck(func(c *apiauth.Claims) error { return nil }), 200, "", ""},
		{"claim check plain error", apiauth.ClaimCheck(func(c *apiauth.Claims) error {
			return errors.New(`need "admin" role`)
		}), 401, `Bearer realm="api", error="invalid_token", error_description="need 'admin' role"`, `need "admin" role`},
		{"claim check typed error", apiauth.ClaimCheck(func(c *apiauth.Claims) error {
			var extra struct {
				Roles []string `json:"https://yourapp.com/roles"`
			}
			if err := c.Decode(&extra); err != nil {
				return err
			}
			for _, r := range extra.Roles {
				if r == "admin" {
					return nil
				}
			}
			return apiauth.InsufficientScope("admin role required")
		}), 403, `Bearer realm="api", error="insufficient_scope", error_description="admin role required"`, "admin role required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, h := range map[string]http.Handler{
				"Handler": m.Handler(okHandler, tt.check),
				"Require": m.Handler(apiauth.Require(tt.check)(okHandler)),
			} {
				r := do(t, h, tok)
				if r.status != tt.status || r.challenge != tt.challenge {
					t.Fatalf("got %d %q, want %d %q", r.status, r.challenge, tt.status, tt.challenge)
				}
				if tt.desc != "" && r.body["error_description"] != tt.desc {
					t.Errorf("body %s, want description %q", r.rawBody, tt.desc)
				}
			}
		})
	}
}

func TestChecksRunInOrderAfterValidation(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	called := false
	spy := apiauth.ClaimCheck(func(*apiauth.Claims) error { called = true; return nil })
	h := mustNew(t, iss.config(clk)).Handler(okHandler, apiauth.RequiredScopes("admin:read"), spy)
	c := iss.claims(clk)
	c["exp"] = clk.Now().Add(-time.Hour).Unix()
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)); r.status != 401 {
		t.Fatalf("expired token reached checks: %d", r.status)
	}
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))); r.status != 403 {
		t.Fatalf("status %d", r.status)
	}
	if called {
		t.Error("a check ran after an earlier one rejected")
	}
}

func TestRequireWithoutMiddleware(t *testing.T) {
	h := apiauth.Require(apiauth.RequiredScopes("read:own_data"))(okHandler)
	if r := do(t, h); r.status != 401 || r.challenge != `Bearer realm="api"` {
		t.Fatalf("got %d %q", r.status, r.challenge)
	}
	// Handlers' own tests can inject claims directly.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(apiauth.ContextWithClaims(req.Context(), &apiauth.Claims{Subject: "auth0|user1", Scope: []string{"read:own_data"}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("with injected claims: %d", rec.Code)
	}
}

func TestClaimEqualsRejectsNonPrimitive(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ClaimEquals accepted a slice")
		}
	}()
	apiauth.ClaimEquals("roles", []string{"admin"})
}

// TestCustomErrorHandler maps every rejection to the guide's Express
// handler: 401 {"error":"Invalid or missing token"} for unauthorized, and
// keeps 403 for scopes, also for rejections by Require.
func TestCustomErrorHandler(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	cfg := iss.config(clk)
	var seen []*apiauth.Error
	cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err *apiauth.Error) {
		seen = append(seen, err)
		w.Header().Set("Content-Type", "application/json")
		if err.Status == http.StatusUnauthorized {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "Invalid or missing token"})
			return
		}
		apiauth.WriteError(w, err)
	}
	m := mustNew(t, cfg)
	h := m.Handler(apiauth.Require(apiauth.RequiredScopes("admin:read"))(okHandler))

	if r := do(t, h); r.status != 401 || r.body["error"] != "Invalid or missing token" {
		t.Fatalf("missing token: %d %s", r.status, r.rawBody)
	}
	if r := do(t, h, "Bearer not.a.jwt"); r.status != 401 || r.body["error"] != "Invalid or missing token" {
		t.Fatalf("bad token: %d %s", r.status, r.rawBody)
	}
	r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk)))
	if r.status != 403 || r.body["error"] != "insufficient_scope" {
		t.Fatalf("missing scope: %d %s", r.status, r.rawBody)
	}
	if len(seen) != 3 || !errors.Is(seen[0], apiauth.ErrMissingToken) || seen[1].Code != apiauth.CodeInvalidToken ||
		seen[2].Code != apiauth.CodeInsufficientScope {
		t.Errorf("handler saw %v", seen)
	}
}

func TestCredentialsOptional(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	cfg := iss.config(clk)
	cfg.CredentialsOptional = true
	var sawClaims bool
	h := mustNew(t, cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sawClaims = apiauth.ClaimsFrom(r.Context())
	}))
	if r := do(t, h); r.status != 200 || sawClaims {
		t.Fatalf("anonymous: %d claims=%v", r.status, sawClaims)
	}
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))); r.status != 200 || !sawClaims {
		t.Fatalf("with token: %d claims=%v", r.status, sawClaims)
	}
	if r := do(t, h, "Bearer garbage"); r.status != 401 {
		t.Fatalf("an invalid token must still be rejected: %d", r.status)
	}
	// Checks never pass without claims, whichever way they are attached.
	m := mustNew(t, cfg)
	for name, guarded := range map[string]http.Handler{
		"Handler": m.Handler(okHandler, apiauth.RequiredScopes("read:own_data")),
		"Require": m.Handler(apiauth.Require(apiauth.RequiredScopes("read:own_data"))(okHandler)),
	} {
		if r := do(t, guarded); r.status != 401 || r.challenge != `Bearer realm="api"` {
			t.Errorf("%s: anonymous request with a check: %d %q", name, r.status, r.challenge)
		}
	}
}

// RequireOrganization refuses a token without org_id, and matches names against org_name.
func TestRequireOrganizationNamesAndAbsence(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	m := mustNew(t, iss.config(clk))
	named := iss.claims(clk)
	named["org_id"], named["org_name"] = "org_123", "acme"
	plain := iss.claims(clk)
	for _, tt := range []struct {
		name   string
		claims map[string]any
		check  apiauth.Check
		status int
		desc   string
	}{
		{"name matches in any case", named, apiauth.RequireOrganization("ACME"), 200, ""},
		{"id matches", named, apiauth.RequireOrganization("org_123"), 200, ""},
		{"other name", named, apiauth.RequireOrganization("globex"), 401, "Unexpected 'org_id' value"},
		{"no organization", plain, apiauth.RequireOrganization(), 401, "Missing 'org_id' claim"},
		{"no organization, names given", plain, apiauth.RequireOrganization("acme"), 401, "Missing 'org_id' claim"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, m.Handler(okHandler, tt.check), "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, tt.claims))
			if r.status != tt.status || (tt.desc != "" && r.body["error_description"] != tt.desc) {
				t.Fatalf("got %d %s; want %d %q", r.status, r.rawBody, tt.status, tt.desc)
			}
		})
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := apiauth.ClaimsFrom(r.Context())
		id, name := c.Organization()
		_, _ = w.Write([]byte(id + " " + name))
	}))
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, named)); r.rawBody != "org_123 acme" {
		t.Fatalf("Organization() = %q", r.rawBody)
	}
}
