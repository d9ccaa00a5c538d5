package domain_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestConnectionValidate(t *testing.T) {
	ok := func() *domain.Connection {
		c := &domain.Connection{ID: domain.NewConnectionID(), Name: "Username-Password-Authentication"}
		domain.ApplyConnectionDefaults(c)
		return c
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("default connection: %v", err)
	}
	cases := []struct {
		name   string
		change func(*domain.Connection)
		field  string
	}{
		{"bad name", func(c *domain.Connection) { c.Name = "has space" }, "name"},
		{"leading hyphen", func(c *domain.Connection) { c.Name = "-x" }, "name"},
		{"long name", func(c *domain.Connection) { c.Name = strings.Repeat("a", 129) }, "name"},
		{"unknown strategy", func(c *domain.Connection) { c.Strategy = "wsfed" }, "strategy"},
		{"samlp without its options", func(c *domain.Connection) { c.Strategy = "samlp" }, "options.signInEndpoint"},
		{"samlp option on a database connection", func(c *domain.Connection) { c.Options.SignInEndpoint = "https://idp.example/sso" }, "options"},
		{"unknown level", func(c *domain.Connection) { c.Options.PasswordPolicy = "strong" }, "options.passwordPolicy"},
		{"min length 0", func(c *domain.Connection) {
			c.Options.PasswordComplexityOptions = &domain.PasswordComplexityOptions{MinLength: 0}
		}, "options.password_complexity_options.min_length"},
		{"min length 129", func(c *domain.Connection) {
			c.Options.PasswordComplexityOptions = &domain.PasswordComplexityOptions{MinLength: 129}
		}, "options.password_complexity_options.min_length"},
		{"history 25", func(c *domain.Connection) {
			c.Options.PasswordHistory = &domain.PasswordHistoryOptions{Enable: true, Size: 25}
		}, "options.password_history.size"},
		{"dictionary too big", func(c *domain.Connection) {
			c.Options.PasswordDictionary = &domain.PasswordDictionaryOptions{Enable: true, Dictionary: make([]string, 201)}
		}, "options.password_dictionary.dictionary"},
		{"empty word", func(c *domain.Connection) {
			c.Options.PasswordDictionary = &domain.PasswordDictionaryOptions{Enable: true, Dictionary: []string{" "}}
		}, "options.password_dictionary.dictionary"},
		{"other realm", func(c *domain.Connection) { c.Realms = []string{"x"} }, "realms"},
	}
	for _, tc := range cases {
		c := ok()
		tc.change(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want a problem with %s", tc.name, err, tc.field)
		}
	}
	c := ok()
	c.Options.PasswordHistory = &domain.PasswordHistoryOptions{Enable: true}
	domain.ApplyConnectionDefaults(c)
	if c.Options.HistorySize() != 5 {
		t.Errorf("history default %d", c.Options.HistorySize())
	}
}

