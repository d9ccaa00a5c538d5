package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestUnblockPages: brute-force protection blocks a user who mistyped their password; the
// blocked_account mail reaches the development mailbox, its link opens a confirmation, the button
// unblocks the account, and the user signs in at once.
func TestUnblockPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.DevMailbox = true })
	if err := g.App.Store.PutBruteForceProtection(ctx, domain.BruteForceProtection{Enabled: true, MaxAttempts: 3,
		Shields: []string{domain.ShieldBlock, domain.ShieldUserNotification}, Allowlist: []string{},
		Mode: "count_per_identifier_and_ip"}); err != nil {
		t.Fatal(err)
	}
	g.App.Attack.Invalidate()
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	b.navigate(seed.Web + "/dashboard")
	for range 4 { // three wrong passwords block the account; the fourth attempt is refused as blocked
		mustBeOnLoginPage(t, b, g)
		b.step("mistype the password",
			chromedp.SetValue(chromedp.CSS(`input[name="username"]`), user.Email),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "Not-the-passw0rd"))
		if _, err := chromedp.RunResponse(b.ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))); err != nil {
			t.Fatalf("submit the sign-in form: %v", err)
		}
	}
	mustBeOnLoginPage(t, b, g)
	if got := b.text("main"); !strings.Contains(strings.ToLower(got), "blocked") {
		t.Fatalf("after four wrong passwords the login page says %q", got)
	}
	b.screenshot(shots, "unblock-login-blocked")

	link := openDevMail(t, ctx, b, g, shots, "unblock-mail", "Your account has been blocked", user.Email, g.Issuer+"u/unblock?ticket=")
	if got := b.text("body"); !strings.Contains(got, "127.0.0.1") {
		t.Errorf("the mail does not name the blocked address: %q", got)
	}
	b.screenshot(shots, "unblock-mail-body")

	b.navigate(link)
	b.step("wait for the confirmation", chromedp.WaitVisible(chromedp.CSS(`button.primary`)))
	if got := b.text("main"); !strings.Contains(got, "Unblock your account?") {
		t.Fatalf("confirmation says %q", got)
	}
	b.screenshot(shots, "unblock-confirm")
	b.step("unblock", chromedp.Click(chromedp.CSS(`button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.notice-ok`)))
	if got := b.text("main"); !strings.Contains(got, "Your account is unblocked") {
		t.Fatalf("outcome says %q", got)
	}
	b.screenshot(shots, "unblock-done")

	b.navigate(link)
	if got := b.text("main"); !strings.Contains(got, "This link is no longer valid") {
		t.Fatalf("reused link says %q", got)
	}
	b.screenshot(shots, "unblock-link-used")

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)
	if loc := b.location(); loc != seed.Web+"/dashboard" {
		t.Fatalf("after unblocking, sign-in left the browser at %s", loc)
	}
}
