package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// mustEnablePasskeys turns on passkeys as a first factor of the database connection.
func mustEnablePasskeys(t *testing.T, ctx context.Context, g *gatehouse, challengeUI string) {
	t.Helper()
	c, err := g.App.Store.GetConnectionByName(ctx, domain.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	c.Options.AuthenticationMethods = &domain.AuthenticationMethods{Passkey: &domain.EnabledOption{Enabled: true}}
	c.Options.PasskeyOptions = &domain.PasskeyOptions{ChallengeUI: challengeUI}
	if err := g.App.Store.UpdateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// TestPasskeys: with passkeys on the database connection, a new user signs up with a passkey
// only (a platform authenticator with resident keys and user verification), then signs in from
// another browser holding the passkey with the login page's button, and from a third through the
// username field's autofill (conditional mediation); a password user adds a passkey at
// /u/passkeys from their signed-in session. Each page is screenshotted.
func TestPasskeys(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 420*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	mustEnablePasskeys(t, ctx, g, domain.PasskeyChallengeBoth)
	app := MustStartSeedApp(t, ctx, g)
	shots := artifactsDir(t)

	// Sign up with a passkey.
	b := MustStartBrowser(t, ctx)
	device := mustAddAuthenticator(t, b, webauthn.AuthenticatorTransportInternal)
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	if ac := run(b, "autocomplete", chromedp.Evaluate[string](`document.querySelector('#username').getAttribute('autocomplete')`)); ac != "username webauthn" {
		t.Fatalf("username autocomplete %q, want conditional UI's \"username webauthn\"", ac)
	}
	b.step("wait for the passkey button", chromedp.WaitVisible(chromedp.CSS(`#passkey-start`)))
	b.screenshot(shots, "passkey-login")
	b.step("open the signup page", chromedp.Click(chromedp.CSS(`.alt a[href^="/u/signup"]`)), chromedp.WaitVisible(chromedp.CSS(`#passkey-email`)))
	b.screenshot(shots, "passkey-signup")
	const email = "pat@example.com"
	b.step("sign up with a passkey", chromedp.SendKeys(chromedp.CSS(`#passkey-email`), email),
		chromedp.Click(chromedp.CSS(`#passkey-signup`)), chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/signup/passkey") {
		t.Fatalf("passkey creation at %s", loc)
	}
	b.screenshot(shots, "passkey-create")
	b.step("create the passkey", chromedp.Click(chromedp.CSS(`#webauthn-start`)))
	b.waitFor("the dashboard", `!!document.querySelector('#welcome') || !!document.querySelector('#form-error p')`)
	if loc := b.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after the passkey signup the browser is at %s (%s)", loc, b.text("main"))
	}
	user, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, email)
	if err != nil || user.PasswordHash != "" {
		t.Fatalf("signed-up user %+v, %v: want one without a password", user, err)
	}
	pk := device.onlyCredential(t)
	if !pk.IsResidentCredential || string(pk.UserHandle) != user.UserID {
		t.Fatalf("passkey: resident %v, user handle %q, want %q", pk.IsResidentCredential, pk.UserHandle, user.UserID)
	}

	// Sign in with the passkey only, with the button (challenge_ui "button": no autofill request,
	// which the virtual authenticator would answer at once).
	mustEnablePasskeys(t, ctx, g, domain.PasskeyChallengeButton)
	b2 := MustStartBrowser(t, ctx)
	mustAddAuthenticator(t, b2, webauthn.AuthenticatorTransportInternal).add(t, pk, pk.SignCount)
	b2.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b2, g)
	if ac := run(b2, "autocomplete", chromedp.Evaluate[string](`document.querySelector('#username').getAttribute('autocomplete')`)); ac != "username" {
		t.Fatalf("username autocomplete %q with challenge_ui button", ac)
	}
	b2.step("continue with a passkey", chromedp.WaitVisible(chromedp.CSS(`#passkey-start`)), chromedp.Click(chromedp.CSS(`#passkey-start`)),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	if loc := b2.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after the passkey sign-in the browser is at %s", loc)
	}
	b2.screenshot(shots, "passkey-signed-in")
	if me := b2.fetchJSON(app.Web + "/api/auth/me"); !strings.Contains(string(me.Body), `"amr":["mfa","hwk"]`) {
		t.Fatalf("the ID token's amr after a passkey sign-in: %s", me.Body)
	}

	// Conditional UI (challenge_ui "autofill": no button): the login page asks for a passkey with
	// mediation "conditional" as soon as it loads, and the browser's autofill answers it (the
	// virtual authenticator picks its one credential without a user's choice).
	mustEnablePasskeys(t, ctx, g, domain.PasskeyChallengeAutofill)
	b3 := MustStartBrowser(t, ctx)
	mustAddAuthenticator(t, b3, webauthn.AuthenticatorTransportInternal).add(t, pk, pk.SignCount+10)
	b3.navigate(app.Web + "/dashboard")
	b3.waitFor("the autofill sign-in", `!!document.querySelector('#welcome')`)
	if loc := b3.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after the autofill sign-in the browser is at %s", loc)
	}
	if got, err := g.App.Store.ListWebAuthnCredentials(ctx, user.UserID); err != nil || len(got) != 1 || got[0].SignCount <= uint32(pk.SignCount)+10 {
		t.Fatalf("passkey after the autofill sign-in: %+v, %v", got, err)
	}

	// A signed-in password user adds a passkey from their session.
	admin := g.User(t, "admin")
	b4 := MustStartBrowser(t, ctx)
	device4 := mustAddAuthenticator(t, b4, webauthn.AuthenticatorTransportInternal)
	b4.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b4, g)
	signIn(t, b4, admin.Email, admin.Password)
	b4.step("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	b4.navigate(g.Origin + "/u/passkeys")
	b4.step("wait for the passkeys page", chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)))
	b4.screenshot(shots, "passkeys-page")
	b4.step("add a passkey", chromedp.Click(chromedp.CSS(`#webauthn-start`)), chromedp.WaitVisible(chromedp.CSS(`.status`)))
	b4.screenshot(shots, "passkeys-added")
	if n := len(device4.credentials(t)); n != 1 {
		t.Fatalf("the device holds %d passkeys", n)
	}
	adminID := mustUserID(t, ctx, g, admin.Email)
	if list, err := g.App.Store.ListWebAuthnCredentials(ctx, adminID); err != nil || len(list) != 1 || list[0].Type != domain.MethodPasskey {
		t.Fatalf("admin's credentials %+v, %v", list, err)
	}

	// The Management API lists the passkey in Auth0's shape.
	tok := mustClientCredentials(t, ctx, g, g.Tenant.ManagementAPI.ClientID, g.Tenant.ManagementAPI.ClientSecret, g.Tenant.ManagementAPI.Audience)
	methods := mustMgmtJSON[[]map[string]any](t, ctx, g, tok, http.MethodGet, "users/"+user.UserID+"/authentication-methods", http.StatusOK)
	if len(methods) != 1 || methods[0]["type"] != "passkey" || methods[0]["identity_user_id"] != user.UserID ||
		methods[0]["key_id"] == "" || methods[0]["public_key"] == "" || methods[0]["created_at"] == "" || methods[0]["credential_device_type"] != "single_device" {
		t.Fatalf("authentication methods %v", methods)
	}
}

// mustMgmtJSON calls the Management API and decodes its JSON answer.
func mustMgmtJSON[T any](t *testing.T, ctx context.Context, g *gatehouse, token, method, path string, want int) T {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, g.Issuer+"api/v2/"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d %s, want %d", method, path, resp.StatusCode, body, want)
	}
	var v T
	if len(body) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, body)
		}
	}
	return v
}