func TestUpstreamConnectionValidate(t *testing.T) {
	base := func(strategy string) *domain.Connection {
		c := &domain.Connection{Name: "up", Strategy: strategy, Options: domain.ConnectionOptions{UpstreamOptions: domain.UpstreamOptions{
			ClientID: "cid", ClientSecret: "secret"}}}
		domain.ApplyConnectionDefaults(c)
		return c
	}
	ok := []*domain.Connection{base(domain.StrategyGitHub), base(domain.StrategyGoogle)}
	o := base(domain.StrategyOIDC)
	o.Options.DiscoveryURL = "https://idp.example/.well-known/openid-configuration"
	ok = append(ok, o)
	o = base(domain.StrategyOIDC) // front_channel: no client secret
	o.Options.Issuer, o.Options.Type, o.Options.ClientSecret = "https://i/", "front_channel", ""
	ok = append(ok, o)
	ok = append(ok, base(domain.StrategyWindowsLive), base(domain.StrategyFacebook))
	o = base(domain.StrategyApple)
	o.Options.TeamID, o.Options.KeyID = "TEAM", "KEY"
	ok = append(ok, o)
	o = base(domain.StrategyOIDC)
	o.Options.Issuer, o.Options.AuthorizationEndpoint, o.Options.TokenEndpoint, o.Options.JWKSURI = "https://i/", "https://i/a", "https://i/t", "https://i/k"
	ok = append(ok, o)
	o = base(domain.StrategyOAuth2)
	o.Options.AuthorizationURL, o.Options.TokenURL, o.Options.ProfileURL = "https://p/a", "https://p/t", "https://p/me"
	o.Options.AttributeMap = &domain.AttributeMap{Attributes: map[string]string{"user_id": "uid"}}
	ok = append(ok, o)
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Strategy, err)
		}
		if c.Options.BruteForceProtection {
			t.Errorf("%s: brute-force protection on a connection without passwords", c.Strategy)
		}
	}
	cases := []struct {
		name  string
		c     func() *domain.Connection
		field string
	}{
		{"no client id", func() *domain.Connection { c := base(domain.StrategyGitHub); c.Options.ClientID = ""; return c }, "options.client_id"},
		{"no secret", func() *domain.Connection { c := base(domain.StrategyGitHub); c.Options.ClientSecret = ""; return c }, "options.client_secret"},
		{"oidc without issuer", func() *domain.Connection { return base(domain.StrategyOIDC) }, "options.discovery_url"},
		{"oidc partial endpoints", func() *domain.Connection {
			c := base(domain.StrategyOIDC)
			c.Options.Issuer, c.Options.TokenEndpoint = "https://i/", "https://i/t"
			return c
		}, "options"},
		{"oidc implicit type", func() *domain.Connection {
			c := base(domain.StrategyOIDC)
			c.Options.Issuer, c.Options.Type = "https://i/", "implicit"
			return c
		}, "options.type"},
		{"front channel on google", func() *domain.Connection {
			c := base(domain.StrategyGoogle)
			c.Options.Type = "front_channel"
			return c
		}, "options.type"},
		{"javascript url", func() *domain.Connection {
			c := base(domain.StrategyOIDC)
			c.Options.DiscoveryURL = "javascript:alert(1)"
			return c
		}, "options.discovery_url"},
		{"url with credentials", func() *domain.Connection {
			c := base(domain.StrategyGitHub)
			c.Options.TokenURL = "https://u:p@gh.example/t"
			return c
		}, "options.token_endpoint"},
		{"oauth2 without urls", func() *domain.Connection { return base(domain.StrategyOAuth2) }, "options"},
		{"oidc option on oauth2", func() *domain.Connection { c := base(domain.StrategyGitHub); c.Options.Issuer = "https://x/"; return c }, "options"},
		{"password option", func() *domain.Connection {
			c := base(domain.StrategyGitHub)
			c.Options.PasswordPolicy = "good"
			return c
		}, "options"},
		{"bad alias", func() *domain.Connection {
			c := base(domain.StrategyGoogle)
			c.Options.DomainAliases = []string{"Not A Domain"}
			return c
		}, "options.domain_aliases"},
		{"unknown mapped attribute", func() *domain.Connection {
			c := base(domain.StrategyGitHub)
			c.Options.AttributeMap = &domain.AttributeMap{Attributes: map[string]string{"app_metadata": "x"}}
			return c
		}, "options.attribute_map.attributes"},
		{"client id on database", func() *domain.Connection {
			c := base(domain.StrategyAuth0)
			c.Options.ClientSecret = ""
			return c
		}, "options"},
	}
	for _, tc := range cases {
		err := tc.c().Validate()
		if !hasProblem(err, tc.field) {
			t.Errorf("%s: %v, want a problem with %s", tc.name, err, tc.field)
		}
	}
}

func TestUpstreamEndpointsPresets(t *testing.T) {
	gh := &domain.Connection{Strategy: domain.StrategyGitHub}
	e := gh.Endpoints()
	if e.OIDC || e.AuthorizationURL != domain.GitHubAuthorizationURL || e.ProfileURL != domain.GitHubProfileURL || e.Attributes["nickname"] != "login" {
		t.Errorf("github preset: %+v", e)
	}
	gh.Options.TokenURL = "http://127.0.0.1:1/token"
	if got := gh.Endpoints().TokenURL; got != "http://127.0.0.1:1/token" {
		t.Errorf("override: %s", got)
	}
	g := &domain.Connection{Strategy: domain.StrategyGoogle}
	if e := g.Endpoints(); !e.OIDC || e.DiscoveryURL != "https://accounts.google.com/.well-known/openid-configuration" || e.Scopes[0] != "openid" {
		t.Errorf("google preset: %+v", e)
	}
	u := &domain.User{UserID: "oidc|acme|abc", Connection: "acme"}
	if id := u.Identities()[0]; id.Provider != "oidc" || id.UserID != "acme|abc" || id.IsSocial {
		t.Errorf("enterprise identity %+v", id)
	}
	u = &domain.User{UserID: "github|123", Connection: "github"}
	if id := u.Identities()[0]; id.Provider != "github" || id.UserID != "123" || !id.IsSocial {
		t.Errorf("social identity %+v", id)
	}
}

func hasProblem(err error, field string) bool {
	return err != nil && strings.Contains(err.Error(), field)
}
