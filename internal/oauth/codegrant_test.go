package oauth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
)

func wantError(tb testing.TB, a tokenAnswer, status int, code, desc string) {
	tb.Helper()
	if a.status != status || a.body["error"] != code || (desc != "" && a.body["error_description"] != desc) {
		tb.Fatalf("got %d %s, want %d %s %q", a.status, a.raw, status, code, desc)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		tb.Errorf("error not marked no-store")
	}
}

func TestPKCE(t *testing.T) {
	e := MustEnv(t, envOptions{})
	const other = "another-verifier-of-sufficient-length-0123456789abcdef"
	for _, tc := range []struct {
		name     string
		client   string
		spec     codeSpec
		verifier string
		ok       bool
	}{
		{"S256 with the right verifier", webID, codeSpec{verifier: verifier}, verifier, true},
		{"public client with PKCE", spaID, codeSpec{client: spaID, redirect: spaCB, verifier: verifier}, verifier, true},
		{"confidential client without PKCE", webID, codeSpec{}, "", true},
		{"missing verifier", webID, codeSpec{verifier: verifier}, "", false},
		{"wrong verifier", webID, codeSpec{verifier: verifier}, other, false},
		{"verifier too short", webID, codeSpec{verifier: "short"}, "short", false},
		{"plain method refused", webID, codeSpec{verifier: verifier, method: "plain"}, verifier, false},
		{"verifier without challenge", webID, codeSpec{}, verifier, false},
		{"public client without PKCE", spaID, codeSpec{client: spaID, redirect: spaCB}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.scope = "openid"
			redirect := webCB
			if tc.client == spaID {
				redirect = spaCB
			}
			a := e.exchange(t, tc.client, e.mintCode(t, tc.spec), redirect, tc.verifier)
			if tc.ok {
				if a.status != 200 || a.body["id_token"] == nil {
					t.Fatalf("%d %s", a.status, a.raw)
				}
				return
			}
			wantError(t, a, 400, "invalid_grant", "Failed to verify code verifier")
		})
	}
}

func TestCodeRules(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		ctx := context.Background()
		full := "openid profile email offline_access read:a"

		t.Run("replay revokes the refresh family", func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: full, audience: apiID})
			first := e.exchange(t, webID, code, webCB, "")
			if first.status != 200 || first.body["refresh_token"] == nil {
				t.Fatalf("%d %s", first.status, first.raw)
			}
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
			wantError(t, e.refresh(t, webID, first.body["refresh_token"].(string)), 400, "invalid_grant", "Unknown or invalid refresh token.")
		})
		t.Run("another client's code", func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: "openid"})
			wantError(t, e.exchange(t, otherWebID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
			// The code is spent: its own client cannot use it after the attempt either.
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		})
		t.Run("unknown code", func(t *testing.T) {
			wantError(t, e.exchange(t, webID, "nope", webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		})
		t.Run("missing code", func(t *testing.T) {
			wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", "authorization_code", "client_id", webID, "client_secret", webSecret)}),
				400, "invalid_request", "Missing required parameter: code")
		})
		t.Run("expired code", func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: "openid"})
			e.Clock.Advance(61 * time.Second)
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "Invalid authorization code")
		})
		t.Run("redirect_uri differs", func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: "openid"})
			wantError(t, e.exchange(t, webID, code, webCB+"/", ""), 400, "invalid_grant", "The redirect URI is wrong. You send "+webCB+"/, and we expected "+webCB)
		})
		t.Run("blocked user", func(t *testing.T) {
			code := e.mintCode(t, codeSpec{scope: "openid", user: blockedID})
			wantError(t, e.exchange(t, webID, code, webCB, ""), 400, "invalid_grant", "user is blocked")
		})
		t.Run("no refresh token when the API disallows offline access", func(t *testing.T) {
			a := e.exchange(t, webID, e.mintCode(t, codeSpec{scope: full, audience: e.Issuer + "api/v2/"}), webCB, "")
			if a.status != 200 || a.body["refresh_token"] != nil {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		})
		t.Run("scope: unknown API permissions dropped, openid keeps the userinfo audience", func(t *testing.T) {
			a := e.exchange(t, webID, e.mintCode(t, codeSpec{scope: "openid read:a nope:x", audience: apiID}), webCB, "")
			if a.status != 200 || a.body["scope"] != "openid read:a" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		})
		t.Run("RBAC: scope limited to the user's permissions, permissions claim lists all", func(t *testing.T) {
			for _, u := range []struct{ id, scope, perms string }{
				{userID, "openid read:own_data", "read:own_data"},
				{adminID, "openid read:own_data admin:read", "admin:read read:own_data"},
			} {
				a := e.exchange(t, webID, e.mintCode(t, codeSpec{user: u.id, scope: "openid read:own_data admin:read", audience: rbacAPIID}), webCB, "")
				if a.status != 200 || a.body["scope"] != u.scope {
					t.Fatalf("%s: %d %s", u.id, a.status, a.raw)
				}
				c, err := e.Tokens.Verify(ctx, a.body["access_token"].(string), rbacAPIID)
				must(t, err)
				if strings.Join(c.Permissions, " ") != u.perms {
					t.Errorf("%s: permissions %v", u.id, c.Permissions)
				}
			}
		})
		e.Handler.Flush(ctx)
		logs, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeCodeExchangeFailed}, store.Page{})
		must(t, err)
		if len(logs) < 5 {
			t.Errorf("%d feacft events", len(logs))
		}
	})
}

