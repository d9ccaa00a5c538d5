package app_test

// Auth0's MFA API: the mfa_token of a 403 mfa_required, /mfa/authenticators, /mfa/associate,
// /mfa/challenge and the mfa-otp, mfa-oob and mfa-recovery-code grants, on both engines.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"golang.org/x/oauth2"
)

// mfaAPIEngines runs fn on a node of each engine with a test clock and the development mailbox.
func mfaAPIEngines(t *testing.T, fn func(t *testing.T, n mfaNode)) {
	t.Run("sqlite", func(t *testing.T) {
		clk := testclock.New(time.Now().Truncate(time.Second))
		fn(t, mfaNode{startNode(t, func(o *app.Options) { o.Now = clk.Now; o.DevMailbox = true }), clk})
	})
	t.Run("postgres", func(t *testing.T) {
		clk := testclock.New(time.Now().Truncate(time.Second))
		fn(t, mfaNode{startPostgresNodes(t, 1, func(o *app.Options) { o.Now = clk.Now; o.DevMailbox = true })[0], clk})
	})
}

// mfaAPI is the web app, allowed the password and MFA grants, talking to one node.
type mfaAPI struct {
	t      *testing.T
	n      mfaNode
	client string
	secret string
}

func newMFAAPI(t *testing.T, n mfaNode) *mfaAPI {
	t.Helper()
	m := newMgmtClient(t, n.node)
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"grant_types": []string{
		"authorization_code", "refresh_token", "password", domain.GrantMFAOTP, domain.GrantMFAOOB, domain.GrantMFARecoveryCode}}); status != 200 {
		t.Fatalf("enable the MFA grants: %d %v", status, body)
	}
	if status, body := m.do("PUT", "guardian/factors/email", map[string]any{"enabled": true}); status != 200 {
		t.Fatalf("enable the email factor: %d %v", status, body)
	}
	if status, body := m.do("PUT", "guardian/policies", []string{domain.PolicyAllApplications}); status != 200 {
		t.Fatalf("policy: %d %v", status, body)
	}
	return &mfaAPI{t: t, n: n, client: n.tenant.WebApp.ClientID, secret: n.tenant.WebApp.ClientSecret}
}

