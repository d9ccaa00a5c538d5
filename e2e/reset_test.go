package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestPasswordResetPages walks a forgotten password through the pages as a user does, with the
// development mailbox: the login page's "Forgot password?" link, the request, the mail, the new
// password, and back to the login the user left, signing in with the new password.
func TestPasswordResetPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.DevMailbox = true })
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")
	const newPassword = "Brand-new-Passw0rd!"

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	b.screenshot(shots, "reset-login")
	b.step("follow Forgot password?", chromedp.Click(chromedp.CSS(`a[href^="/u/reset-password?state="]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/reset-password?state=") {
		t.Fatalf("request page at %s", loc)
	}
	b.step("type the address", chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), user.Email))
	b.screenshot(shots, "reset-request")

	b.step("send the link", chromedp.Submit(chromedp.CSS(`input[name="email"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.button`)))
	if got := b.text("main"); !strings.Contains(got, "Check your email") || !strings.Contains(got, user.Email) {
		t.Fatalf("sent page says %q", got)
	}
	b.screenshot(shots, "reset-sent")

	link := openDevMail(t, ctx, b, g, shots, "reset-mail", "Reset your password", user.Email, g.Issuer+"u/reset-password?ticket=")
	b.screenshot(shots, "reset-mail-body")

	b.navigate(link)
	b.step("wait for the new-password form", chromedp.WaitVisible(chromedp.CSS(`input[name="password_confirm"]`)))
	b.step("choose a new password",
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), newPassword),
		chromedp.SendKeys(chromedp.CSS(`input[name="password_confirm"]`), newPassword))
	b.screenshot(shots, "reset-new-password")

	b.step("reset", chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.button`)))
	if got := b.text("main"); !strings.Contains(got, "Password changed") {
		t.Fatalf("done page says %q", got)
	}
	b.screenshot(shots, "reset-done")

	// The link is spent: opened again, it says so.
	b.navigate(link)
	if got := b.text("main"); !strings.Contains(got, "This link is no longer valid") {
		t.Fatalf("reused link says %q", got)
	}
	b.screenshot(shots, "reset-link-used")

	// Back to the login the user left, and in with the new password.
	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, newPassword)
	if loc := b.location(); loc != seed.Web+"/dashboard" {
		t.Fatalf("after sign-in with the new password the browser is at %s", loc)
	}
}
