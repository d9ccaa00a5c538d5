package authflow_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// mustDevice stores a pending device code of a TV app for scope and returns its user code and hash.
func (e *env) mustDevice(tb testing.TB, scope string) (string, []byte) {
	tb.Helper()
	ctx := context.Background()
	if _, err := e.st.GetClient(ctx, "tvApp000000000000000000000000001"); err != nil {
		c := &domain.Client{ClientID: "tvApp000000000000000000000000001", Name: "Living Room TV", AppType: domain.AppTypeNative}
		domain.ApplyClientDefaults(c)
		c.GrantTypes = []string{domain.GrantDeviceCode}
		must(tb, e.st.CreateClient(ctx, c))
	}
	code := domain.NewUserCode()
	now := e.clock.Now()
	dc := &domain.DeviceCode{CodeHash: domain.HashSecret(domain.RandomToken(32)), UserCodeHash: domain.HashUserCode(code),
		ClientID: "tvApp000000000000000000000000001", Scope: scope, Audience: apiAudience, Interval: 5,
		CreatedAt: now, ExpiresAt: now.Add(domain.DeviceCodeLifetime)}
	must(tb, e.st.CreateDeviceCode(ctx, dc))
	return code, dc.CodeHash
}

// pollOnce reads the device code's state as a device's poll would.
func (e *env) pollOnce(tb testing.TB, hash []byte) (*domain.DeviceCode, error) {
	tb.Helper()
	e.clock.Advance(time.Minute)
	return e.st.PollDeviceCode(context.Background(), hash, "tvApp000000000000000000000000001", e.clock.Now)
}

// enterCode posts a user code at /activate and returns the answer.
func (e *env) enterCode(tb testing.TB, c *http.Client, code string) page {
	tb.Helper()
	return e.post(tb, c, authflow.ActivatePath, url.Values{"user_code": {code}})
}

// confirmPage follows a redirect to the confirmation and returns it with its CSRF token.
func (e *env) confirmPage(tb testing.TB, c *http.Client, p page) (page, string) {
	tb.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, authflow.ActivateConfirmPath+"?state=") {
		tb.Fatalf("want the confirmation, got %d %q %s", p.status, p.location, p.body)
	}
	cp := e.get(tb, c, p.location)
	m := csrfField.FindStringSubmatch(cp.body)
	if cp.status != http.StatusOK || m == nil {
		tb.Fatalf("confirmation page: %d %s", cp.status, cp.body)
	}
	return cp, m[1]
}

