package token_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/token"
)

// TestLogoutToken: OpenID Connect Back-Channel Logout 1.0 §2.4: typ logout+jwt, iss, aud the
// client, iat, exp, a fresh jti, sub and sid, the event, never a nonce; not usable as another kind of token.
func TestLogoutToken(t *testing.T) {
	iss, _, clk := MustIssuer(t)
	raw, err := iss.LogoutToken(context.Background(), "client-1", "auth0|u1", "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	h, c := decode(t, raw)
	if h["typ"] != "logout+jwt" || h["alg"] != "RS256" || h["kid"] == nil {
		t.Errorf("header %v", h)
	}
	ev, _ := c["events"].(map[string]any)
	if _, ok := ev[token.BackchannelLogoutEvent].(map[string]any); !ok {
		t.Errorf("events %v", c["events"])
	}
	if c["iss"] != iss.IssuerURL() || c["aud"] != "client-1" || c["sub"] != "auth0|u1" || c["sid"] != "sid-1" ||
		c["iat"] != float64(clk.Now().Unix()) || c["exp"] == nil || c["jti"] == nil {
		t.Errorf("claims %v", c)
	}
	if _, ok := c["nonce"]; ok {
		t.Error("a logout token carries a nonce")
	}
	again, _ := iss.LogoutToken(context.Background(), "client-1", "auth0|u1", "sid-1")
	if _, c2 := decode(t, again); c2["jti"] == c["jti"] {
		t.Error("two logout tokens share a jti")
	}
	// Explicit typing (RFC 8725 §3.11): a logout token is never taken for an access or ID token.
	if _, err := iss.Verify(context.Background(), raw, "client-1"); err == nil {
		t.Error("a logout token passed as an access token")
	}
}
