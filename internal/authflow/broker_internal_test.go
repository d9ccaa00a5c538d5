package authflow

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

func TestUpstreamUserID(t *testing.T) {
	for _, tc := range []struct{ strategy, want string }{
		{domain.StrategyOIDC, "oidc|acme|abc"},
		{domain.StrategyOAuth2, "oauth2|acme|abc"},
		{domain.StrategyGitHub, "github|abc"},
		{domain.StrategyGoogle, "google-oauth2|abc"},
	} {
		if got := UpstreamUserID(&domain.Connection{Name: "acme", Strategy: tc.strategy}, "abc"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.strategy, got, tc.want)
		}
	}
}

// TestApplyProfile: the provider's attributes replace the user's, what it no longer sends stays,
// and neither a malformed email nor a picture that is not an http(s) URL is kept.
func TestApplyProfile(t *testing.T) {
	u := &domain.User{Email: "old@example.com", EmailVerified: true, Name: "Old", Picture: "https://p.example/old.png"}
	applyProfile(u, &upstream.Profile{Email: "New@Example.com", EmailVerified: false, Name: "New", Picture: "javascript:alert(1)"})
	if u.Email != "new@example.com" || u.EmailVerified || u.Name != "New" || u.Picture != "https://p.example/old.png" {
		t.Errorf("after the first update: %+v", u)
	}
	applyProfile(u, &upstream.Profile{Email: "not an address\r\nBcc: x", Nickname: "nick"})
	if u.Email != "new@example.com" || u.Nickname != "nick" || u.Name != "New" {
		t.Errorf("after the second update: %+v", u)
	}
}

func TestProviderError(t *testing.T) {
	if e := providerError("access_denied", "User said no"); e.Code != "access_denied" || e.Description != "User said no" {
		t.Errorf("access_denied: %+v", e)
	}
	if e := providerError("server_error", "stack trace …"); e.Code != "access_denied" || e.Description != "The identity provider answered server_error." {
		t.Errorf("other error: %+v", e)
	}
}
