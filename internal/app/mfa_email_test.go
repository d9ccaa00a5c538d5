package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/mail/mailtest"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestMFAEmailInBrowser: a user whose factor is their email is sent a code at sign-in, on the
// hosted page; a wrong code and a code of another transaction are refused and the sign-in does
// not advance; the right code signs in with amr mfa and email.
func TestMFAEmailInBrowser(t *testing.T) {
	mfaAPIEngines(t, func(t *testing.T, n mfaNode) {
		a := newMFAAPI(t, n)
		user := n.tenant.Users[0]
		// Enroll the email factor through the MFA API.
		mt := a.mfaToken(user)
		_, en, _ := a.call("POST", "mfa/associate", mt, nil, map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"email"}})
		code := mailedCodes(t, n, 1)[0]
		if status, body := a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {en["oob_code"].(string)}, "binding_code": {code}}); status != 200 {
			t.Fatalf("enroll email: %d %v", status, body)
		}

		client := newMFAClient(t, n.node)
		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		if loc := b.start(authURL, user.Email, user.Password); loc.Path != "/u/mfa-email-challenge" {
			t.Fatalf("sent to %s, want the email challenge", loc)
		}
		b.open()
		if b.code != 200 || !strings.Contains(b.page, "***@") {
			t.Fatalf("email challenge page: %d %s", b.code, b.page)
		}
		code = mailedCodes(t, n, 2)[0]
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		b.submit(url.Values{"code": {wrong}})
		if b.code != http.StatusBadRequest || !strings.Contains(b.page, "Invalid code") {
			t.Fatalf("a wrong code: %d", b.code)
		}
		// The oob_code of the API's challenge (another transaction) is refused here.
		b.submit(url.Values{"code": {mailedCodes(t, n, 2)[1]}, "oob_code": {en["oob_code"].(string)}})
		if b.code != http.StatusBadRequest || !strings.Contains(b.page, "expired") {
			t.Fatalf("another transaction's code: %d", b.code)
		}
		// "Send a new code" mails a fresh one; the first is still good until it is used or expires.
		b.loc = mustParse(t, htmlUnescape(regexp.MustCompile(`<a href="(/u/mfa-email-challenge\?state=[^"]*)">Send a new code`).FindStringSubmatch(b.page)[1]))
		b.open()
		code = mailedCodes(t, n, 3)[0]
		b.submit(url.Values{"code": {code}})
		if b.code != http.StatusFound {
			t.Fatalf("the right code: %d %s", b.code, b.page)
		}
		claims, _ := client.idToken(t, b.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "email")
		if logCount(t, n.node, audit.TypeMFAAuthSucceed) != 1 {
			t.Error("no gd_auth_succeed logged")
		}
	})
}

// TestMFAChallengeWithAction: api.authentication.challengeWith/challengeWithAny choose the factor
// page; a session that passed one factor does not pass a challenge of another type; a user without
// a factor of the required types is refused (access_denied at the app), and the sign-in issues nothing.
func TestMFAChallengeWithAction(t *testing.T) {
	mfaAPIEngines(t, func(t *testing.T, n mfaNode) {
		a := newMFAAPI(t, n)
		m := newMgmtClient(t, n.node)
		user := n.tenant.Users[0]
		mt := a.mfaToken(user)
		_, en, _ := a.call("POST", "mfa/associate", mt, nil, map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"email"}})
		if status, body := a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {en["oob_code"].(string)}, "binding_code": {mailedCodes(t, n, 1)[0]}}); status != 200 {
			t.Fatalf("enroll email: %d %v", status, body)
		}
		// From here on only the Actions ask for a second factor.
		if status, _ := m.do("PUT", "guardian/policies", []string{}); status != 200 {
			t.Fatal("policy off")
		}

		action := m.deployAction("Challenge", "post-login", `
exports.onExecutePostLogin = async (event, api) => {
  api.authentication.challengeWithAny([{ type: 'otp' }, { type: 'email' }]);
};`)
		m.bind("post-login", action)
		client := newMFAClient(t, n.node)
		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		if loc := b.start(authURL, user.Email, user.Password); loc.Path != "/u/mfa-email-challenge" {
			t.Fatalf("challengeWithAny: sent to %s, want the email challenge", loc)
		}
		b.open()
		b.submit(url.Values{"code": {mailedCodes(t, n, 2)[0]}})
		if b.code != http.StatusFound {
			t.Fatalf("email code: %d", b.code)
		}
		claims, _ := client.idToken(t, b.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "email")

		// Now only an authenticator app will do: the session's email factor does not pass, and the
		// user has no app.
		otpOnly := m.deployAction("Challenge otp", "post-login", `
exports.onExecutePostLogin = async (event, api) => {
  api.authentication.challengeWith({ type: 'otp' });
};`)
		m.bind("post-login", otpOnly)
		authURL, _ = client.authURL()
		cb := b.start(authURL, user.Email, user.Password)
		if cb.Query().Get("error") != "access_denied" || cb.Query().Get("code") != "" {
			t.Fatalf("challengeWith otp for a user without an app: %s", cb)
		}
	})
}

