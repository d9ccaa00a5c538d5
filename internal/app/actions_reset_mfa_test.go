package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestPasswordResetMFAChallenge: a password-reset-post-challenge Action's challengeWith puts the
// user's own second factor between the reset link and the new-password form, on both engines: the
// link opens the factor's page; a forged new-password POST is refused, in this browser and in
// another; wrong codes are logged and, past the ticket's limit, spend the ticket; a right code (or
// the recovery code, replaced) opens the form in this browser only; a user without the factor is
// refused.
func TestPasswordResetMFAChallenge(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		ctx := context.Background()
		admin := n.tenant.Users[0]
		setMFAPolicy(t, n.node, domain.PolicyAllApplications)
		client := newMFAClient(t, n.node)
		enrollB := newMFABrowser(t, n)
		authURL, _ := client.authURL()
		enrollB.start(authURL, admin.Email, admin.Password)
		secret, recovery := enrollB.enroll()
		enrollB.finish()
		setMFAPolicy(t, n.node)
		n.clock.Advance(time.Minute)

		m := newMgmtClient(t, n.node)
		m.bind("password-reset-post-challenge", m.deployAction("reset mfa", "password-reset-post-challenge",
			`exports.onExecutePostChallenge = async (event, api) => {
  api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'recovery-code' }] });
};`))
		ticket := func(email string) string { _, link := resetTicket(t, n.node, m, email); return link }
		user, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, admin.Email)
		if err != nil {
			t.Fatal(err)
		}

		// The link leads to the authenticator app's challenge, not to the form.
		link := ticket(admin.Email)
		ticketSecret := strings.TrimPrefix(link, n.issuer+"u/reset-password?ticket=")
		b := newMFABrowser(t, n)
		code, challenge := redirectOf(t, b.c, link)
		if code != http.StatusFound || challenge != "/u/reset-password/mfa-otp-challenge?ticket="+ticketSecret {
			t.Fatalf("link: %d %s", code, challenge)
		}

		// A forged new-password POST, with a valid form binding computed from the browser's own
		// cookie, changes nothing.
		first := link
		forge := func(c *http.Client) (int, string) { return forgeResetPost(t, c, n.node, first) }
		b.loc = mustParse(t, challenge)
		b.open()
		if b.code != 200 || !strings.Contains(b.page, `name="code"`) || !strings.Contains(b.page, "/u/reset-password/mfa-recovery-code-challenge?ticket=") {
			t.Fatalf("challenge page: %d %s", b.code, b.page)
		}
		if code, body := forge(b.c); code != http.StatusForbidden || !strings.Contains(body, "Verify your identity first") {
			t.Fatalf("forged POST before the factor: %d %s", code, body)
		}

		// A wrong code is refused and logged as at sign-in; the right one opens the form here.
		failed := logCount(t, n.node, audit.TypeMFAAuthFailed)
		b.submit(url.Values{"code": {"000000"}})
		if b.code != http.StatusBadRequest || !strings.Contains(b.page, "Invalid code") || logCount(t, n.node, audit.TypeMFAAuthFailed) != failed+1 {
			t.Fatalf("wrong code: %d %s", b.code, b.page)
		}
		succeeded := logCount(t, n.node, audit.TypeMFAAuthSucceed)
		b.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b.code != http.StatusSeeOther || b.loc.Path != "/u/reset-password" || logCount(t, n.node, audit.TypeMFAAuthSucceed) != succeeded+1 {
			t.Fatalf("right code: %d %s %s", b.code, b.loc, b.page)
		}
		// Another browser holding the link has passed nothing.
		other := browser(t)
		if code, _ := redirectOf(t, other, link); code != http.StatusFound {
			t.Fatalf("link in another browser: %d", code)
		}
		if code, _ := forge(other); code != http.StatusForbidden {
			t.Fatalf("forged POST from another browser: %d", code)
		}
		if after, _ := n.Store.GetUser(ctx, user.UserID); after.PasswordHash != user.PasswordHash {
			t.Fatal("a forged POST changed the password")
		}
		b.open()
		if b.code != 200 || !strings.Contains(b.page, `name="password"`) {
			t.Fatalf("form after the factor: %d %s", b.code, b.page)
		}
		b.submit(url.Values{"password": {"Reset-Mfa-Passw0rd!"}, "password_confirm": {"Reset-Mfa-Passw0rd!"}})
		if b.code != 200 || !strings.Contains(b.page, "Password changed") {
			t.Fatalf("change: %d %s", b.code, b.page)
		}

		// Wrong codes past the ticket's limit spend it.
		link = ticket(admin.Email)
		b = newMFABrowser(t, n)
		redirectOf(t, b.c, link)
		b.loc = mustParse(t, challengeURL(link))
		b.open()
		limited := logCount(t, n.node, audit.TypeMFAOTPRateLimit)
		for i := range 6 {
			b.submit(url.Values{"code": {"000000"}})
			want := http.StatusBadRequest
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if b.code != want {
				t.Fatalf("attempt %d: %d, want %d", i+1, b.code, want)
			}
			if i < 5 {
				b.loc = mustParse(t, challengeURL(link))
				b.open()
			}
		}
		if logCount(t, n.node, audit.TypeMFAOTPRateLimit) != limited+1 {
			t.Fatal("no gd_otp_rate_limit_exceed")
		}
		if resp, _ := get(t, b.c, link); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("the link after too many codes: %d", resp.StatusCode)
		}

		// The recovery code passes too, and is replaced by a new one shown once.
		link = ticket(admin.Email)
		b = newMFABrowser(t, n)
		b.loc = mustParse(t, strings.Replace(challengeURL(link), "mfa-otp-challenge", "mfa-recovery-code-challenge", 1))
		if code, _ := redirectOf(t, b.c, link); code != http.StatusFound {
			t.Fatalf("link: %d", code)
		}
		b.open()
		b.submit(url.Values{"recovery_code": {recovery}})
		if b.code != 200 || recoveryText.FindStringSubmatch(b.page) == nil || logCount(t, n.node, audit.TypeMFARecoverySucceed) < 1 {
			t.Fatalf("recovery code: %d %s", b.code, b.page)
		}
		b.submit(url.Values{"saved": {"1"}})
		if b.code != http.StatusSeeOther {
			t.Fatalf("continue: %d %s", b.code, b.page)
		}
		b.open()
		if b.code != 200 || !strings.Contains(b.page, `name="password"`) {
			t.Fatalf("form after the recovery code: %d", b.code)
		}

		// A user with no factor of those types cannot reset here.
		b = newMFABrowser(t, n)
		b.loc = mustParse(t, ticket(n.tenant.Users[1].Email))
		b.open()
		if b.code != http.StatusForbidden || !strings.Contains(b.page, "second factor you have not set up") || strings.Contains(b.page, `name="password"`) {
			t.Fatalf("user without a factor: %d %s", b.code, b.page)
		}
	})
}