// call sends a request and decodes the JSON answer.
func (a *mfaAPI) call(method, path, bearer string, form url.Values, jsonBody any) (int, map[string]any, []any) {
	a.t.Helper()
	var body io.Reader
	ctype := ""
	switch {
	case form != nil:
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case jsonBody != nil:
		raw, _ := json.Marshal(jsonBody)
		body, ctype = strings.NewReader(string(raw)), "application/json"
	}
	req, _ := http.NewRequest(method, a.n.issuer+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	var list []any
	if json.Unmarshal(raw, &obj) != nil {
		_ = json.Unmarshal(raw, &list)
	}
	return resp.StatusCode, obj, list
}

func (a *mfaAPI) token(grant string, extra url.Values) (int, map[string]any) {
	a.t.Helper()
	form := url.Values{"grant_type": {grant}, "client_id": {a.client}, "client_secret": {a.secret}}
	for k, v := range extra {
		form[k] = v
	}
	status, body, _ := a.call("POST", "oauth/token", "", form, nil)
	return status, body
}

// mfaToken signs in with the password and returns the mfa_token of the 403 mfa_required.
func (a *mfaAPI) mfaToken(u devtenant.User) string {
	a.t.Helper()
	status, body := a.token("password", url.Values{"username": {u.Email}, "password": {u.Password},
		"audience": {devtenant.APIIdentifier}, "scope": {"openid profile email offline_access read:own_data"}})
	tok, _ := body["mfa_token"].(string)
	if status != http.StatusForbidden || body["error"] != "mfa_required" || tok == "" {
		a.t.Fatalf("password grant: %d %v", status, body)
	}
	return tok
}

func wantRefused(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantErr, wantDesc string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantErr || (wantDesc != "" && body["error_description"] != wantDesc) {
		t.Fatalf("%s: %d %v; want %d %s %q", what, status, body, wantStatus, wantErr, wantDesc)
	}
}

var mailedCode = regexp.MustCompile(`Your verification code: (\d{6})`)

// mailedCodes waits for the development mailbox to hold want code mails and returns their codes, newest first.
func mailedCodes(t *testing.T, n mfaNode, want int) []string {
	t.Helper()
	ctx := context.Background()
	for i := range 500 {
		if i%10 == 9 {
			n.clock.Advance(time.Second) // a message is due at the store's time, which may run ahead of the test clock
		}
		if _, err := n.Mail.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := n.Store.ListDevMail(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, m := range list {
			if c := mailedCode.FindStringSubmatch(m.Subject); c != nil {
				codes = append(codes, c[1])
			}
		}
		if len(codes) >= want {
			return codes
		}
		time.Sleep(20 * time.Millisecond)
	}
	list, _ := n.Store.ListDevMail(ctx, 50)
	for _, m := range list {
		t.Logf("mail: %q to %s", m.Subject, m.To)
	}
	t.Fatalf("fewer than %d code mails", want)
	return nil
}

// TestMFAAPIOTP: an authenticator app enrolled and answered through the MFA API, a replayed code,
// a spent and an expired mfa_token, the recovery code grant, and the per-token attempt limit.
func TestMFAAPIOTP(t *testing.T) {
	mfaAPIEngines(t, func(t *testing.T, n mfaNode) {
		a := newMFAAPI(t, n)
		user := n.tenant.Users[1]
		mt := a.mfaToken(user)

		status, _, list := a.call("GET", "mfa/authenticators", mt, nil, nil)
		if status != 200 || list == nil || len(list) != 0 {
			t.Fatalf("authenticators before enrollment: %d %v", status, list)
		}
		status, body, _ := a.call("GET", "mfa/authenticators", "not-a-token", nil, nil)
		wantRefused(t, "authenticators with a wrong token", status, body, 401, "invalid_token", "")

		status, en, _ := a.call("POST", "mfa/associate", mt, nil, map[string]any{"authenticator_types": []string{"otp"}})
		secret, _ := en["secret"].(string)
		codes, _ := en["recovery_codes"].([]any)
		if status != 200 || en["authenticator_type"] != "otp" || secret == "" || !strings.HasPrefix(en["barcode_uri"].(string), "otpauth://totp/") || len(codes) != 1 {
			t.Fatalf("associate otp: %d %v", status, en)
		}
		recovery := codes[0].(string)

		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt}, "otp": {"000000"}})
		wantRefused(t, "a wrong code", status, body, 403, "invalid_grant", "Invalid otp_code.")
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt}})
		wantRefused(t, "no code", status, body, 400, "invalid_request", "Missing required parameter: otp")
		code := totpCode(t, secret, n.clock.Now())
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt}, "otp": {code}})
		if status != 200 || body["access_token"] == nil || body["id_token"] == nil || body["refresh_token"] == nil {
			t.Fatalf("mfa-otp: %d %v", status, body)
		}
		claims := newMFAClient(t, n.node).verify(t, tokenOf(body))
		wantMFAClaims(t, claims, "mfa", "otp")
		if got := waitLogCount(t, n.node, audit.TypeMFAOTPExchange, 1); got != 1 {
			t.Errorf("seotpft logged %d times", got)
		}
		if got := waitLogCount(t, n.node, audit.TypeMFAAuthFailed, 1); got != 1 {
			t.Errorf("gd_auth_failed logged %d times", got)
		}

		// The token is spent; a new one does not take the same code again.
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt}, "otp": {code}})
		wantRefused(t, "a spent mfa_token", status, body, 403, "invalid_grant", "mfa_token is expired")
		mt2 := a.mfaToken(user)
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt2}, "otp": {code}})
		wantRefused(t, "a replayed code", status, body, 403, "invalid_grant", "Invalid otp_code.")

		// Enrolled: the token lists the app and cannot enroll another factor.
		status, _, list = a.call("GET", "mfa/authenticators", mt2, nil, nil)
		types := map[any]any{}
		for _, v := range list {
			types[v.(map[string]any)["authenticator_type"]] = v.(map[string]any)["active"]
		}
		if status != 200 || len(list) != 2 || types["otp"] != true || types["recovery-code"] != true {
			t.Fatalf("authenticators after enrollment: %d %v", status, list)
		}
		status, body, _ = a.call("POST", "mfa/associate", mt2, nil, map[string]any{"authenticator_types": []string{"otp"}})
		wantRefused(t, "a second enrollment", status, body, 403, "access_denied", "User is already enrolled.")
		status, body, _ = a.call("POST", "mfa/challenge", "", nil, map[string]any{"client_id": a.client, "client_secret": a.secret, "mfa_token": mt2, "challenge_type": "otp"})
		if status != 200 || body["challenge_type"] != "otp" {
			t.Fatalf("challenge otp: %d %v", status, body)
		}
		status, body, _ = a.call("POST", "mfa/challenge", "", nil, map[string]any{"client_id": a.client, "client_secret": "wrong", "mfa_token": mt2})
		wantRefused(t, "challenge with a wrong client secret", status, body, 401, "invalid_client", "")
		status, body, _ = a.call("POST", "mfa/challenge", "", nil, map[string]any{"client_id": a.client, "client_secret": a.secret, "mfa_token": mt2, "challenge_type": "sms"})
		wantRefused(t, "challenge sms", status, body, 400, "unsupported_challenge_type", "")

		// The recovery code: used once, replaced by the one the answer carries.
		status, body = a.token(domain.GrantMFARecoveryCode, url.Values{"mfa_token": {mt2}, "recovery_code": {recovery}})
		next, _ := body["recovery_code"].(string)
		if status != 200 || body["access_token"] == nil || next == "" || next == recovery {
			t.Fatalf("mfa-recovery-code: %d %v", status, body)
		}
		mt3 := a.mfaToken(user)
		status, body = a.token(domain.GrantMFARecoveryCode, url.Values{"mfa_token": {mt3}, "recovery_code": {recovery}})
		wantRefused(t, "a used recovery code", status, body, 403, "invalid_grant", "MFA Authorization rejected.")

		// An mfa_token past its ten minutes is refused.
		n.clock.Advance(domain.MFATokenLifetime + time.Second)
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt3}, "otp": {totpCode(t, secret, n.clock.Now())}})
		wantRefused(t, "an expired mfa_token", status, body, 403, "invalid_grant", "mfa_token is expired")

		// Five wrong codes end an mfa_token: the sixth try is refused even with the right code.
		mt4 := a.mfaToken(user)
		for i := range 5 {
			status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt4}, "otp": {"000000"}})
			wantRefused(t, "wrong code "+string(rune('1'+i)), status, body, 403, "invalid_grant", "Invalid otp_code.")
		}
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt4}, "otp": {totpCode(t, secret, n.clock.Now().Add(30*time.Second))}})
		wantRefused(t, "after the limit", status, body, 429, "too_many_attempts", "")
		status, body = a.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt4}, "otp": {totpCode(t, secret, n.clock.Now().Add(30*time.Second))}})
		wantRefused(t, "the limited token again", status, body, 403, "invalid_grant", "mfa_token is expired")
		if waitLogCount(t, n.node, audit.TypeMFAOTPRateLimit, 1) == 0 {
			t.Error("no gd_otp_rate_limit_exceed logged")
		}

		// Another client cannot use the web app's mfa_token.
		m := newMgmtClient(t, n.node)
		mt5 := a.mfaToken(user)
		_, other := m.do("POST", "clients", map[string]any{"name": "Other", "app_type": "regular_web", "callbacks": []string{"https://other.example/cb"},
			"grant_types": []string{"password", domain.GrantMFAOTP}})
		b := &mfaAPI{t: t, n: n, client: other["client_id"].(string), secret: other["client_secret"].(string)}
		status, body = b.token(domain.GrantMFAOTP, url.Values{"mfa_token": {mt5}, "otp": {totpCode(t, secret, n.clock.Now().Add(60*time.Second))}})
		wantRefused(t, "another client's mfa_token", status, body, 403, "invalid_grant", "Malformed mfa_token")
	})
}

