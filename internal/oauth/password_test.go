package oauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

const (
	ropcID       = "ropcClient0000000000000000000001"
	ropcSecret   = "ropc-secret-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"
	realmID      = "realmClient000000000000000000001"
	thirdPartyID = "thirdPartyClient0000000000000001"
	janePW       = "correct horse battery staple"
	realm        = "http://auth0.com/oauth/grant-type/password-realm"
)

// mustPasswordClients adds a first-party client with the password grant (and refresh), one with the
// realm grant only, and gives Jane and the blocked user a password.
func (e *env) mustPasswordClients(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	for id, grants := range map[string][]string{
		ropcID:       {domain.GrantPassword, domain.GrantRefreshToken},
		realmID:      {domain.GrantPasswordRealm},
		thirdPartyID: {domain.GrantPassword},
	} {
		// The third-party client was stored before the first-party rule (domain.FirstPartyOnly).
		c := &domain.Client{ClientID: id, Name: "Client " + id[:5], AppType: domain.AppTypeRegularWeb, IsFirstParty: id != thirdPartyID}
		domain.ApplyClientDefaults(c)
		c.SecretHash = domain.HashSecret(ropcSecret)
		c.GrantTypes = grants
		c.IsTokenEndpointIPHeaderTrusted = id == ropcID
		must(tb, e.Store.CreateClient(ctx, c))
	}
	hash, err := password.Hasher{P: password.Fast()}.Hash(janePW)
	must(tb, err)
	for _, id := range []string{userID, blockedID} {
		u, err := e.Store.GetUser(ctx, id)
		must(tb, err)
		u.PasswordHash = hash
		must(tb, e.Store.UpdateUser(ctx, u))
	}
}

// TestPasswordGrantOAuth2 drives the password grant with golang.org/x/oauth2, a client nobody here
// wrote: tokens, a refresh token for offline_access, and a refresh that works.
func TestPasswordGrantOAuth2(t *testing.T) {
	e := MustEnv(t, envOptions{})
	e.mustPasswordClients(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.Server.Client())
	cfg := oauth2.Config{ClientID: ropcID, ClientSecret: ropcSecret, Scopes: []string{"openid", "email", "offline_access"},
		Endpoint: oauth2.Endpoint{TokenURL: e.url("oauth/token"), AuthStyle: oauth2.AuthStyleInHeader}}
	tok, err := cfg.PasswordCredentialsToken(ctx, "Jane@Example.test", janePW)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token %+v", tok)
	}
	if got := tok.Extra("scope"); got != "openid email offline_access" {
		t.Fatalf("scope %v", got)
	}
	_, id := decodeJWT(t, tok.Extra("id_token").(string))
	if id["sub"] != userID || id["email"] != "jane@example.test" || id["aud"] != ropcID {
		t.Fatalf("ID token %v", id)
	}
	u, err := e.Store.GetUser(context.Background(), userID)
	must(t, err)
	if u.LoginsCount != 1 {
		t.Fatalf("logins_count %d, want the sign-in recorded", u.LoginsCount)
	}
	// The refresh token is a real one: it rotates like any other.
	next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	e.Handler.Flush(context.Background())
	if n := countLogs(t, e, audit.TypePasswordExchange); n != 1 {
		t.Fatalf("%d sepft events, want 1", n)
	}
	res, err := e.Server.Client().Get(e.url(".well-known/openid-configuration"))
	must(t, err)
	defer res.Body.Close()
	var disc struct {
		GrantTypes []string `json:"grant_types_supported"`
	}
	must(t, json.NewDecoder(res.Body).Decode(&disc))
	if !slices.Contains(disc.GrantTypes, "password") || !slices.Contains(disc.GrantTypes, realm) {
		t.Fatalf("discovery grant_types_supported %v", disc.GrantTypes)
	}
}

// TestPasswordRealmGrant: the realm grant against an API gives a JWT with gty password, the user as
// subject and the scopes the code flow would give; no refresh token without offline_access.
func TestPasswordRealmGrant(t *testing.T) {
	e := MustEnv(t, envOptions{})
	e.mustPasswordClients(t)
	a := e.call(t, "oauth/token", tokenCall{body: form("grant_type", realm, "client_id", realmID, "client_secret", ropcSecret,
		"username", "jane@example.test", "password", janePW, "realm", domain.DefaultConnection,
		"audience", rbacAPIID, "scope", "openid read:own_data admin:read offline_access")})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if a.body["refresh_token"] != nil {
		t.Fatalf("refresh token issued to a client without the refresh_token grant")
	}
	// RBAC: Jane holds read:own_data only; offline_access dropped with the refresh token.
	if a.body["scope"] != "openid read:own_data" {
		t.Fatalf("scope %v", a.body["scope"])
	}
	_, at := decodeJWT(t, a.body["access_token"].(string))
	aud, _ := at["aud"].([]any)
	if at["gty"] != "password" || at["sub"] != userID || at["azp"] != realmID || len(aud) != 2 || aud[0] != rbacAPIID {
		t.Fatalf("access token %v", at)
	}
}

