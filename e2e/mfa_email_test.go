package e2e_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/mailtest"
)

// TestMFAEmailPages: a tenant with only the email factor on asks the admin for an emailed code at
// sign-in, in headless Chromium; the code is read from a real SMTP server on loopback; a wrong
// code is refused on the page, the right one lets the admin into the seed app. Then the Guardian
// enrollment link an administrator hands over (/u/guardian-enrollment) is opened. Each page is
// screenshotted.
func TestMFAEmailPages(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	srv := mailtest.Start(t, mailtest.Options{})
	p := &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "Gatehouse <no-reply@example.com>",
		Credentials: domain.EmailCredentials{SMTPHost: srv.Host, SMTPPort: srv.Port}}
	if err := mail.CheckProvider(p); err != nil {
		t.Fatal(err)
	}
	if err := g.App.Store.PutEmailProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	settings := domain.GuardianSettings{Policies: []string{domain.PolicyAllApplications}, Enabled: map[string]bool{domain.FactorEmail: true}}
	if err := g.App.Store.PutGuardianSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	app := MustStartSeedApp(t, ctx, g)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")

	b := MustStartBrowser(t, ctx)
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	b.step("wait for the email challenge", chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-email-challenge") {
		t.Fatalf("challenge at %s", loc)
	}
	if lead := b.text(".lead"); !strings.Contains(lead, "***@") {
		t.Fatalf("the page does not say where the code went: %q", lead)
	}
	b.screenshot(shots, "mfa-email-challenge")
	var code string
	for i := 0; i < 300 && code == ""; i++ {
		g.App.Mail.Kick()
		for _, m := range srv.Messages() {
			if c := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(m.Text); c != nil && m.To == admin.Email {
				code = c[1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code == "" {
		t.Fatal("no code reached the SMTP server")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.step("enter a wrong code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), wrong),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`#form-error p`)))
	if msg := b.text("#form-error"); !strings.Contains(msg, "Invalid code") {
		t.Fatalf("wrong code message %q", msg)
	}
	b.screenshot(shots, "mfa-email-challenge-wrong-code")
	b.step("enter the mailed code", chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), code),
		chromedp.Submit(chromedp.CSS(`input[name="code"]`)), chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	if got := b.text("#welcome"); got != "Welcome, Ada Admin" {
		t.Fatalf("dashboard heading %q", got)
	}

	// The Guardian enrollment link (what POST /api/v2/guardian/enrollments/ticket answers).
	settings.Enabled[domain.FactorOTP] = true
	if err := g.App.Store.PutGuardianSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	u, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := domain.NewTicket()
	now := time.Now().UTC()
	if err := g.App.Store.CreateTicket(ctx, &domain.Ticket{Hash: hash, Kind: domain.TicketGuardianEnrollment, UserID: u.UserID,
		CreatedAt: now, ExpiresAt: now.Add(domain.GuardianTicketLifetime)}); err != nil {
		t.Fatal(err)
	}
	b2 := MustStartBrowser(t, ctx)
	b2.navigate(domain.GuardianEnrollmentURL(g.Issuer, secret))
	b2.step("wait for the enrollment page", chromedp.WaitVisible(chromedp.CSS(`img.qr`)))
	if w := run(b2, "check the QR code loaded", chromedp.Evaluate[int](`document.querySelector('img.qr').naturalWidth`)); w == 0 {
		t.Fatal("the QR code image did not load")
	}
	b2.screenshot(shots, "guardian-enrollment")
}
