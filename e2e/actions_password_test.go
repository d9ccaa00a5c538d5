package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// The password reset's Actions in a browser: a password-reset-post-challenge action refuses a
// reset on a page that says why, and the dashboard shows the Password Reset and Post Change
// Password flows with what is bound to them. Screenshots of both.
func TestPasswordResetActionPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.Tenant.Users[0]

	tok := mgmtToken(t, g)
	deployBound(t, g, tok, "password-reset-post-challenge", map[string]any{"name": "Help desk resets",
		"supported_triggers": []map[string]string{{"id": "password-reset-post-challenge", "version": "v1"}},
		"code": `exports.onExecutePostChallenge = async (event, api) => {
  if (event.user.email === ` + jsString(user.Email) + `) {
    api.access.deny('Your account is managed by the help desk: call extension 4242 to reset your password.');
  }
};`})
	link := passwordChangeLink(t, ctx, g, tok, user.Email)

	b.navigate(link)
	if h := b.text("h1"); h != "Your password cannot be reset here" {
		t.Fatalf("reset page heading %q", h)
	}
	if body := b.text("main"); !strings.Contains(body, "call extension 4242") || strings.Contains(body, "New password") {
		t.Errorf("reset page: %q", body)
	}
	b.screenshot(shots, "reset-denied-by-action")

	b.navigate(g.Issuer + "admin/flows/password-reset")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Flows › Password Reset" {
		t.Fatalf("flow page heading %q at %s", h, b.location())
	}
	if body := b.text("main"); !strings.Contains(body, "Help desk resets") || !strings.Contains(b.text(".tabs"), "Post Change Password") {
		t.Errorf("flow page: %q", body)
	}
	b.screenshot(shots, "dashboard-flow-password-reset")
}

// TestPasswordResetMFAChallengePages: a password-reset-post-challenge action asks for the user's
// authenticator app before the new password, in headless Chromium. The admin enrolls an app at a
// sign-in through the seed app; their reset link then opens the reset's challenge page, a wrong
// code is refused on the page, the right one opens the new-password form, and the new password is
// saved. Each page is screenshotted.
func TestPasswordResetMFAChallengePages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g, app := startMFATenant(t, ctx)
	shots := artifactsDir(t)
	b := MustStartBrowser(t, ctx)
	admin, secret := enrollAdminApp(t, b, g, app)

	tok := mgmtToken(t, g)
	deployBound(t, g, tok, "password-reset-post-challenge", map[string]any{"name": "Reset needs the app",
		"supported_triggers": []map[string]string{{"id": "password-reset-post-challenge", "version": "v1"}},
		"code": `exports.onExecutePostChallenge = async (event, api) => {
  api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'recovery-code' }] });
};`})
	link := passwordChangeLink(t, ctx, g, tok, admin.Email)

	r := MustStartBrowser(t, ctx)
	r.navigate(link)
	r.step("wait for the reset's challenge", chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)))
	if loc := r.location(); !strings.HasPrefix(loc, g.Origin+"/u/reset-password/mfa-otp-challenge?ticket=") {
		t.Fatalf("challenge at %s", loc)
	}
	r.screenshot(shots, "reset-mfa-challenge")
	r.step("enter a wrong code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), "000000"),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`#form-error p`)))
	if msg := r.text("#form-error"); !strings.Contains(msg, "Invalid code") {
		t.Fatalf("wrong code message %q", msg)
	}
	r.screenshot(shots, "reset-mfa-wrong-code")
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // the step after the one used
	r.step("enter the next code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if loc := r.location(); !strings.HasPrefix(loc, g.Origin+"/u/reset-password?ticket=") {
		t.Fatalf("form at %s", loc)
	}
	r.screenshot(shots, "reset-mfa-new-password-form")
	const pw = "Reset-After-Mfa-42!"
	r.step("choose the new password", chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), pw),
		chromedp.SendKeys(chromedp.CSS(`input[name="password_confirm"]`), pw), chromedp.Submit(chromedp.CSS(`input[name="password"]`)))
	r.waitFor("the done page", `document.querySelector('h1') && document.querySelector('h1').textContent.trim() === 'Password changed'`)
	r.screenshot(shots, "reset-mfa-done")
}