// TestPasswordGrantManagementAPI: a password gives a user token, which carries at most
// *:current_user* scopes of the Management API, whatever is asked.
func TestPasswordGrantManagementAPI(t *testing.T) {
	e := MustEnv(t, envOptions{})
	e.mustPasswordClients(t)
	a := e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret, body: form("grant_type", "password",
		"username", "jane@example.test", "password", janePW, "audience", e.Issuer+"api/v2/",
		"scope", "read:users update:users read:current_user delete:clients")})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if a.body["scope"] != "read:current_user" {
		t.Fatalf("scope %v, want read:current_user alone", a.body["scope"])
	}
	_, at := decodeJWT(t, a.body["access_token"].(string))
	if at["gty"] != "password" || at["sub"] != userID {
		t.Fatalf("access token %v", at)
	}
}

// TestPasswordGrantBadInput: each bad request gets its RFC error in Auth0's words and nothing is
// issued or stored.
func TestPasswordGrantBadInput(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg, bruteForce: &guard.BruteForce{}})
		e.mustPasswordClients(t)
		ok := []string{"client_id", ropcID, "client_secret", ropcSecret, "username", "jane@example.test", "password", janePW}
		with := func(base []string, kv ...string) string {
			out := slices.Clone(base)
			for i := 0; i < len(kv); i += 2 {
				if j := slices.Index(out, kv[i]); j >= 0 && j%2 == 0 {
					if kv[i+1] == "<drop>" {
						out = slices.Delete(out, j, j+2)
					} else {
						out[j+1] = kv[i+1]
					}
					continue
				}
				out = append(out, kv[i], kv[i+1])
			}
			return form(out...)
		}
		for _, tc := range []struct {
			name   string
			body   string
			status int
			code   string
			desc   string
		}{
			{"client without the grant", with(ok, "grant_type", "password", "client_id", webID, "client_secret", webSecret), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."},
			{"realm grant not enabled", with(ok, "grant_type", realm, "realm", domain.DefaultConnection), 403, "unauthorized_client", "Grant type '" + realm + "' not allowed for the client."},
			{"password grant not enabled", with(ok, "grant_type", "password", "client_id", realmID), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."},
			{"third-party client", with(ok, "grant_type", "password", "client_id", thirdPartyID), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."},
			{"wrong client secret", with(ok, "grant_type", "password", "client_secret", "nope"), 401, "invalid_client", ""},
			{"no username", with(ok, "grant_type", "password", "username", "<drop>"), 400, "invalid_request", "Missing required parameter: username"},
			{"no password", with(ok, "grant_type", "password", "password", ""), 400, "invalid_request", "Missing required parameter: password"},
			{"no realm", with(ok, "grant_type", realm, "client_id", realmID), 400, "invalid_request", "Missing required parameter: realm"},
			{"unknown realm", with(ok, "grant_type", realm, "client_id", realmID, "realm", "Employees"), 400, "invalid_request", "Unknown realm."},
			{"unknown audience", with(ok, "grant_type", "password", "audience", "https://nowhere.test"), 403, "access_denied", "Service not enabled within domain: https://nowhere.test"},
			{"repeated password", with(ok, "grant_type", "password") + "&password=x", 400, "invalid_request", "Parameter password is included more than once"},
			{"wrong password", with(ok, "grant_type", "password", "password", "guess"), 403, "invalid_grant", "Wrong email or password."},
			{"unknown user", with(ok, "grant_type", "password", "username", "nobody@example.test"), 403, "invalid_grant", "Wrong email or password."},
			{"blocked user, wrong password", with(ok, "grant_type", "password", "username", "blocked@example.test", "password", "guess"), 403, "invalid_grant", "Wrong email or password."},
			{"blocked user, right password", with(ok, "grant_type", "password", "username", "blocked@example.test"), 401, "unauthorized", "user is blocked"},
			{"realm grant, wrong password", with(ok, "grant_type", realm, "client_id", realmID, "realm", domain.DefaultConnection, "password", "guess"), 403, "invalid_grant", "Wrong email or password."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.call(t, "oauth/token", tokenCall{body: tc.body})
				wantError(t, a, tc.status, tc.code, tc.desc)
				if a.body["access_token"] != nil || a.body["refresh_token"] != nil {
					t.Fatalf("issued on error: %s", a.raw)
				}
			})
		}
		ctx := context.Background()
		for _, id := range []string{userID, blockedID} {
			if u, err := e.Store.GetUser(ctx, id); err != nil || u.LoginsCount != 0 {
				t.Fatalf("user %s: logins %v, err %v: a refused request recorded a login", id, u.LoginsCount, err)
			}
		}
	})
}

