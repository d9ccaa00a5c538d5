package e2e_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestDashboardMFAPages: in headless Chromium the administrator turns the email factor on and
// sets the policy on Security › Multi-factor authentication, then deletes a user's authenticator
// app on their Multi-factor tab. Each page is screenshotted.
func TestDashboardMFAPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	shots := artifactsDir(t)
	u, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, g.User(t, "user").Email)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, a := range []*domain.MFAAuthenticator{
		{ID: "totp|dev_e2e1", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{1}, Confirmed: true, CreatedAt: now, LastAuthAt: &now},
		{ID: "recovery-code|dev_e2e2", UserID: u.UserID, Type: domain.MethodRecoveryCode, Secret: []byte{2}, Confirmed: true, CreatedAt: now},
	} {
		if err := g.App.Store.CreateMFAAuthenticator(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	b := MustStartBrowser(t, ctx)
	b.navigate(g.Issuer)
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.navigate(g.Issuer + "admin/security/mfa")
	b.step("wait for the factors", chromedp.WaitVisible(chromedp.CSS(`#factor-email`)))
	b.step("turn email on, require MFA", chromedp.Click(chromedp.CSS(`#factor-email`)),
		chromedp.Click(chromedp.CSS(`input[name="policy"][value="all-applications"]`)))
	b.screenshot(shots, "dashboard-mfa-settings")
	b.step("save", chromedp.Click(chromedp.CSS(`#save-mfa`)), chromedp.WaitVisible(chromedp.CSS(`.flash, [role="status"]`)))
	s, err := g.App.Store.GetGuardianSettings(ctx)
	if err != nil || !s.Enabled[domain.FactorEmail] || !s.AlwaysMFA() {
		t.Fatalf("after save: %+v %v", s, err)
	}

	b.navigate(g.Issuer + "admin/users/" + url.PathEscape(u.UserID) + "/mfa")
	b.step("wait for the methods", chromedp.WaitVisible(chromedp.CSS(`table`)))
	if got := b.text("main"); !strings.Contains(got, "Authenticator app") || !strings.Contains(got, "Recovery code") {
		t.Fatalf("MFA tab: %q", got)
	}
	b.screenshot(shots, "dashboard-user-mfa")
	b.step("delete the app", chromedp.Click(chromedp.CSS(`button[aria-label^="Delete Authenticator app"]`)),
		// The list page already shows #forget-browsers: wait for what only the answer shows.
		chromedp.WaitVisible(chromedp.CSS(`.flash, [role="status"]`)))
	if got := b.text("main"); !strings.Contains(got, "Authentication method deleted") {
		t.Fatalf("after delete: %q", got)
	}
	b.screenshot(shots, "dashboard-user-mfa-deleted")
}
