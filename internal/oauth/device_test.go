package oauth_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

const (
	tvID     = "tvClient000000000000000000000001"
	deviceGT = "urn:ietf:params:oauth:grant-type:device_code"
)

// mustDeviceClient adds a public native client with the device code and refresh token grants.
func (e *env) mustDeviceClient(tb testing.TB) {
	tb.Helper()
	c := &domain.Client{ClientID: tvID, Name: "Living Room TV", AppType: domain.AppTypeNative, IsFirstParty: true}
	domain.ApplyClientDefaults(c)
	c.GrantTypes = []string{domain.GrantDeviceCode, domain.GrantRefreshToken}
	must(tb, e.Store.CreateClient(context.Background(), c))
}

// deviceCode asks for a device code and returns the response.
func (e *env) deviceCode(tb testing.TB, kv ...string) tokenAnswer {
	tb.Helper()
	return e.call(tb, "oauth/device/code", tokenCall{body: form(append([]string{"client_id", tvID}, kv...)...)})
}

func (e *env) poll(tb testing.TB, deviceCode string) tokenAnswer {
	tb.Helper()
	return e.call(tb, "oauth/token", tokenCall{body: form("grant_type", deviceGT, "client_id", tvID, "device_code", deviceCode)})
}

// approve approves the device code named by userCode for Jane, as /activate does at the end of a
// sign-in.
func (e *env) approve(tb testing.TB, userCode, scope string) {
	tb.Helper()
	ctx := context.Background()
	dc, err := e.Store.GetDeviceCodeByUserCode(ctx, domain.HashUserCode(userCode))
	must(tb, err)
	must(tb, e.Store.ApproveDeviceCode(ctx, dc.CodeHash, &domain.DeviceCode{UserID: userID, SessionID: "sid-1",
		AuthTime: e.Clock.Now(), GrantedScope: scope}, e.Clock.Now()))
}

// TestDeviceAuthorization: Auth0's response shape; codes stored hashed only; every polling answer of
// RFC 8628 §3.5 in turn, then the tokens, once.
func TestDeviceAuthorization(t *testing.T) {
	e := MustEnv(t, envOptions{})
	e.mustDeviceClient(t)
	a := e.deviceCode(t, "scope", "openid profile offline_access read:a", "audience", apiID)
	if a.status != 200 || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	dcode, _ := a.body["device_code"].(string)
	ucode, _ := a.body["user_code"].(string)
	if len(dcode) < 43 || !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(ucode) {
		t.Fatalf("codes %q %q", dcode, ucode)
	}
	if a.body["verification_uri"] != e.Issuer+"activate" || a.body["verification_uri_complete"] != e.Issuer+"activate?user_code="+ucode ||
		a.body["expires_in"] != float64(900) || a.body["interval"] != float64(5) {
		t.Fatalf("response %s", a.raw)
	}
	stored, err := e.Store.GetDeviceCodeByUserCode(context.Background(), domain.HashUserCode(ucode))
	must(t, err)
	if string(stored.CodeHash) != string(domain.HashSecret(dcode)) || stored.Scope != "openid profile offline_access read:a" || stored.Audience != apiID {
		t.Fatalf("stored %+v", stored)
	}

	wantError(t, e.poll(t, dcode), 403, "authorization_pending", "User has yet to authorize device code.")
	e.Clock.Advance(2 * time.Second)
	wantError(t, e.poll(t, dcode), 429, "slow_down", "You are polling faster than the specified interval of 10 seconds.")
	e.Clock.Advance(10 * time.Second)
	wantError(t, e.poll(t, dcode), 403, "authorization_pending", "")
	wantError(t, e.poll(t, "not-a-device-code"), 400, "invalid_grant", "Invalid or expired device code.")

	e.approve(t, ucode, "openid profile offline_access read:a")
	e.Clock.Advance(10 * time.Second)
	tok := e.poll(t, dcode)
	if tok.status != 200 || tok.body["refresh_token"] == nil || tok.body["id_token"] == nil || tok.body["scope"] != "openid profile offline_access read:a" {
		t.Fatalf("%d %s", tok.status, tok.raw)
	}
	_, at := decodeJWT(t, tok.body["access_token"].(string))
	if at["sub"] != userID || at["azp"] != tvID || at["gty"] != nil {
		t.Fatalf("access token %v", at)
	}
	if _, id := decodeJWT(t, tok.body["id_token"].(string)); id["sub"] != userID || id["aud"] != tvID || id["sid"] != "sid-1" {
		t.Fatalf("ID token %v", id)
	}
	// The refresh token works like any other.
	if r := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", tvID,
		"refresh_token", tok.body["refresh_token"].(string))}); r.status != 200 {
		t.Fatalf("refresh %d %s", r.status, r.raw)
	}
	// Used: nothing more for this device code.
	e.Clock.Advance(10 * time.Second)
	wantError(t, e.poll(t, dcode), 400, "invalid_grant", "Invalid or expired device code.")
}