// firstTokens redeems a fresh code with offline_access for client.
func (e *env) firstTokens(tb testing.TB, client string) tokenAnswer {
	tb.Helper()
	a := e.exchange(tb, client, e.mintCode(tb, codeSpec{client: client, scope: "openid profile offline_access read:a", audience: apiID}), webCB, "")
	if a.status != 200 || a.body["refresh_token"] == nil {
		tb.Fatalf("%d %s", a.status, a.raw)
	}
	return a
}

func TestRefreshRules(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		ctx := context.Background()

		t.Run("reuse revokes the family", func(t *testing.T) {
			rt1 := e.firstTokens(t, webID).body["refresh_token"].(string)
			a := e.refresh(t, webID, rt1)
			if a.status != 200 || a.body["refresh_token"] == nil || a.body["id_token"] == nil {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			rt2 := a.body["refresh_token"].(string)
			wantError(t, e.refresh(t, webID, rt1), 400, "invalid_grant", "Unknown or invalid refresh token.")
			wantError(t, e.refresh(t, webID, rt2), 400, "invalid_grant", "Unknown or invalid refresh token.")
			e.Handler.Flush(ctx)
			logs, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeRefreshReuse}, store.Page{})
			must(t, err)
			if len(logs) != 1 {
				t.Errorf("%d ferrt events", len(logs))
			}
		})
		t.Run("leeway lets the previous token through once", func(t *testing.T) {
			rt1 := e.firstTokens(t, leewayID).body["refresh_token"].(string)
			if a := e.refresh(t, leewayID, rt1); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			e.Clock.Advance(5 * time.Second)
			if a := e.refresh(t, leewayID, rt1); a.status != 200 || a.body["refresh_token"] == nil {
				t.Fatalf("within leeway: %d %s", a.status, a.raw)
			}
			e.Clock.Advance(20 * time.Second)
			wantError(t, e.refresh(t, leewayID, rt1), 400, "invalid_grant", "Unknown or invalid refresh token.")
		})
		t.Run("a retry within the leeway replaces the token the first exchange gave", func(t *testing.T) {
			e.Handler.Flush(ctx)
			before, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeRefreshReuse}, store.Page{})
			must(t, err)
			rt1 := e.firstTokens(t, leewayID).body["refresh_token"].(string)
			first := e.refresh(t, leewayID, rt1)
			if first.status != 200 {
				t.Fatalf("%d %s", first.status, first.raw)
			}
			e.Clock.Advance(2 * time.Second)
			retry := e.refresh(t, leewayID, rt1)
			if retry.status != 200 || retry.body["refresh_token"] == nil {
				t.Fatalf("retry within leeway: %d %s", retry.status, retry.raw)
			}
			// Only one chain goes on: the first answer's token is now a reuse, which revokes the family
			// (the retry's token with it) and is logged as ferrt.
			wantError(t, e.refresh(t, leewayID, first.body["refresh_token"].(string)), 400, "invalid_grant", "Unknown or invalid refresh token.")
			wantError(t, e.refresh(t, leewayID, retry.body["refresh_token"].(string)), 400, "invalid_grant", "Unknown or invalid refresh token.")
			e.Handler.Flush(ctx)
			after, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeRefreshReuse}, store.Page{})
			must(t, err)
			if len(after) != len(before)+1 {
				t.Errorf("%d new ferrt events, want 1", len(after)-len(before))
			}
		})
		t.Run("absolute lifetime does not extend", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			for i := 0; i < 3; i++ { // days 10, 20, 29.5: each within the 15-day idle lifetime
				step := 10 * 24 * time.Hour
				if i == 2 {
					step = 9*24*time.Hour + 12*time.Hour
				}
				e.Clock.Advance(step)
				a := e.refresh(t, webID, rt)
				if a.status != 200 {
					t.Fatalf("refresh %d: %d %s", i, a.status, a.raw)
				}
				rt = a.body["refresh_token"].(string)
			}
			e.Clock.Advance(24 * time.Hour) // day 30.5: past the 30-day absolute lifetime
			wantError(t, e.refresh(t, webID, rt), 400, "invalid_grant", "Unknown or invalid refresh token.")
		})
		t.Run("idle lifetime", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			e.Clock.Advance(16 * 24 * time.Hour)
			wantError(t, e.refresh(t, webID, rt), 400, "invalid_grant", "Unknown or invalid refresh token.")
		})
		t.Run("non-rotating token stays and is not repeated", func(t *testing.T) {
			rt := e.firstTokens(t, nonRotID).body["refresh_token"].(string)
			for i := 0; i < 2; i++ {
				a := e.refresh(t, nonRotID, rt)
				if a.status != 200 || a.body["refresh_token"] != nil || a.body["access_token"] == nil {
					t.Fatalf("%d %s", a.status, a.raw)
				}
			}
		})
		t.Run("scope narrows, never widens", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			a := e.refresh(t, webID, rt, "scope", "openid read:a")
			if a.status != 200 || a.body["scope"] != "openid read:a" {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			rt = a.body["refresh_token"].(string)
			wantError(t, e.refresh(t, webID, rt, "scope", "openid write:a"), 400, "invalid_scope", "")
		})
		t.Run("another client's token", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			wantError(t, e.refresh(t, otherWebID, rt), 400, "invalid_grant", "Unknown or invalid refresh token.")
			// Not counted as reuse: the owner still refreshes.
			if a := e.refresh(t, webID, rt); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		})
		t.Run("blocked user", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			u, err := e.Store.GetUser(ctx, userID)
			must(t, err)
			u.Blocked = true
			must(t, e.Store.UpdateUser(ctx, u))
			defer func() { u.Blocked = false; must(t, e.Store.UpdateUser(ctx, u)) }()
			wantError(t, e.refresh(t, webID, rt), 400, "invalid_grant", "user is blocked")
		})
		t.Run("missing refresh_token", func(t *testing.T) {
			wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", webID, "client_secret", webSecret)}),
				400, "invalid_request", "Missing required parameter: refresh_token")
		})
		t.Run("client without the refresh grant", func(t *testing.T) {
			wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", nonCCID, "client_secret", m2mSecret, "refresh_token", "x")}),
				403, "unauthorized_client", "Grant type 'refresh_token' not allowed for the client.")
		})
	})
}

