package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestMFAPages signs the admin in through the seed app with the tenant asking MFA of every
// sign-in, in headless Chromium: the enrollment page (QR code, link, the key behind "Can't scan
// it?"), a code computed from the key shown, the recovery code page, the app's dashboard; then in
// a second browser the challenge page, a wrong code refused on the page, the recovery code page,
// and the next step's code letting the admin in. Each page is screenshotted.
func TestMFAPages(t *testing.T) {
	chromiumPath(t) // skip early, before starting anything
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g, app := startMFATenant(t, ctx)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")

	b := MustStartBrowser(t, ctx)
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	b.step("wait for the enrollment page", chromedp.WaitVisible(chromedp.CSS(`img.qr`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-otp-enrollment-qr") {
		t.Fatalf("enrollment at %s", loc)
	}
	if w := run(b, "check the QR code loaded", chromedp.Evaluate[int](`document.querySelector('img.qr').naturalWidth`)); w == 0 {
		t.Fatal("the QR code image did not load (CSP or data)")
	}
	b.screenshot(shots, "mfa-enroll")
	b.step("show the key", chromedp.Click(chromedp.CSS(`.manual summary`)), chromedp.WaitVisible(chromedp.CSS(`.secret`)))
	secret := strings.ReplaceAll(b.text(".secret"), " ", "")
	b.screenshot(shots, "mfa-enroll-key")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.step("enter the first code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`.recovery-code`)))
	if rc := b.text(".recovery-code"); len(rc) != 24 {
		t.Fatalf("recovery code %q", rc)
	}
	b.screenshot(shots, "mfa-recovery-code")
	b.step("continue", chromedp.Click(chromedp.CSS(`input[name="saved"]`)), chromedp.Submit(chromedp.CSS(`input[name="saved"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	if loc := b.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after enrollment the browser is at %s", loc)
	}

	b2 := MustStartBrowser(t, ctx)
	b2.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b2, g)
	signIn(t, b2, admin.Email, admin.Password)
	b2.step("wait for the challenge", chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)))
	if loc := b2.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-otp-challenge") {
		t.Fatalf("challenge at %s", loc)
	}
	b2.screenshot(shots, "mfa-challenge")
	b2.step("enter a wrong code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), "000000"),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`#form-error p`)))
	if msg := b2.text("#form-error"); !strings.Contains(msg, "Invalid code") {
		t.Fatalf("wrong code message %q", msg)
	}
	b2.screenshot(shots, "mfa-challenge-wrong-code")
	b2.step("open the recovery code form", chromedp.Click(chromedp.CSS(`.alt a`)), chromedp.WaitVisible(chromedp.CSS(`input[name="recovery_code"]`)))
	b2.screenshot(shots, "mfa-recovery-challenge")
	b2.step("back to the app code", chromedp.Click(chromedp.CSS(`.alt a`)), chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)))
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // the step after the one used
	b2.step("enter the next code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	if got := b2.text("#welcome"); got != "Welcome, Ada Admin" {
		t.Fatalf("dashboard heading %q", got)
	}
}

// startMFATenant starts Gatehouse with the tenant asking every sign-in for a second factor, and the
// seed app beside it.
func startMFATenant(t *testing.T, ctx context.Context) (*gatehouse, *seedApp) {
	t.Helper()
	g := MustStartGatehouse(t, ctx)
	settings := domain.DefaultGuardianSettings()
	settings.Policies = []string{domain.PolicyAllApplications}
	if err := g.App.Store.PutGuardianSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	return g, MustStartSeedApp(t, ctx, g)
}

// enrollAdminApp signs the admin in through the seed app in b, on a tenant that asks for a second
// factor (startMFATenant), and enrolls an authenticator app from the key behind "Can't scan it?".
// It returns the admin and the app's key, with b on the recovery code page.
func enrollAdminApp(t *testing.T, b *browser, g *gatehouse, app *seedApp) (devtenant.User, string) {
	t.Helper()
	admin := g.User(t, "admin")
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	b.step("show the key", chromedp.WaitVisible(chromedp.CSS(`img.qr`)), chromedp.Click(chromedp.CSS(`.manual summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.secret`)))
	secret := strings.ReplaceAll(b.text(".secret"), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.step("enroll", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`.recovery-code`)))
	return admin, secret
}
