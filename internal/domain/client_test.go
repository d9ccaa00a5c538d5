package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func guideClient() *domain.Client {
	c := &domain.Client{
		Name:              "Your App",
		AppType:           domain.AppTypeRegularWeb,
		Callbacks:         []string{"http://localhost:3000/api/auth/callback", "https://yourapp.com/api/auth/callback"},
		AllowedLogoutURLs: []string{"http://localhost:3000", "https://yourapp.com"},
		WebOrigins:        []string{"http://localhost:3000", "https://yourapp.com"},
	}
	domain.ApplyClientDefaults(c)
	return c
}

func TestClientDefaultsNeverIncludeImplicit(t *testing.T) {
	for _, appType := range []string{domain.AppTypeRegularWeb, domain.AppTypeSPA, domain.AppTypeNative, domain.AppTypeNonInteractive} {
		c := &domain.Client{Name: "x", AppType: appType}
		domain.ApplyClientDefaults(c)
		if c.HasGrant(domain.GrantImplicit) {
			t.Errorf("%s: default grants %v include implicit", appType, c.GrantTypes)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: defaults do not validate: %v", appType, err)
		}
	}
	spa := &domain.Client{Name: "x", AppType: domain.AppTypeSPA}
	domain.ApplyClientDefaults(spa)
	if spa.IsConfidential() || spa.RefreshToken.RotationType != domain.RotationRotating {
		t.Errorf("SPA defaults: auth %q rotation %q", spa.TokenEndpointAuthMethod, spa.RefreshToken.RotationType)
	}
	web := guideClient()
	if web.IDTokenLifetime().Seconds() != 36000 || web.RefreshToken.TokenLifetime > 2592000 {
		t.Errorf("guide defaults: id token %v, refresh absolute %d", web.IDTokenLifetime(), web.RefreshToken.TokenLifetime)
	}
}

func TestClientValidateReportsEveryProblem(t *testing.T) {
	c := guideClient()
	c.Name = ""
	c.Callbacks = []string{"https://*.yourapp.com/cb", "http://evil.com/cb"}
	c.AllowedLogoutURLs = []string{"https://yourapp.com#x"}
	c.GrantTypes = []string{"authorization_code", "magic"}
	err := c.Validate()
	var errs domain.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v; want domain.Errors", err)
	}
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	for _, want := range []string{"name", "callbacks[0]", "callbacks[1]", "allowed_logout_urls[0]", "grant_types[1]"} {
		if !slices.Contains(fields, want) {
			t.Errorf("Validate() fields %v; missing %s", fields, want)
		}
	}
	if !strings.Contains(err.Error(), `"https://*.yourapp.com/cb" contains a wildcard`) {
		t.Errorf("message does not name the value: %v", err)
	}
}

func TestClientValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*domain.Client)
		field  string
	}{
		{"public app with secret", func(c *domain.Client) { c.AppType = domain.AppTypeSPA }, "token_endpoint_auth_method"},
		{"unknown app type", func(c *domain.Client) { c.AppType = "desktop" }, "app_type"},
		{"duplicate callback", func(c *domain.Client) { c.Callbacks = append(c.Callbacks, c.Callbacks[0]) }, "callbacks[2]"},
		{"origin with path", func(c *domain.Client) { c.WebOrigins = []string{"https://yourapp.com/app"} }, "web_origins[0]"},
		{"leeway too long", func(c *domain.Client) { c.RefreshToken.Leeway = 3600 }, "refresh_token.leeway"},
		{"bad rotation", func(c *domain.Client) { c.RefreshToken.RotationType = "sometimes" }, "refresh_token.rotation_type"},
		{"name with markup", func(c *domain.Client) { c.Name = "<b>x</b>" }, "name"},
		{"HS256 id tokens", func(c *domain.Client) { c.JWTConfiguration.Alg = "HS256" }, "jwt_configuration.alg"},
		{"third-party password grant", func(c *domain.Client) {
			c.IsFirstParty = false
			c.GrantTypes = []string{domain.GrantAuthorizationCode, domain.GrantPassword}
		}, "grant_types[1]"},
		{"third-party realm grant", func(c *domain.Client) {
			c.IsFirstParty = false
			c.GrantTypes = []string{domain.GrantPasswordRealm}
		}, "grant_types[0]"},
		{"third-party device flow", func(c *domain.Client) {
			c.IsFirstParty = false
			c.GrantTypes = []string{domain.GrantDeviceCode}
		}, "grant_types[0]"},
		{"refresh_token alone", func(c *domain.Client) {
			c.GrantTypes = []string{domain.GrantClientCredentials, domain.GrantRefreshToken}
		}, "grant_types[1]"},
	}
	for _, tt := range tests {
		c := guideClient()
		tt.mutate(c)
		err := c.Validate()
		var de *domain.Error
		if !errors.As(err, &de) {
			t.Errorf("%s: Validate() = %v; want a domain error", tt.name, err)
			continue
		}
		found := false
		for _, e := range err.(domain.Errors) {
			found = found || e.Field == tt.field
		}
		if !found {
			t.Errorf("%s: Validate() = %v; want a problem on %s", tt.name, err, tt.field)
		}
	}
	if err := guideClient().Validate(); err != nil {
		t.Fatalf("guide client: %v", err)
	}
}

func TestHasCallbackIsExact(t *testing.T) {
	c := guideClient()
	for _, uri := range []string{
		"http://localhost:3000/api/auth/callback/", "HTTP://localhost:3000/api/auth/callback",
		"http://localhost:3000/api/auth/Callback", "http://localhost:3000/api/auth/callback?x=1",
		"http://localhost:3000/api/auth/../auth/callback", "http://localhost:3000/api/auth/callback%2F",
		"http://localhost:3001/api/auth/callback", "http://localhost:3000/api/auth/callback#",
	} {
		if c.HasCallback(uri) {
			t.Errorf("HasCallback(%q) = true", uri)
		}
	}
	if !c.HasCallback("http://localhost:3000/api/auth/callback") {
		t.Error("registered callback not matched")
	}
}