// TestActivateSignInAndConfirm: code entry, the login form, the confirmation naming the app and
// showing the code, then approval with the scopes the code flow would grant.
func TestActivateSignInAndConfirm(t *testing.T) {
	e := newEnv(t, envOptions{})
	code, hash := e.mustDevice(t, "openid profile read:own_data admin:read")
	c := e.browser(t)
	if p := e.get(t, c, authflow.ActivatePath+"?user_code="+strings.ToLower(code)); p.status != 200 || !strings.Contains(p.body, `value="`+code+`"`) {
		t.Fatalf("activate page: %d %s", p.status, p.body)
	}
	p := e.enterCode(t, c, strings.ToLower(strings.ReplaceAll(code, "-", " ")))
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, authflow.LoginPath+"?state=") {
		t.Fatalf("code entry: %d %q %s", p.status, p.location, p.body)
	}
	lp := e.get(t, c, p.location)
	csrf := csrfField.FindStringSubmatch(lp.body)[1]
	p = e.post(t, c, p.location, url.Values{"state": {stateOf(p.location)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	cp, csrf := e.confirmPage(t, c, p)
	for _, want := range []string{"Living Room TV", code, "read:own_data", "See your name and profile picture"} {
		if !strings.Contains(cp.body, want) {
			t.Fatalf("confirmation lacks %q: %s", want, cp.body)
		}
	}
	// Nothing is approved before the user confirms.
	if dc, err := e.pollOnce(t, hash); err != nil || dc.Status != domain.DevicePending {
		t.Fatalf("before confirmation: %+v %v", dc, err)
	}
	confirmURL := p.location
	done := e.post(t, c, confirmURL, url.Values{"state": {stateOf(confirmURL)}, "csrf": {csrf}, "decision": {"confirm"}})
	if done.status != 200 || !strings.Contains(done.body, "all set") {
		t.Fatalf("done: %d %s", done.status, done.body)
	}
	dc, err := e.pollOnce(t, hash)
	must(t, err)
	// RBAC as in the code flow: Jane holds read:own_data, not admin:read.
	if dc.Status != domain.DeviceApproved || dc.UserID != e.userID || dc.GrantedScope != "openid profile read:own_data" || dc.SessionID == "" {
		t.Fatalf("approved %+v", dc)
	}
	if len(e.postLogin.in) != 1 || e.postLogin.in[0].Source != trigger.SignIn || e.postLogin.in[0].Client.ClientID != "tvApp000000000000000000000000001" {
		t.Fatalf("post-login %+v", e.postLogin.in)
	}
	// The transaction is spent: confirming again changes nothing.
	if again := e.post(t, c, confirmURL, url.Values{"state": {stateOf(confirmURL)}, "csrf": {csrf}, "decision": {"confirm"}}); again.status != http.StatusBadRequest {
		t.Fatalf("second confirmation: %d", again.status)
	}

	// Signed in already (SSO): the next code goes straight to the confirmation; Cancel refuses it.
	code2, hash2 := e.mustDevice(t, "openid")
	p = e.enterCode(t, c, code2)
	_, csrf = e.confirmPage(t, c, p)
	denied := e.post(t, c, p.location, url.Values{"state": {stateOf(p.location)}, "csrf": {csrf}, "decision": {"deny"}})
	if denied.status != 200 || !strings.Contains(denied.body, "Device not connected") {
		t.Fatalf("deny: %d %s", denied.status, denied.body)
	}
	if dc, err := e.pollOnce(t, hash2); err != nil || dc.Status != domain.DeviceDenied {
		t.Fatalf("after deny: %+v %v", dc, err)
	}
}

// TestActivateBadInput: bad, unknown, used and expired codes get one answer and count toward a block
// of the address; a forged or foreign confirmation changes nothing.
func TestActivateBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.browser(t)
	used, usedHash := e.mustDevice(t, "openid")
	must(t, e.st.DenyDeviceCode(ctx, usedHash, e.clock.Now()))
	expired, _ := e.mustDevice(t, "openid")
	e.clock.Advance(domain.DeviceCodeLifetime)
	for _, tc := range []struct{ name, code string }{
		{"empty", ""},
		{"too short", "BCDF-GHJ"},
		{"digits", "1234-5678"},
		{"unknown", "BCDF-GHJK"},
		{"already decided", used},
		{"expired", expired},
		{"markup", `<script>alert(1)</script>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.enterCode(t, c, tc.code)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, authflow.MsgBadUserCode) || strings.Contains(p.body, "<script>alert") {
				t.Fatalf("%d %s", p.status, p.body)
			}
		})
	}
	// Forged confirmations: wrong CSRF token, another browser, no decision.
	good, goodHash := e.mustDevice(t, "openid")
	p := e.enterCode(t, c, good)
	if p.status != http.StatusFound {
		t.Fatalf("code entry: %d %s", p.status, p.body)
	}
	lp := e.get(t, c, p.location)
	csrf := csrfField.FindStringSubmatch(lp.body)[1]
	p = e.post(t, c, p.location, url.Values{"state": {stateOf(p.location)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	_, csrf = e.confirmPage(t, c, p)
	state := stateOf(p.location)
	for name, forged := range map[string]struct {
		c    *http.Client
		form url.Values
	}{
		"wrong csrf":       {c, url.Values{"state": {state}, "csrf": {"forged"}, "decision": {"confirm"}}},
		"other browser":    {e.browser(t), url.Values{"state": {state}, "csrf": {csrf}, "decision": {"confirm"}}},
		"no decision":      {c, url.Values{"state": {state}, "csrf": {csrf}}},
		"unknown decision": {c, url.Values{"state": {state}, "csrf": {csrf}, "decision": {"maybe"}}},
	} {
		if r := e.post(t, forged.c, p.location, forged.form); r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		if dc, err := e.pollOnce(t, goodHash); err != nil || dc.Status != domain.DevicePending {
			t.Fatalf("%s changed the device code: %+v %v", name, dc, err)
		}
	}

	// Ten wrong codes from one address block it, even for a valid code; the block ends.
	fresh := e.browser(t)
	for range 10 - 7 { // seven wrong entries above already count
		e.enterCode(t, fresh, "BCDF-GHJK")
	}
	valid, _ := e.mustDevice(t, "openid")
	if p := e.enterCode(t, fresh, valid); p.status != http.StatusTooManyRequests || !strings.Contains(p.body, authflow.MsgTooManyCodes) {
		t.Fatalf("blocked address: %d %s", p.status, p.body)
	}
	e.clock.Advance(16 * time.Minute)
	valid, _ = e.mustDevice(t, "openid")
	if p := e.enterCode(t, fresh, valid); p.status != http.StatusFound {
		t.Fatalf("after the block: %d %s", p.status, p.body)
	}
}

// TestActivateBlockedUser: a blocked user who signs in gets a page, not a connected device, and the
// device hears access_denied.
func TestActivateBlockedUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	code, hash := e.mustDevice(t, "openid")
	c := e.browser(t)
	p := e.enterCode(t, c, code)
	lp := e.get(t, c, p.location)
	csrf := csrfField.FindStringSubmatch(lp.body)[1]
	p = e.post(t, c, p.location, url.Values{"state": {stateOf(p.location)}, "csrf": {csrf}, "username": {adminEmail}, "password": {userPassword}})
	_, csrf = e.confirmPage(t, c, p)
	r := e.post(t, c, p.location, url.Values{"state": {stateOf(p.location)}, "csrf": {csrf}, "decision": {"confirm"}})
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "user is blocked") {
		t.Fatalf("blocked user: %d %s", r.status, r.body)
	}
	dc, err := e.pollOnce(t, hash)
	if err != nil || dc.Status != domain.DeviceDenied {
		t.Fatalf("device after a blocked user: %+v %v", dc, err)
	}
}
