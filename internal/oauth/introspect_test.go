package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestIntrospection: RFC 7662 answers for every kind of token and asker. Active tokens carry their
// claims; everything else is {"active":false} alone, whatever the reason.
func TestIntrospection(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		web := e.firstTokens(t, webID) // Jane, for apiID, with a refresh token and an ID token
		webAT, webRT, webIDToken := web.body["access_token"].(string), web.body["refresh_token"].(string), web.body["id_token"].(string)
		m2m := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)})
		m2mAT := m2m.body["access_token"].(string)
		opaque := e.exchange(t, webID, e.mintCode(t, codeSpec{client: webID, scope: "openid profile"}), webCB, "").body["access_token"].(string)
		other := e.firstTokens(t, otherWebID)
		// The admin's token, then the admin blocked.
		blockedAT := e.exchange(t, webID, e.mintCode(t, codeSpec{client: webID, user: adminID, scope: "openid read:a", audience: apiID}), webCB, "").body["access_token"].(string)
		admin, err := e.Store.GetUser(context.Background(), adminID)
		must(t, err)
		admin.Blocked = true
		must(t, e.Store.UpdateUser(context.Background(), admin))
		// A rotated refresh token is no longer active.
		rotated := e.firstTokens(t, webID).body["refresh_token"].(string)
		if r := e.refresh(t, webID, rotated); r.status != 200 {
			t.Fatalf("refresh %d %s", r.status, r.raw)
		}

		introspect := func(id, secret, tok string, extra ...string) tokenAnswer {
			return e.call(t, "oauth/introspect", tokenCall{basicID: id, basicSecret: secret, body: form(append([]string{"token", tok}, extra...)...)})
		}
		for _, tc := range []struct {
			name        string
			id, secret  string
			token       string
			extra       []string
			wantActive  bool
			wantSub     string
			wantClient  string
			wantScope   string
			wantTypeHdr string
		}{
			{"own user access token", webID, webSecret, webAT, nil, true, userID, webID, "openid profile offline_access read:a", "Bearer"},
			{"the API's machine client sees a user token for its API", m2mID, m2mSecret, webAT, nil, true, userID, webID, "openid profile offline_access read:a", "Bearer"},
			{"own machine token", m2mID, m2mSecret, m2mAT, nil, true, m2mID + "@clients", m2mID, "read:a write:a", "Bearer"},
			{"own opaque userinfo token", webID, webSecret, opaque, nil, true, userID, webID, "openid profile", "Bearer"},
			{"own refresh token", webID, webSecret, webRT, []string{"token_type_hint", "refresh_token"}, true, userID, webID, "openid profile offline_access read:a", ""},
			{"own refresh token without a hint", webID, webSecret, webRT, nil, true, userID, webID, "openid profile offline_access read:a", ""},
			{"another client's user token, no grant on its API", otherWebID, webSecret, webAT, nil, false, "", "", "", ""},
			{"another client's refresh token", otherWebID, webSecret, webRT, nil, false, "", "", "", ""},
			{"the API's machine client and a refresh token", m2mID, m2mSecret, other.body["refresh_token"].(string), nil, false, "", "", "", ""},
			{"an ID token is not an access token", webID, webSecret, webIDToken, nil, false, "", "", "", ""},
			{"a blocked user's token", webID, webSecret, blockedAT, nil, false, "", "", "", ""},
			{"a rotated refresh token", webID, webSecret, rotated, nil, false, "", "", "", ""},
			{"garbage", webID, webSecret, "not-a-token", nil, false, "", "", "", ""},
			{"a tampered JWT", webID, webSecret, webAT[:len(webAT)-4] + "AAAA", nil, false, "", "", "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := introspect(tc.id, tc.secret, tc.token, tc.extra...)
				if a.status != 200 || a.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("%d %s", a.status, a.raw)
				}
				if a.body["active"] != tc.wantActive {
					t.Fatalf("active = %v, want %v: %s", a.body["active"], tc.wantActive, a.raw)
				}
				if !tc.wantActive {
					if len(a.body) != 1 {
						t.Fatalf("an inactive answer says more than active:false: %s", a.raw)
					}
					return
				}
				if a.body["sub"] != tc.wantSub || a.body["client_id"] != tc.wantClient || a.body["scope"] != tc.wantScope ||
					a.body["iss"] != e.Issuer || a.body["exp"] == nil {
					t.Fatalf("claims %s", a.raw)
				}
				if tc.wantTypeHdr != "" && a.body["token_type"] != tc.wantTypeHdr {
					t.Fatalf("token_type %v", a.body["token_type"])
				}
			})
		}

		// Expired: inactive once its lifetime has passed.
		e.Clock.Advance(25 * time.Hour)
		if a := introspect(m2mID, m2mSecret, m2mAT); a.body["active"] != false {
			t.Fatalf("expired token: %s", a.raw)
		}

		// Bad requests: the asker must authenticate as a confidential client and name a token.
		wantError(t, e.call(t, "oauth/introspect", tokenCall{body: form("client_id", spaID, "token", webAT)}), 401, "invalid_client", "")
		wantError(t, e.call(t, "oauth/introspect", tokenCall{basicID: webID, basicSecret: "wrong", body: form("token", webAT)}), 401, "invalid_client", "")
		wantError(t, e.call(t, "oauth/introspect", tokenCall{basicID: webID, basicSecret: webSecret, body: form("token_type_hint", "access_token")}), 400, "invalid_request", "Missing required parameter: token")
		wantError(t, e.call(t, "oauth/introspect", tokenCall{basicID: webID, basicSecret: webSecret, body: form("token", "a") + "&token=b"}), 400, "invalid_request", "")
	})
}

// TestRevokeOpaqueAccessToken: an opaque userinfo token revoked by its own client stops working at
// /userinfo and introspection; another client's revocation, and one of a JWT, change nothing.
func TestRevokeOpaqueAccessToken(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		opaque := e.exchange(t, webID, e.mintCode(t, codeSpec{client: webID, scope: "openid profile"}), webCB, "").body["access_token"].(string)
		jwtAT := e.firstTokens(t, webID).body["access_token"].(string)
		userinfo := func(tok string) int {
			req, _ := http.NewRequest(http.MethodGet, e.url("userinfo"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := e.Server.Client().Do(req)
			must(t, err)
			res.Body.Close()
			return res.StatusCode
		}
		revoke := func(id, secret, tok string) {
			if a := e.call(t, "oauth/revoke", tokenCall{basicID: id, basicSecret: secret, body: form("token", tok)}); a.status != 200 {
				t.Fatalf("revoke: %d %s", a.status, a.raw)
			}
		}
		active := func(tok string) any {
			return e.call(t, "oauth/introspect", tokenCall{basicID: webID, basicSecret: webSecret, body: form("token", tok)}).body["active"]
		}
		if userinfo(opaque) != 200 || active(opaque) != true {
			t.Fatal("opaque token not usable before revocation")
		}
		revoke(otherWebID, webSecret, opaque) // not its token: nothing happens, and nothing says so
		if userinfo(opaque) != 200 {
			t.Fatal("another client revoked the token")
		}
		revoke(webID, webSecret, opaque)
		if got := userinfo(opaque); got != http.StatusUnauthorized {
			t.Fatalf("userinfo after revocation: %d", got)
		}
		if active(opaque) != false {
			t.Fatal("introspection says a revoked token is active")
		}
		revoke(webID, webSecret, jwtAT) // a JWT cannot be revoked; the answer is 200 all the same
		if active(jwtAT) != true {
			t.Fatal("a JWT access token changed state on revocation")
		}
	})
}