// TestParallelRefresh: twenty requests race with one rotating refresh token; exactly one wins.
func TestParallelRefresh(t *testing.T) {
	e := MustEnv(t, envOptions{})
	rt := e.firstTokens(t, webID).body["refresh_token"].(string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := e.refresh(t, webID, rt)
			mu.Lock()
			codes[a.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] != 1 || codes[400] != 19 {
		t.Fatalf("statuses %v, want one 200 and nineteen 400", codes)
	}
}

func TestRevoke(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		for _, tc := range []struct {
			name string
			json bool
		}{{"form", false}, {"json", true}} {
			t.Run(tc.name, func(t *testing.T) {
				rt1 := e.firstTokens(t, webID).body["refresh_token"].(string)
				rt2 := e.refresh(t, webID, rt1).body["refresh_token"].(string)
				call := tokenCall{body: form("client_id", webID, "client_secret", webSecret, "token", rt1)}
				if tc.json {
					call = tokenCall{contentType: "application/json", body: `{"client_id":"` + webID + `","client_secret":"` + webSecret + `","token":"` + rt1 + `"}`}
				}
				a := e.call(t, "oauth/revoke", call)
				if a.status != 200 || len(a.raw) != 0 {
					t.Fatalf("%d %q", a.status, a.raw)
				}
				// Revoking an older token of the family revokes the newest too.
				wantError(t, e.refresh(t, webID, rt2), 400, "invalid_grant", "Unknown or invalid refresh token.")
			})
		}
		t.Run("unknown token", func(t *testing.T) {
			a := e.call(t, "oauth/revoke", tokenCall{body: form("token", "nope"), basicID: webID, basicSecret: webSecret})
			if a.status != 200 || len(a.raw) != 0 {
				t.Fatalf("%d %q", a.status, a.raw)
			}
		})
		t.Run("another client's token is left alone", func(t *testing.T) {
			rt := e.firstTokens(t, webID).body["refresh_token"].(string)
			a := e.call(t, "oauth/revoke", tokenCall{body: form("client_id", otherWebID, "client_secret", webSecret, "token", rt)})
			if a.status != 200 {
				t.Fatalf("%d %q", a.status, a.raw)
			}
			if r := e.refresh(t, webID, rt); r.status != 200 {
				t.Fatalf("token revoked by another client: %d %s", r.status, r.raw)
			}
		})
		t.Run("bad client", func(t *testing.T) {
			wantError(t, e.call(t, "oauth/revoke", tokenCall{body: form("client_id", webID, "client_secret", "bad", "token", "x")}), 401, "invalid_client", "Unauthorized")
		})
		t.Run("missing token", func(t *testing.T) {
			wantError(t, e.call(t, "oauth/revoke", tokenCall{body: form("client_id", webID, "client_secret", webSecret)}), 400, "invalid_request", "Missing required parameter: token")
		})
	})
}