// TestPasswordGrantBruteForce: ten wrong passwords block the (IP, user) pair; the right password is
// then refused with Auth0's 429, and other users are not affected.
func TestPasswordGrantBruteForce(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg, bruteForce: &guard.BruteForce{}})
		e.mustPasswordClients(t)
		try := func(user, pw string) tokenAnswer {
			return e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret,
				body: form("grant_type", "password", "username", user, "password", pw)})
		}
		for i := 0; i < guard.DefaultThreshold; i++ {
			wantError(t, try("jane@example.test", "guess"), 403, "invalid_grant", guard.MsgWrongCredentials)
		}
		wantError(t, try("jane@example.test", janePW), 429, "too_many_attempts", guard.MsgBlocked)
		if a := try("blocked@example.test", "guess"); a.status != 403 {
			t.Fatalf("another user affected: %d %s", a.status, a.raw)
		}
		e.Handler.Flush(context.Background())
		if n := countLogs(t, e, audit.TypeBlockedAccount); n < 2 {
			t.Fatalf("%d limit_wc events, want the block and the refused attempt", n)
		}
	})
}

// TestPasswordGrantBusyWhenHashingIsFull: while password hashing is at its memory budget, the
// password grants answer 503 temporarily_unavailable with Retry-After, for a known user (right
// password or wrong) and an unknown one alike, count no failure toward brute-force protection and
// log nothing; once a slot frees, the same request gets its tokens.
func TestPasswordGrantBusyWhenHashingIsFull(t *testing.T) {
	gate := password.NewGate(1, 1)
	e := MustEnv(t, envOptions{gate: gate, bruteForce: &guard.BruteForce{}})
	e.mustPasswordClients(t)
	try := func(user, pw string) tokenAnswer {
		return e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret,
			body: form("grant_type", "password", "username", user, "password", pw)})
	}
	release, ok := gate.TryAcquire()
	if !ok {
		t.Fatal("gate not free")
	}
	// Two rounds of attempts at once (the gate's queue holds each for at most two seconds), each
	// under the threshold for Jane but together over it, with the right password and an unknown
	// user among them: had the busy answers counted, the second round or the last request would
	// find Jane blocked.
	for range 2 {
		calls := [][2]string{{"jane@example.test", janePW}, {"nobody@example.test", "guess"}}
		for range guard.DefaultThreshold - 3 {
			calls = append(calls, [2]string{"jane@example.test", "guess"})
		}
		answers := make([]tokenAnswer, len(calls))
		var wg sync.WaitGroup
		for i, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = try(c[0], c[1])
			}()
		}
		wg.Wait()
		for i, a := range answers {
			wantError(t, a, 503, "temporarily_unavailable", "")
			if a.header.Get("Retry-After") != "1" {
				t.Fatalf("%s: Retry-After %q", calls[i][0], a.header.Get("Retry-After"))
			}
		}
	}
	release()
	if a := try("jane@example.test", janePW); a.status != 200 {
		t.Fatalf("once hashing is free: %d %s (the busy answers counted as failures?)", a.status, a.raw)
	}
	e.Handler.Flush(context.Background())
	for _, typ := range []string{audit.TypeWrongPassword, audit.TypeUnknownUser, audit.TypeBlockedAccount} {
		if n := countLogs(t, e, typ); n != 0 {
			t.Errorf("%d %s events for requests whose password was never checked", n, typ)
		}
	}
}

