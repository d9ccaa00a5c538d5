package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestSignupPagePolicy signs up through the hosted page as a user does: the page lists the
// connection's password rules; a weak password comes back with the unmet rules marked, a common
// one with the dictionary's refusal; a good one creates the account and signs it in.
func TestSignupPagePolicy(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)

	conn, err := g.App.Store.GetConnectionByName(ctx, domain.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	conn.Options.PasswordDictionary = &domain.PasswordDictionaryOptions{Enable: true}
	if err := g.App.Store.UpdateConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	b.step("follow Sign up", chromedp.Click(chromedp.CSS(`a[href^="/u/signup?state="]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if got := b.text("main"); !strings.Contains(got, "At least 8 characters in length") || !strings.Contains(got, "upper case letters (A-Z)") {
		t.Fatalf("signup page lists no rules: %q", got)
	}
	b.screenshot(shots, "signup")

	b.step("type a weak password",
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "new.person@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "lowercase"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#password-policy li.unmet`)))
	if got := b.text("#form-error"); !strings.Contains(got, "too weak") {
		t.Fatalf("weak password error: %q", got)
	}
	b.screenshot(shots, "signup-weak-password")

	b.step("type a common password",
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "Password1"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#form-error p`)))
	if got := b.text("#form-error"); !strings.Contains(got, "Password is too common.") {
		t.Fatalf("common password error: %q", got)
	}
	b.screenshot(shots, "signup-common-password")

	b.step("type a good password",
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "Maple-Kettle-42"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)))
	waitFor := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(b.location(), seed.Web) {
		if time.Now().After(waitFor) {
			t.Fatalf("after a good password the browser is at %s", b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, "new.person@example.com"); err != nil {
		t.Fatalf("the account was not created: %v", err)
	}
}