// TestDeviceDeniedAndExpired: a refused code answers access_denied to every poll; an unused one
// expired_token after 15 minutes.
func TestDeviceDeniedAndExpired(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		e.mustDeviceClient(t)
		ctx := context.Background()
		denied := e.deviceCode(t)
		dc, err := e.Store.GetDeviceCodeByUserCode(ctx, domain.HashUserCode(denied.body["user_code"].(string)))
		must(t, err)
		must(t, e.Store.DenyDeviceCode(ctx, dc.CodeHash, e.Clock.Now()))
		for range 2 {
			wantError(t, e.poll(t, denied.body["device_code"].(string)), 403, "access_denied", "The user has denied the device authorization request.")
			e.Clock.Advance(6 * time.Second)
		}
		expired := e.deviceCode(t)
		e.Clock.Advance(15 * time.Minute)
		a := e.poll(t, expired.body["device_code"].(string))
		wantError(t, a, 403, "expired_token", "The device code has expired.")
		if a.body["access_token"] != nil {
			t.Fatal("tokens for an expired device code")
		}
	})
}

// TestDeviceBadInput: each bad request gets its RFC error; nothing is stored or issued.
func TestDeviceBadInput(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		e.mustDeviceClient(t)
		long := make([]byte, 3000)
		for i := range long {
			long[i] = 'a'
		}
		good := e.deviceCode(t)
		third := &domain.Client{ClientID: "thirdPartyTV00000000000000000001", Name: "Third-party TV", AppType: domain.AppTypeNative}
		domain.ApplyClientDefaults(third)
		third.GrantTypes = []string{domain.GrantDeviceCode} // stored before the first-party rule existed
		must(t, e.Store.CreateClient(context.Background(), third))
		for _, tc := range []struct {
			name   string
			path   string
			body   string
			status int
			code   string
			desc   string
		}{
			{"device code for a client without the grant", "oauth/device/code", form("client_id", webID, "client_secret", webSecret), 403, "unauthorized_client", "Grant type '" + deviceGT + "' not allowed for the client."},
			{"device code for a third-party client", "oauth/device/code", form("client_id", "thirdPartyTV00000000000000000001"), 403, "unauthorized_client", "Grant type '" + deviceGT + "' not allowed for the client."},
			{"device code for an unknown client", "oauth/device/code", form("client_id", "nobody"), 401, "invalid_client", ""},
			{"device code with a wrong secret", "oauth/device/code", form("client_id", webID, "client_secret", "nope"), 401, "invalid_client", ""},
			{"device code for an unknown audience", "oauth/device/code", form("client_id", tvID, "audience", "https://nowhere.test"), 403, "access_denied", "Service not enabled within domain: https://nowhere.test"},
			{"device code with a huge scope", "oauth/device/code", form("client_id", tvID, "scope", string(long)), 400, "invalid_scope", ""},
			{"device code with a repeated parameter", "oauth/device/code", form("client_id", tvID) + "&client_id=" + tvID, 400, "invalid_request", ""},
			{"poll without device_code", "oauth/token", form("grant_type", deviceGT, "client_id", tvID), 400, "invalid_request", "Missing required parameter: device_code"},
			{"poll by a client without the grant", "oauth/token", form("grant_type", deviceGT, "client_id", webID, "client_secret", webSecret, "device_code", good.body["device_code"].(string)), 403, "unauthorized_client", ""},
			{"poll with an unknown code", "oauth/token", form("grant_type", deviceGT, "client_id", tvID, "device_code", "guess"), 400, "invalid_grant", "Invalid or expired device code."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.call(t, tc.path, tokenCall{body: tc.body})
				wantError(t, a, tc.status, tc.code, tc.desc)
				if a.body["device_code"] != nil || a.body["access_token"] != nil {
					t.Fatalf("issued on error: %s", a.raw)
				}
			})
		}
		// Another client's device code is unknown to it, and its poll did not count: the owner's first
		// poll is pending, not slow_down.
		mustOtherDeviceClient(t, e)
		wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", deviceGT, "client_id", "tv2Client00000000000000000000001",
			"device_code", good.body["device_code"].(string))}), 400, "invalid_grant", "Invalid or expired device code.")
		wantError(t, e.poll(t, good.body["device_code"].(string)), 403, "authorization_pending", "")
	})
}