// TestMFAAPIEmail: the email factor enrolled and answered with mailed codes; a wrong and a replayed
// code, a code of another mfa_token, and the factor deleted while a code is out.
func TestMFAAPIEmail(t *testing.T) {
	mfaAPIEngines(t, func(t *testing.T, n mfaNode) {
		a := newMFAAPI(t, n)
		user := n.tenant.Users[0]
		mt := a.mfaToken(user)
		status, en, _ := a.call("POST", "mfa/associate", mt, nil, map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"email"}})
		oob, _ := en["oob_code"].(string)
		if status != 200 || en["authenticator_type"] != "oob" || en["oob_channel"] != "email" || en["binding_method"] != "prompt" || oob == "" {
			t.Fatalf("associate email: %d %v", status, en)
		}
		code := mailedCodes(t, n, 1)[0]
		status, body := a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {oob}, "binding_code": {"000000"}})
		if code == "000000" {
			status, body = a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {oob}, "binding_code": {"111111"}})
		}
		wantRefused(t, "a wrong code", status, body, 403, "invalid_grant", "Invalid binding_code.")
		status, body = a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {oob}, "binding_code": {code}})
		if status != 200 || body["access_token"] == nil {
			t.Fatalf("mfa-oob: %d %v", status, body)
		}
		wantMFAClaims(t, newMFAClient(t, n.node).verify(t, tokenOf(body)), "mfa", "email")
		if sent, ok := waitLogCount(t, n.node, audit.TypeMFAEmailSent, 1), waitLogCount(t, n.node, audit.TypeMFAOOBExchange, 1); sent != 1 || ok != 1 {
			t.Errorf("logs: gd_send_email %d, seoobft %d", sent, ok)
		}

		// The code is spent with its oob_code; under a new mfa_token the old oob_code is unknown.
		mt2 := a.mfaToken(user)
		status, body = a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt2}, "oob_code": {oob}, "binding_code": {code}})
		wantRefused(t, "an oob_code of another mfa_token", status, body, 403, "invalid_grant", "Invalid oob_code.")

		// Enrolled: a challenge mails a new code.
		status, _, list := a.call("GET", "mfa/authenticators", mt2, nil, nil)
		if status != 200 || len(list) < 1 {
			t.Fatalf("authenticators: %d %v", status, list)
		}
		var first map[string]any
		for _, v := range list {
			if v.(map[string]any)["authenticator_type"] == "oob" {
				first = v.(map[string]any)
			}
		}
		if first == nil || first["authenticator_type"] != "oob" || first["oob_channel"] != "email" || first["active"] != true || !strings.Contains(first["name"].(string), "***@") {
			t.Fatalf("email authenticator: %v", first)
		}
		status, ch, _ := a.call("POST", "mfa/challenge", "", nil, map[string]any{"client_id": a.client, "client_secret": a.secret, "mfa_token": mt2,
			"challenge_type": "oob", "authenticator_id": first["id"]})
		oob2, _ := ch["oob_code"].(string)
		if status != 200 || ch["challenge_type"] != "oob" || ch["binding_method"] != "prompt" || oob2 == "" {
			t.Fatalf("challenge: %d %v", status, ch)
		}
		code2 := mailedCodes(t, n, 2)[0]
		status, body = a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt2}, "oob_code": {oob2}, "binding_code": {code2}})
		if status != 200 {
			t.Fatalf("mfa-oob after a challenge: %d %v", status, body)
		}

		// The factor deleted while a code is out: the code no longer signs in.
		mt3 := a.mfaToken(user)
		_, ch, _ = a.call("POST", "mfa/challenge", "", nil, map[string]any{"client_id": a.client, "client_secret": a.secret, "mfa_token": mt3})
		oob3, _ := ch["oob_code"].(string)
		code3 := mailedCodes(t, n, 3)[0]
		m := newMgmtClient(t, n.node)
		uid := usersByEmail(t, m, user.Email)[0]["user_id"].(string)
		if status, _ := m.do("DELETE", "users/"+url.PathEscape(uid)+"/authentication-methods/"+url.PathEscape(first["id"].(string)), nil); status != 204 {
			t.Fatalf("delete the factor: %d", status)
		}
		status, body = a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt3}, "oob_code": {oob3}, "binding_code": {code3}})
		wantRefused(t, "a deleted factor", status, body, 403, "invalid_grant", "The authenticator was removed. Sign in again.")
	})
}

// waitLogCount waits (bounded) until at least want events of typ are in the tenant log, which the
// token endpoint writes just after answering, and returns how many there are.
func waitLogCount(t *testing.T, n *node, typ string, want int) int {
	t.Helper()
	got := 0
	for range 250 {
		if got = logCount(t, n, typ); got >= want {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

// tokenOf is a token endpoint answer as golang.org/x/oauth2 holds it.
func tokenOf(body map[string]any) *oauth2.Token {
	at, _ := body["access_token"].(string)
	return (&oauth2.Token{AccessToken: at}).WithExtra(body)
}
