package webauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

func validConfig() webauth.Config {
	return webauth.Config{
		Secret: testSecret, BaseURL: "http://localhost:3000", IssuerBaseURL: "https://tenant.example.com",
		ClientID: "id", ClientSecret: "secret",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*webauth.Config)
		wantErr string // "" means valid
	}{
		{"valid", func(*webauth.Config) {}, ""},
		{"loopback http issuer", func(c *webauth.Config) { c.IssuerBaseURL = "http://127.0.0.1:4433" }, ""},
		{"missing secret", func(c *webauth.Config) { c.Secret = "" }, "AUTH0_SECRET) is required"},
		{"short secret", func(c *webauth.Config) { c.Secret = strings.Repeat("a", 31) }, "at least 32"},
		{"short previous secret", func(c *webauth.Config) { c.PreviousSecrets = []string{"short"} }, "PreviousSecrets[0]"},
		{"missing base URL", func(c *webauth.Config) { c.BaseURL = "" }, "AUTH0_BASE_URL) is required"},
		{"relative base URL", func(c *webauth.Config) { c.BaseURL = "localhost:3000" }, "AUTH0_BASE_URL) must be an absolute"},
		{"base URL with query", func(c *webauth.Config) { c.BaseURL = "http://localhost:3000/?x=1" }, "query"},
		{"missing issuer", func(c *webauth.Config) { c.IssuerBaseURL = "" }, "AUTH0_ISSUER_BASE_URL) is required"},
		{"http issuer", func(c *webauth.Config) { c.IssuerBaseURL = "http://tenant.example.com" }, "must use https"},
		{"missing client id", func(c *webauth.Config) { c.ClientID = "" }, "AUTH0_CLIENT_ID"},
		{"missing client secret", func(c *webauth.Config) { c.ClientSecret = "" }, "AUTH0_CLIENT_SECRET"},
		{"scope without openid", func(c *webauth.Config) { c.Scope = "profile email" }, "openid"},
		{"bad auth method", func(c *webauth.Config) { c.TokenAuthMethod = "private_key_jwt" }, "TokenAuthMethod"},
		{"symmetric ID token alg", func(c *webauth.Config) { c.IDTokenSigningAlg = "HS256" }, "IDTokenSigningAlg"},
		{"relative route", func(c *webauth.Config) { c.Routes.Login = "login" }, "Routes.Login"},
		{"negative duration", func(c *webauth.Config) { c.Session.RollingDuration = -time.Second }, "RollingDuration"},
		{"bad cookie name", func(c *webauth.Config) { c.Session.Name = "app session" }, "Session.Name"},
		{"absolute LogoutReturnTo", func(c *webauth.Config) { c.LogoutReturnTo = "https://evil.example" }, "LogoutReturnTo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if c.Secret != "" && strings.Contains(err.Error(), c.Secret) {
				t.Error("error message contains the secret")
			}
			if _, err := webauth.New(c); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("AUTH0_SECRET", testSecret)
	t.Setenv("AUTH0_BASE_URL", "http://localhost:3000")
	t.Setenv("AUTH0_ISSUER_BASE_URL", "https://YOUR_DOMAIN.auth0.com")
	t.Setenv("AUTH0_CLIENT_ID", "your-client-id")
	t.Setenv("AUTH0_CLIENT_SECRET", "your-client-secret")
	t.Setenv("AUTH0_AUDIENCE", "https://api.yourapp.com")
	t.Setenv("AUTH0_SCOPE", "openid profile")
	t.Setenv("AUTH0_SESSION_ROLLING_DURATION", "3600")
	t.Setenv("AUTH0_SESSION_ABSOLUTE_DURATION", "")
	cfg, err := webauth.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secret != testSecret || cfg.BaseURL != "http://localhost:3000" || cfg.IssuerBaseURL != "https://YOUR_DOMAIN.auth0.com" ||
		cfg.ClientID != "your-client-id" || cfg.ClientSecret != "your-client-secret" || cfg.Audience != "https://api.yourapp.com" ||
		cfg.Scope != "openid profile" || cfg.Session.RollingDuration != time.Hour || cfg.Session.AbsoluteDuration != 0 {
		t.Errorf("FromEnv = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	t.Setenv("AUTH0_SESSION_ROLLING_DURATION", "1d")
	if _, err := webauth.FromEnv(); err == nil {
		t.Error("bad duration accepted")
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	clock := newClock()
	iss := newFakeIssuer(t, clock)
	cfg := validConfig()
	iss.set(func(f *fakeIssuer) { f.discoveredIss = "https://other-tenant.example.com/" })
	cfg.IssuerBaseURL = iss.srv.URL
	cfg.HTTPClient = iss.srv.Client()
	c, err := webauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Discover(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("Discover = %v", err)
	}
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/auth/login", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Location") != "" {
		t.Errorf("login with a bad issuer: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestDefaultIsAPIRequest(t *testing.T) {
	tests := []struct {
		path, accept string
		want         bool
	}{
		{"/api/data", "", true},
		{"/dashboard", "text/html,application/xhtml+xml", false},
		{"/dashboard", "application/json", true},
		{"/dashboard", "*/*", false},
		{"/apiary", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.path, nil)
		r.Header.Set("Accept", tt.accept)
		if got := webauth.DefaultIsAPIRequest(r); got != tt.want {
			t.Errorf("%s Accept=%q: %v, want %v", tt.path, tt.accept, got, tt.want)
		}
	}
}

func TestUserAccessors(t *testing.T) {
	u := webauth.User{"sub": "auth0|1", "roles": []any{"admin", 3, "user"}, "one": "x", "n": 2.0}
	if got := u.Strings("roles"); len(got) != 2 || got[0] != "admin" || got[1] != "user" {
		t.Errorf("Strings = %v", got)
	}
	if got := u.Strings("one"); len(got) != 1 || got[0] != "x" {
		t.Errorf("Strings(single) = %v", got)
	}
	if u.String("n") != "" || u.Claim("n") != 2.0 || u.Strings("missing") != nil || u.HasString("roles", "root") {
		t.Error("accessors misread non-string or missing claims")
	}
}
