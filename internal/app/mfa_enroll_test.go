package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestMFAEnrollWithAfterExistingFactor: a post-login Action's enrollWith for a user who already has
// a factor first asks for that factor (the enrollment page is refused until then), then shows the
// enrollment of the new one; the next sign-in challenges as usual. /users/{id}/enrollments lists
// every confirmed factor in Auth0's shape: the email factor, the app, a security key; not a
// passkey, a pending app or the recovery code.
func TestMFAEnrollWithAfterExistingFactor(t *testing.T) {
	mfaAPIEngines(t, func(t *testing.T, n mfaNode) {
		a := newMFAAPI(t, n)
		m := newMgmtClient(t, n.node)
		user := n.tenant.Users[0]
		mt := a.mfaToken(user)
		_, en, _ := a.call("POST", "mfa/associate", mt, nil, map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"email"}})
		if status, body := a.token(domain.GrantMFAOOB, url.Values{"mfa_token": {mt}, "oob_code": {en["oob_code"].(string)}, "binding_code": {mailedCodes(t, n, 1)[0]}}); status != 200 {
			t.Fatalf("enroll email: %d %v", status, body)
		}
		if status, _ := m.do("PUT", "guardian/policies", []string{}); status != 200 {
			t.Fatal("policy off")
		}
		m.bind("post-login", m.deployAction("Enroll an app", "post-login", `
exports.onExecutePostLogin = async (event, api) => {
  api.authentication.enrollWith({ type: 'otp' });
};`))

		client := newMFAClient(t, n.node)
		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		loc := b.start(authURL, user.Email, user.Password)
		if loc.Path != "/u/mfa-email-challenge" {
			t.Fatalf("enrollWith for a user with a factor: sent to %s, want the existing factor's challenge", loc)
		}
		// The enrollment page of this transaction is refused before the existing factor is passed.
		b.loc = &url.URL{Path: "/u/mfa-otp-enrollment-qr", RawQuery: loc.RawQuery}
		b.open()
		if b.code == 200 || strings.Contains(b.page, "otpauth://") {
			t.Fatalf("enrollment before the existing factor: %d", b.code)
		}
		b.loc = loc
		b.open()
		b.submit(url.Values{"code": {mailedCodes(t, n, 2)[0]}})
		if b.code != http.StatusFound || b.loc.Path != "/u/mfa-otp-enrollment-qr" {
			t.Fatalf("after the email code: %d %s", b.code, b.loc)
		}
		b.open()
		m1 := secretText.FindStringSubmatch(b.page)
		if b.code != 200 || m1 == nil {
			t.Fatalf("enrollment page: %d %s", b.code, b.page)
		}
		secret := strings.ReplaceAll(m1[1], " ", "")
		b.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b.code == 200 && recoveryText.MatchString(b.page) {
			b.finish()
		}
		if b.code != http.StatusFound || b.loc.Query().Get("code") == "" {
			t.Fatalf("after enrollment: %d %s %s", b.code, b.loc, b.page)
		}
		claims, _ := client.idToken(t, b.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
		if got := waitLogCount(t, n.node, "gd_enrollment_complete", 1); got < 1 {
			t.Errorf("gd_enrollment_complete logged %d times", got)
		}

		// The user now has an app: the next sign-in is a challenge, not an enrollment.
		authURL, _ = client.authURL()
		if loc := newMFABrowser(t, n).start(authURL, user.Email, user.Password); loc.Path != "/u/mfa-otp-challenge" && loc.Path != "/u/mfa-email-challenge" {
			t.Fatalf("second sign-in: sent to %s", loc)
		}

		// Enrollments: the email factor and the app, and a security key; not a passkey or a pending app.
		ctx := context.Background()
		u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, user.Email)
		if err != nil {
			t.Fatal(err)
		}
		now := n.clock.Now().UTC()
		for _, k := range []*domain.WebAuthnCredential{
			{ID: "webauthn-roaming|dev_k1", UserID: u.UserID, Type: domain.FactorWebAuthnRoaming, CredentialID: []byte("k1"), Name: "YubiKey 5C NFC", Data: []byte("{}"), CreatedAt: now},
			{ID: "passkey|dev_p1", UserID: u.UserID, Type: domain.MethodPasskey, CredentialID: []byte("p1"), Name: "Passkey", Data: []byte("{}"), CreatedAt: now},
		} {
			if err := n.Store.CreateWebAuthnCredential(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Store.CreateMFAAuthenticator(ctx, &domain.MFAAuthenticator{ID: "totp|dev_pending", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{1}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		status, out := m.do("GET", "users/"+url.PathEscape(u.UserID)+"/enrollments", nil)
		byMethod := map[string]map[string]any{}
		for _, e := range asList(out["list"]) {
			e := e.(map[string]any)
			if e["status"] != "confirmed" || e["enrolled_at"] == nil || e["id"] == "" {
				t.Errorf("enrollment %v", e)
			}
			byMethod[e["auth_method"].(string)] = e
		}
		if status != 200 || len(byMethod) != 3 || byMethod["authenticator"]["type"] != "authenticator" ||
			byMethod["email"]["identifier"] != u.Email || byMethod["email"]["last_auth"] == nil ||
			byMethod["webauthn-roaming"]["name"] != "YubiKey 5C NFC" || byMethod["webauthn-roaming"]["id"] != "webauthn-roaming|dev_k1" {
			t.Fatalf("enrollments: %d %v", status, out)
		}
	})
}
