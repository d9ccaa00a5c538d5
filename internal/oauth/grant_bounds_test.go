package oauth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestCodeReplayRevokesOnlyForItsOwnClient: replaying a spent code revokes what it issued only when
// the client it was issued to presents it; anyone else holding the code (with another client's
// credentials, or a public client's id without the PKCE verifier) changes nothing.
func TestCodeReplayRevokesOnlyForItsOwnClient(t *testing.T) {
	e := MustEnv(t, envOptions{})
	full := "openid offline_access read:a"

	t.Run("another confidential client", func(t *testing.T) {
		code := e.mintCode(t, codeSpec{scope: full, audience: apiID})
		first := e.exchange(t, webID, code, webCB, "")
		rt, _ := first.body["refresh_token"].(string)
		if first.status != 200 || rt == "" {
			t.Fatalf("%d %s", first.status, first.raw)
		}
		wantError(t, e.exchange(t, otherWebID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		if a := e.refresh(t, webID, rt); a.status != 200 {
			t.Fatalf("the owner's refresh token after another client replayed the code: %d %s", a.status, a.raw)
		}
	})
	t.Run("public client without its verifier", func(t *testing.T) {
		code := e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: full, audience: apiID, verifier: verifier})
		first := e.exchange(t, spaID, code, spaCB, verifier)
		rt, _ := first.body["refresh_token"].(string)
		if first.status != 200 || rt == "" {
			t.Fatalf("%d %s", first.status, first.raw)
		}
		wantError(t, e.exchange(t, spaID, code, spaCB, strings.Repeat("x", 43)), 400, "invalid_grant", "Invalid authorization code")
		next := e.refresh(t, spaID, rt)
		if next.status != 200 {
			t.Fatalf("refresh after a verifier-less replay: %d %s", next.status, next.raw)
		}
		// The real client replaying its own code (verifier and all) is the theft signal: revoke.
		wantError(t, e.exchange(t, spaID, code, spaCB, verifier), 400, "invalid_grant", "Invalid authorization code")
		if a := e.refresh(t, spaID, next.body["refresh_token"].(string)); a.status != 400 {
			t.Fatalf("refresh after the owner's replay: %d %s, want the family revoked", a.status, a.raw)
		}
	})
}

// TestNoRefreshTokenNoOfflineAccess: when no refresh token is issued (the API refuses offline access,
// or the client lacks the refresh grant), offline_access is not in the granted scope.
func TestNoRefreshTokenNoOfflineAccess(t *testing.T) {
	e := MustEnv(t, envOptions{})
	ctx := context.Background()
	noOffline := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: "No offline", Identifier: "https://no-offline.example.test",
		Scopes: []domain.Scope{{Value: "read:b"}}}
	domain.ApplyResourceServerDefaults(noOffline)
	must(t, e.Store.CreateResourceServer(ctx, noOffline))
	noRefresh := &domain.Client{ClientID: "noRefreshClient00000000000000001", Name: "No refresh", AppType: domain.AppTypeRegularWeb}
	domain.ApplyClientDefaults(noRefresh)
	noRefresh.SecretHash = domain.HashSecret(webSecret)
	noRefresh.Callbacks = []string{webCB}
	noRefresh.GrantTypes = []string{domain.GrantAuthorizationCode}
	must(t, e.Store.CreateClient(ctx, noRefresh))

	for _, tc := range []struct{ name, client, audience, want string }{
		{"API without offline access", webID, noOffline.Identifier, "openid read:b"},
		{"client without the refresh grant", noRefresh.ClientID, apiID, "openid read:a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope := "openid offline_access " + strings.TrimPrefix(tc.want, "openid ")
			a := e.exchange(t, tc.client, e.mintCode(t, codeSpec{client: tc.client, scope: scope, audience: tc.audience}), webCB, "")
			if a.status != 200 || a.body["refresh_token"] != nil {
				t.Fatalf("%d %s: want 200 and no refresh token", a.status, a.raw)
			}
			if a.body["scope"] != tc.want {
				t.Errorf("response scope %q, want %q", a.body["scope"], tc.want)
			}
			if _, c := decodeJWT(t, a.body["access_token"].(string)); c["scope"] != tc.want {
				got := c["scope"]
				t.Errorf("access token scope %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientCredentialsPermissionsMatchTheToken: a machine that narrows its token to some of its
// granted scopes presents only those in `permissions` too.
func TestClientCredentialsPermissionsMatchTheToken(t *testing.T) {
	e := MustEnv(t, envOptions{})
	must(t, e.Store.CreateClientGrant(context.Background(), &domain.ClientGrant{ID: domain.NewClientGrantID(),
		ClientID: noGrantID, Audience: rbacAPIID, Scope: []string{"read:own_data", "admin:read"}}))
	a := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", noGrantID,
		"client_secret", m2mSecret, "audience", rbacAPIID, "scope", "read:own_data")})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	_, claims := decodeJWT(t, a.body["access_token"].(string))
	perms, _ := claims["permissions"].([]any)
	if claims["scope"] != "read:own_data" || len(perms) != 1 || perms[0] != "read:own_data" {
		t.Errorf("scope %v permissions %v: want read:own_data alone in both", claims["scope"], perms)
	}
	if slices.Contains(perms, any("admin:read")) {
		t.Errorf("permissions carry admin:read, which this token did not ask for")
	}
}

// TestCodeReplayRevokesAccessToken: the owner presenting a spent code again also revokes the access
// token the first redemption issued: /userinfo refuses it from then on, whatever its form. Anyone
// else replaying the code changes nothing.
func TestCodeReplayRevokesAccessToken(t *testing.T) {
	e := MustEnv(t, envOptions{})
	userinfo := func(tb testing.TB, at string) (int, string) {
		tb.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.url("userinfo"), nil)
		req.Header.Set("Authorization", "Bearer "+at)
		res, err := e.Server.Client().Do(req)
		must(tb, err)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("WWW-Authenticate")
	}
	for _, tc := range []struct {
		name, scope, audience string
	}{
		{"JWT for an API, with a refresh token", "openid offline_access read:a", apiID},
		{"JWT for an API, no refresh token", "openid read:a", apiID},
		{"opaque userinfo token", "openid profile", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: tc.scope, audience: tc.audience})
			first := e.exchange(t, webID, code, webCB, "")
			at, _ := first.body["access_token"].(string)
			if first.status != 200 || at == "" {
				t.Fatalf("%d %s", first.status, first.raw)
			}
			if status, _ := userinfo(t, at); status != 200 {
				t.Fatalf("userinfo before the replay: %d", status)
			}
			// Another client replaying the code: nothing happens to the owner's token.
			wantError(t, e.exchange(t, otherWebID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
			if status, _ := userinfo(t, at); status != 200 {
				t.Fatalf("userinfo after another client's replay: %d", status)
			}
			// The owner replaying it: the token is refused, and stays refused.
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
			for i := 0; i < 2; i++ {
				status, challenge := userinfo(t, at)
				if status != 401 || !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, "revoked") {
					t.Fatalf("userinfo after the replay: %d %q", status, challenge)
				}
			}
			// A third use changes nothing more and fails the same way.
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		})
	}
	// A token of another, unreplayed exchange still works.
	fresh := e.exchange(t, webID, e.mintCode(t, codeSpec{scope: "openid", audience: apiID}), webCB, "")
	if status, _ := userinfo(t, fresh.body["access_token"].(string)); status != 200 {
		t.Fatalf("an unrelated token is refused: %d", status)
	}
}
