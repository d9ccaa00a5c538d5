package domain_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestIdentifierFormats(t *testing.T) {
	checks := []struct {
		got     string
		pattern string
	}{
		{domain.NewClientID(), `^[A-Za-z0-9]{32}$`},
		{domain.NewClientSecret(), `^[A-Za-z0-9]{64}$`},
		{domain.NewUserID(), `^auth0\|[0-9a-f]{24}$`},
		{domain.NewRoleID(), `^rol_[A-Za-z0-9]{16}$`},
		{domain.NewClientGrantID(), `^cgr_[A-Za-z0-9]{16}$`},
		{domain.NewResourceServerID(), `^[0-9a-f]{24}$`},
		{domain.NewActionID(), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(c.pattern).MatchString(c.got) {
			t.Errorf("%q does not match %s", c.got, c.pattern)
		}
	}
	if domain.NewClientID() == domain.NewClientID() {
		t.Error("two client ids are equal")
	}
}

func TestUserDefaultsAndValidation(t *testing.T) {
	u := &domain.User{UserID: domain.NewUserID(), Email: " Jane.Doe@Example.com "}
	domain.ApplyUserDefaults(u)
	if u.Email != "jane.doe@example.com" || u.Name != "jane.doe@example.com" || u.Nickname != "jane.doe" {
		t.Errorf("defaults: email %q name %q nickname %q", u.Email, u.Name, u.Nickname)
	}
	if !strings.HasPrefix(u.Picture, "https://s.gravatar.com/avatar/") || !strings.Contains(u.Picture, "d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fja.png") {
		t.Errorf("picture %q", u.Picture)
	}
	if err := u.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if id := u.Identities(); id[0].Provider != "auth0" || id[0].Connection != domain.DefaultConnection || len(id[0].UserID) != 24 {
		t.Errorf("identities %+v", id)
	}
	bad := &domain.User{UserID: "nobar", Email: "not-an-email", Picture: "javascript:x"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "user_id") || !strings.Contains(err.Error(), "email") || !strings.Contains(err.Error(), "picture") {
		t.Errorf("Validate(bad) = %v", err)
	}
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"Sh0rt!":                  false,
		"alllowercase":            false,
		"lowerUPPER":              false,
		"lowerUPPER1":             true,
		"lower1!!":                true,
		"Correct Horse 9":         true,
		strings.Repeat("aA1", 50): false, // over 128 characters
	} {
		if err := domain.ValidatePassword("password", pw); (err == nil) != ok {
			t.Errorf("ValidatePassword(%q) = %v; want ok=%v", pw, err, ok)
		}
	}
}

func TestSecretHashing(t *testing.T) {
	h := domain.HashSecret("s3cret")
	if !domain.SecretMatches(h, "s3cret") || domain.SecretMatches(h, "s3creT") || domain.SecretMatches(nil, "") {
		t.Error("SecretMatches wrong")
	}
}

func TestResourceServerRules(t *testing.T) {
	rs := &domain.ResourceServer{Name: "Your App API", Identifier: "https://api.yourapp.com",
		Scopes: []domain.Scope{{Value: "read:own_data"}, {Value: "admin:read"}}}
	domain.ApplyResourceServerDefaults(rs)
	if err := rs.Validate(); err != nil {
		t.Fatal(err)
	}
	if rs.AccessTokenLifetime().Seconds() != 86400 || rs.WantsPermissionsClaim() {
		t.Errorf("defaults: lifetime %v, permissions claim %v", rs.AccessTokenLifetime(), rs.WantsPermissionsClaim())
	}
	rs.EnforcePolicies, rs.TokenDialect = true, domain.DialectAccessTokenAuthz
	if !rs.WantsPermissionsClaim() {
		t.Error("RBAC + access_token_authz should carry permissions")
	}
	rs.Scopes = append(rs.Scopes, domain.Scope{Value: "read:own_data"}, domain.Scope{Value: "has space"})
	rs.SigningAlg = "none"
	err := rs.Validate()
	for _, want := range []string{"scopes[2].value", "scopes[3].value", "signing_alg"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want a problem on %s", err, want)
		}
	}
}
