package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestEmailVerificationPages signs up through the hosted pages, opens the verification mail in
// the development mailbox, follows its link, and opens it again: each page as a user sees it.
func TestEmailVerificationPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.DevMailbox = true })
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	const email, password = "new.person@example.com", "Sign-up-Passw0rd!"

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	b.step("follow Sign up", chromedp.Click(chromedp.CSS(`a[href^="/u/signup"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	b.step("fill in the signup form",
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password))
	b.screenshot(shots, "verify-signup")
	sctx, scancel := context.WithTimeout(b.ctx, 20*time.Second)
	if _, err := chromedp.RunResponse(sctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))); err != nil {
		t.Fatalf("submit the signup form: %v (at %s)", err, b.location())
	}
	scancel()
	if loc := b.location(); loc != seed.Web+"/dashboard" {
		t.Fatalf("after signup the browser is at %s", loc)
	}

	link := openDevMail(t, ctx, b, g, shots, "verify-mail", "Verify your email address", email, g.Issuer+"u/email-verification?ticket=")
	b.screenshot(shots, "verify-mail-body")

	b.navigate(link)
	if got := b.text("main"); !strings.Contains(got, "Email verified") || !strings.Contains(got, email) {
		t.Fatalf("verified page says %q", got)
	}
	b.screenshot(shots, "verify-done")
	u, err := g.App.Store.GetUserByEmail(ctx, "Username-Password-Authentication", email)
	if err != nil || !u.EmailVerified {
		t.Fatalf("after the link: %+v %v", u, err)
	}

	b.navigate(link)
	if got := b.text("main"); !strings.Contains(got, "This link has already been used") {
		t.Fatalf("reused link says %q", got)
	}
	b.screenshot(shots, "verify-link-used")

	b.navigate(g.Issuer + "u/email-verification?ticket=tampered")
	if got := b.text("main"); !strings.Contains(got, "This link is no longer valid") {
		t.Fatalf("tampered link says %q", got)
	}
	b.screenshot(shots, "verify-link-invalid")
}
