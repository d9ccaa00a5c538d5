package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestAccountPages: the admin, signed in with an authenticator app, opens /u/account in headless
// Chromium: the factor and the recovery code are listed; the step-up page asks for a code; a new
// recovery code is shown once; removing the app empties the list. Each page is screenshotted.
func TestAccountPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g, app := startMFATenant(t, ctx)
	shots := artifactsDir(t)
	b := MustStartBrowser(t, ctx)
	admin, secret := enrollAdminApp(t, b, g, app)
	b.step("continue", chromedp.Click(chromedp.CSS(`input[name="saved"]`)), chromedp.Submit(chromedp.CSS(`input[name="saved"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)))

	b.navigate(g.Origin + "/u/account")
	b.step("wait for the account page", chromedp.WaitVisible(chromedp.CSS(`.account-items`)))
	if got := b.text("main"); !strings.Contains(got, "Authenticator app") || !strings.Contains(got, admin.Email) {
		t.Fatalf("account page: %q", got)
	}
	b.screenshot(shots, "account")

	b.navigate(g.Origin + "/u/account/verify")
	b.step("wait for the step-up form", chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)))
	b.screenshot(shots, "account-verify")
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	b.step("verify", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`.status`)))
	b.step("make a new recovery code", chromedp.Click(chromedp.CSS(`input[value="recovery-code"] ~ button`)), chromedp.WaitVisible(chromedp.CSS(`.recovery-code`)))
	if rc := b.text(".recovery-code"); len(rc) != 24 {
		t.Fatalf("recovery code %q", rc)
	}
	b.screenshot(shots, "account-recovery-code")
	// The recovery-code page shows a status already: wait for the answer to the removal.
	rctx, rcancel := context.WithTimeout(b.ctx, 15*time.Second)
	if _, err := chromedp.RunResponse(rctx, chromedp.Click(chromedp.CSS(`.account-items button`))); err != nil {
		t.Fatalf("remove the app: %v (at %s)", err, b.location())
	}
	rcancel()
	b.step("the account page again", chromedp.WaitVisible(chromedp.CSS(`.status`)))
	if got := b.text("main"); !strings.Contains(got, "Authenticator app removed") || !strings.Contains(got, "You have no second factor") {
		t.Fatalf("after removal: %q", got)
	}
	b.screenshot(shots, "account-removed")
}
