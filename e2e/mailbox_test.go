package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The development mailbox, empty and then with a message, as a newcomer sees it.
func TestDevMailboxPage(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.DevMailbox = true })
	b := MustStartBrowser(t, ctx)
	dir := artifactsDir(t)

	b.navigate(g.Issuer + "dev/mailbox")
	if got := b.text("main"); !strings.Contains(got, "Mail sent by this tenant shows up here") {
		t.Fatalf("empty mailbox says %q", got)
	}
	b.screenshot(dir, "dev-mailbox-empty")

	link := g.Issuer + "u/reset-password?ticket=example"
	m := &domain.OutboundEmail{To: "user@example.com", Subject: "Reset your password", Kind: "reset_email",
		Text: "Hello,\n\nReset your password here: " + link + "\n\nIf you did not ask for this, ignore this message.\n",
		HTML: `<div style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;color:#1d2330">` +
			`<h2 style="margin:0 0 1rem">Reset your password</h2><p>Hello,</p>` +
			`<p><a href="` + link + `" style="display:inline-block;padding:.7rem 1.1rem;background:#3751d6;color:#fff;border-radius:6px;text-decoration:none">Choose a new password</a></p>` +
			`<p style="color:#5f6b7a">If you did not ask for this, ignore this message.</p></div>`}
	if err := g.App.Store.WithTx(ctx, func(tx store.Store) error { return tx.EnqueueEmail(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	g.App.Mail.Kick()
	for i := 0; ; i++ { // bounded wait for the node's worker
		got, err := g.App.Store.GetEmail(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SentAt != nil {
			break
		}
		if i == 500 {
			t.Fatalf("not delivered to the mailbox: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.navigate(g.Issuer + "dev/mailbox")
	b.step("wait for the message body", chromedp.WaitVisible("iframe.body"))
	page := b.text("body")
	for _, want := range []string{"Reset your password", "user@example.com", link} {
		if !strings.Contains(page, want) {
			t.Errorf("mailbox page lacks %q:\n%s", want, page)
		}
	}
	b.screenshot(dir, "dev-mailbox-message")
}

// openDevMail waits (boundedly) for the node's mail worker to deliver a message to the development
// mailbox, opens the mailbox in the browser as a newcomer would, checks that the newest message has
// subject and is addressed to to, saves a screenshot named shot, and returns the message's button
// link, which must start with linkPrefix. It then opens the message body itself (the link a mail
// client would show), leaving the browser there.
func openDevMail(t *testing.T, ctx context.Context, b *browser, g *gatehouse, shots, shot, subject, to, linkPrefix string) string {
	t.Helper()
	for i := 0; ; i++ {
		list, err := g.App.Store.ListDevMail(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			break
		}
		if i == 500 {
			t.Fatalf("the %q mail never reached the mailbox", subject)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.navigate(g.Issuer + "dev/mailbox")
	b.step("wait for the message body", chromedp.WaitVisible(chromedp.CSS("iframe.body")), chromedp.Sleep(300*time.Millisecond))
	if got := b.text("main"); !strings.Contains(got, subject) || !strings.Contains(got, to) {
		t.Fatalf("mailbox shows %q, want %q to %s", got, subject, to)
	}
	b.screenshot(shots, shot)
	link := strings.TrimSpace(b.text(`section.links a.button`))
	if !strings.HasPrefix(link, linkPrefix) {
		t.Fatalf("mail link %q, want it to start with %q", link, linkPrefix)
	}
	src := run(b, "find the message body", chromedp.AttributeValue(chromedp.CSS("iframe.body"), "src"))
	if !src.Exists || !strings.HasPrefix(src.Value, "/dev/mailbox/") {
		t.Fatalf("the mailbox shows no message body: %+v", src)
	}
	b.navigate(g.Origin + src.Value)
	return link
}