func mustOtherDeviceClient(tb testing.TB, e *env) {
	c := &domain.Client{ClientID: "tv2Client00000000000000000000001", Name: "Other TV", AppType: domain.AppTypeNative, IsFirstParty: true}
	domain.ApplyClientDefaults(c)
	c.GrantTypes = []string{domain.GrantDeviceCode}
	must(tb, e.Store.CreateClient(context.Background(), c))
}

// TestDevicePollRace: 20 devices polling one approved device code at once get exactly one token
// set between them, on every round; the others hear that the code is spent. On both engines: the
// PostgreSQL run (skipped without GATEHOUSE_TEST_POSTGRES_URL) has its pollers on separate
// connections of the pool.
func TestDevicePollRace(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { raceDevicePoll(t, envOptions{realNow: true}) })
	t.Run("postgres", func(t *testing.T) { raceDevicePoll(t, envOptions{realNow: true, postgres: true}) })
}

func raceDevicePoll(t *testing.T, o envOptions) {
	e := MustEnv(t, o)
	e.mustDeviceClient(t)
	for round := range 5 {
		a := e.deviceCode(t, "scope", "openid offline_access")
		e.approve(t, a.body["user_code"].(string), "openid offline_access")
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			answers = make([]tokenAnswer, 20)
		)
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i] = e.poll(t, a.body["device_code"].(string))
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for i, ans := range answers {
			switch {
			case ans.status == 200 && ans.body["access_token"] != nil && ans.body["refresh_token"] != nil:
				wins++
			case ans.status == 400 && ans.body["error"] == "invalid_grant":
			default:
				t.Fatalf("round %d, poller %d: %d %s", round, i, ans.status, ans.raw)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d token sets for one device code, want exactly 1", round, wins)
		}
	}
}

// TestDeviceCodeRateLimit: one client at one address gets ten device codes a minute, then 429 with
// Retry-After and nothing stored; the next window starts afresh.
func TestDeviceCodeRateLimit(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			e := MustEnv(t, envOptions{postgres: engine.postgres})
			e.mustDeviceClient(t)
			for i := range 10 {
				if a := e.deviceCode(t); a.status != 200 {
					t.Fatalf("request %d: %d %s", i+1, a.status, a.raw)
				}
			}
			a := e.deviceCode(t)
			if a.status != 429 || a.body["error"] != "too_many_requests" || a.header.Get("Retry-After") == "" || a.body["device_code"] != nil {
				t.Fatalf("11th request: %d %s %v", a.status, a.raw, a.header)
			}
			e.Clock.Advance(61 * time.Second)
			if a := e.deviceCode(t); a.status != 200 {
				t.Fatalf("after the window: %d %s", a.status, a.raw)
			}
		})
	}
}