// TestMFAEmailOnlyTenant: with the email factor the only one on, a user with a verified address
// and no factor is sent a code (through a real SMTP server on loopback) at sign-in; a wrong code
// is refused on the page, five end the sign-in; the right code signs in with amr mfa and email,
// and the factor is then an enrollment. A user without a verified address is refused, not let
// through without a second factor.
func TestMFAEmailOnlyTenant(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		ctx := context.Background()
		srv := withSMTP(t, n.node)
		g := domain.GuardianSettings{Policies: []string{domain.PolicyAllApplications}, Enabled: map[string]bool{domain.FactorEmail: true}}
		if err := n.Store.PutGuardianSettings(ctx, g); err != nil {
			t.Fatal(err)
		}
		client := newMFAClient(t, n.node)
		user := n.tenant.Users[0]
		codeOf := func(want int) string {
			t.Helper()
			var msgs []mailtest.Message
			for i := 0; i < 500 && len(msgs) < want; i++ {
				if i%10 == 9 {
					n.clock.Advance(time.Second) // a message is due at the store's time, which may run ahead of the test clock
				}
				if _, err := n.Mail.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				msgs = srv.Messages()
				time.Sleep(10 * time.Millisecond)
			}
			if len(msgs) < want {
				t.Fatalf("the SMTP server has %d messages, want %d", len(msgs), want)
			}
			m := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(msgs[want-1].Text)
			if m == nil || msgs[want-1].To != user.Email {
				t.Fatalf("code mail to %s: %q", msgs[want-1].To, msgs[want-1].Text)
			}
			return m[1]
		}

		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		if loc := b.start(authURL, user.Email, user.Password); loc.Path != "/u/mfa-email-challenge" {
			t.Fatalf("email-only tenant: sent to %s", loc)
		}
		b.open()
		code := codeOf(1)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		b.submit(url.Values{"code": {wrong}})
		if b.code != http.StatusBadRequest || !strings.Contains(b.page, "Invalid code") {
			t.Fatalf("a wrong code: %d", b.code)
		}
		b.submit(url.Values{"code": {code}})
		if b.code != http.StatusFound {
			t.Fatalf("the right code: %d %s", b.code, b.page)
		}
		claims, _ := client.idToken(t, b.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "email")

		m := newMgmtClient(t, n.node)
		u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, user.Email)
		if err != nil {
			t.Fatal(err)
		}
		if status, out := m.do("GET", "users/"+url.PathEscape(u.UserID)+"/enrollments", nil); status != 200 || len(asList(out["list"])) != 1 {
			t.Fatalf("enrollments after the first email code: %d %v", status, out)
		}

		// Five wrong codes end the sign-in.
		b2 := newMFABrowser(t, n)
		authURL, _ = client.authURL()
		b2.start(authURL, user.Email, user.Password)
		b2.open()
		codeOf(2)
		for i := range 5 {
			b2.submit(url.Values{"code": {wrong}})
			if b2.code != http.StatusBadRequest {
				t.Fatalf("wrong code %d: %d", i+1, b2.code)
			}
		}
		b2.submit(url.Values{"code": {wrong}})
		if b2.code != http.StatusTooManyRequests || !strings.Contains(b2.page, "Too many") {
			t.Fatalf("the sixth wrong code: %d %s", b2.code, b2.page)
		}
		if waitLogCount(t, n.node, "gd_otp_rate_limit_exceed", 1) < 1 {
			t.Error("no gd_otp_rate_limit_exceed logged")
		}

		// Without a verified address there is no factor to ask for: refused.
		other := n.tenant.Users[1]
		o, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, other.Email)
		if err != nil {
			t.Fatal(err)
		}
		o.EmailVerified = false
		if err := n.Store.UpdateUser(ctx, o); err != nil {
			t.Fatal(err)
		}
		authURL, _ = client.authURL()
		if cb := newMFABrowser(t, n).start(authURL, other.Email, other.Password); cb.Query().Get("error") != "access_denied" || cb.Query().Get("code") != "" {
			t.Fatalf("an unverified user: %s", cb)
		}
	})
}