// TestPasswordGrantActions: post-login Actions run with the password source; their claims reach the
// tokens and their denial is the answer, with nothing issued.
func TestPasswordGrantActions(t *testing.T) {
	var seen []trigger.PostLogin
	e := MustEnv(t, envOptions{actions: fakeActions{refresh: func(ev trigger.PostLogin) trigger.Outcome {
		seen = append(seen, ev)
		if strings.Contains(ev.Request.UserAgent, "deny") {
			return trigger.Outcome{Denial: &trigger.Denial{Reason: "not from this device"}}
		}
		return trigger.Outcome{AccessTokenClaims: map[string]any{"https://example.test/via": "password"}}
	}}})
	e.mustPasswordClients(t)
	body := form("grant_type", "password", "client_id", ropcID, "client_secret", ropcSecret,
		"username", "jane@example.test", "password", janePW, "audience", apiID, "scope", "read:a")
	a := e.call(t, "oauth/token", tokenCall{body: body})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	_, at := decodeJWT(t, a.body["access_token"].(string))
	if at["https://example.test/via"] != "password" {
		t.Fatalf("action claim missing: %v", at)
	}
	if len(seen) != 1 || seen[0].Source != trigger.Password || seen[0].User.UserID != userID || seen[0].Audience != apiID ||
		len(seen[0].Methods) != 1 || seen[0].Methods[0].Name != "pwd" {
		t.Fatalf("event %+v", seen)
	}
	denied := e.call(t, "oauth/token", tokenCall{body: body, userAgent: "deny-me"})
	wantError(t, denied, 403, "access_denied", "not from this device")
	if denied.body["access_token"] != nil {
		t.Fatal("issued despite the denial")
	}
}

// TestPasswordGrantNoDefaultDirectory: without a default directory the password grant has no
// connection to check and says so as Auth0 does; the realm grant still works.
func TestPasswordGrantNoDefaultDirectory(t *testing.T) {
	e := MustEnv(t, envOptions{noCache: true})
	e.mustPasswordClients(t)
	ctx := context.Background()
	ts, err := e.Store.GetTenantSettings(ctx)
	must(t, err)
	ts.DefaultDirectory = ""
	must(t, e.Store.PutTenantSettings(ctx, ts))
	wantError(t, e.call(t, "oauth/token", tokenCall{basicID: ropcID, basicSecret: ropcSecret,
		body: form("grant_type", "password", "username", "jane@example.test", "password", janePW)}),
		500, "server_error", "Authorization server not configured with default connection.")
}

func countLogs(tb testing.TB, e *env, typ string) int {
	tb.Helper()
	logs, _, err := e.Store.ListLogs(context.Background(), store.LogFilter{Type: typ}, store.Page{})
	if err != nil {
		tb.Fatal(err)
	}
	return len(logs)
}

// TestPasswordGrantForwardedFor: a confidential client trusted to name the end user's address
// (is_token_endpoint_ip_header_trusted) gets brute-force protection per end user address through
// auth0-forwarded-for; any other client's header is ignored.
func TestPasswordGrantForwardedFor(t *testing.T) {
	e := MustEnv(t, envOptions{bruteForce: &guard.BruteForce{}})
	e.mustPasswordClients(t)
	try := func(client, user, pw, from string) tokenAnswer {
		body := form("grant_type", "password", "client_id", client, "client_secret", ropcSecret, "username", user, "password", pw)
		req, _ := http.NewRequest(http.MethodPost, e.url("oauth/token"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("auth0-forwarded-for", from)
		res, err := e.Server.Client().Do(req)
		must(t, err)
		defer res.Body.Close()
		a := tokenAnswer{status: res.StatusCode, header: res.Header}
		must(t, json.NewDecoder(res.Body).Decode(&a.body))
		return a
	}
	for range guard.DefaultThreshold {
		wantError(t, try(ropcID, "jane@example.test", "guess", "203.0.113.7"), 403, "invalid_grant", guard.MsgWrongCredentials)
	}
	wantError(t, try(ropcID, "jane@example.test", janePW, "203.0.113.7"), 429, "too_many_attempts", guard.MsgBlocked)
	if a := try(ropcID, "jane@example.test", janePW, "203.0.113.8"); a.status != 200 {
		t.Fatalf("another end-user address is blocked too: %d %v", a.status, a.body)
	}
	// A malformed header is ignored: the request's own address, never blocked, counts.
	if a := try(ropcID, "jane@example.test", janePW, "203.0.113.7, 10.0.0.1"); a.status != 200 {
		t.Fatalf("a malformed header: %d %v", a.status, a.body)
	}

	// A client not trusted with the header: it changes nothing.
	for i := range guard.DefaultThreshold {
		try(thirdPartyID, "x", "y", "") // refused before any password check: does not count
		wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", realm, "client_id", realmID, "client_secret", ropcSecret,
			"realm", domain.DefaultConnection, "username", "nobody@example.test", "password", fmt.Sprint("guess", i))}), 403, "invalid_grant", "")
	}
	req, _ := http.NewRequest(http.MethodPost, e.url("oauth/token"), strings.NewReader(form("grant_type", realm, "client_id", realmID,
		"client_secret", ropcSecret, "realm", domain.DefaultConnection, "username", "nobody@example.test", "password", "again")))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("auth0-forwarded-for", "198.51.100.1")
	res, err := e.Server.Client().Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("an untrusted client's auth0-forwarded-for escaped the block: %d", res.StatusCode)
	}
}