// resetTicket is a password-change ticket for the user with email (the Management API's), and its link.
func resetTicket(t *testing.T, n *node, m *mgmtClient, email string) (*domain.User, string) {
	t.Helper()
	u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email)
	if err != nil {
		t.Fatal(err)
	}
	status, body := m.do("POST", "tickets/password-change", map[string]any{"user_id": u.UserID})
	link, _ := body["ticket"].(string)
	if status != 201 || link == "" {
		t.Fatalf("ticket: %d %v", status, body)
	}
	return u, link
}

// forgeResetPost posts a new password for link's ticket from c with a form binding computed from
// c's own reset cookie, as a forged form would, and returns the status and page.
func forgeResetPost(t *testing.T, c *http.Client, n *node, link string) (int, string) {
	t.Helper()
	secret := strings.TrimPrefix(link, n.issuer+"u/reset-password?ticket=")
	var cookie string
	for _, ck := range c.Jar.Cookies(mustParse(t, n.issuer)) {
		if ck.Name == "gh_reset" {
			cookie = ck.Value
		}
	}
	mac := hmac.New(sha256.New, []byte(cookie))
	mac.Write([]byte("gatehouse reset form\x00change\x00" + secret))
	resp, body := post(t, c, n.issuer+"u/reset-password", url.Values{"ticket": {secret},
		"csrf": {base64.RawURLEncoding.EncodeToString(mac.Sum(nil))}, "password": {"Forged-Passw0rd!"}, "password_confirm": {"Forged-Passw0rd!"}})
	return resp.StatusCode, body
}

// redirectOf GETs u and returns the status and the Location it sends the browser to.
func redirectOf(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, _ := get(t, c, u)
	return resp.StatusCode, resp.Header.Get("Location")
}

// challengeURL is the authenticator app's challenge for a reset link.
func challengeURL(link string) string {
	return strings.Replace(link, "/u/reset-password?", "/u/reset-password/mfa-otp-challenge?", 1)
}
