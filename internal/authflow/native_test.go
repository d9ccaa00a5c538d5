package authflow_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// A native app registers http://127.0.0.1/callback and signs in on whatever port it listens on
// (RFC 8252 §7.3), always with PKCE; the code is bound to the URI it asked for, port included.
func TestNativeLoopbackSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	native := &domain.Client{ClientID: domain.NewClientID(), Name: "CLI", AppType: domain.AppTypeNative,
		Callbacks: []string{"http://127.0.0.1/callback", "http://[::1]/callback"}}
	domain.ApplyClientDefaults(native)
	must(t, native.Validate())
	must(t, e.st.CreateClient(context.Background(), native))
	if native.TokenEndpointAuthMethod != domain.AuthMethodNone || !native.HasGrant(domain.GrantAuthorizationCode) || !native.HasGrant(domain.GrantRefreshToken) {
		t.Fatalf("native defaults: %s %v", native.TokenEndpointAuthMethod, native.GrantTypes)
	}
	params := func(redirect string, pkce bool) url.Values {
		q := url.Values{"client_id": {native.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"n1"}}
		if pkce {
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
		}
		return q
	}
	for _, redirect := range []string{"http://127.0.0.1:49152/callback", "http://[::1]:8400/callback"} {
		q := e.signIn(t, e.browser(t), params(redirect, true))
		rec := e.redeem(t, q.Get("code"))
		if rec.RedirectURI != redirect || rec.CodeChallenge != challenge {
			t.Errorf("%s: code bound to %q, challenge %q", redirect, rec.RedirectURI, rec.CodeChallenge)
		}
	}
	// Without PKCE the request is refused, at the (matched) loopback URI.
	p := e.get(t, e.browser(t), "/authorize?"+params("http://127.0.0.1:49153/callback", false).Encode())
	if q := callbackQuery(t, p, "http://127.0.0.1:49153/callback"); q.Get("error") != "invalid_request" || q.Get("code") != "" {
		t.Errorf("without PKCE: %v", q)
	}
	// Look-alikes get Gatehouse's own error page: nothing is sent to them.
	for _, bad := range []string{"http://127.0.0.1.evil.test:8080/callback", "http://127.0.0.1:8080@evil.test/callback", "https://127.0.0.1:8080/callback"} {
		p := e.get(t, e.browser(t), "/authorize?"+params(bad, true).Encode())
		if p.status != 400 || p.location != "" {
			t.Errorf("%s: %d %q", bad, p.status, p.location)
		}
	}
}
