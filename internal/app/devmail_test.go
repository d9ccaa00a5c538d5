package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/mailtest"
	"github.com/gatehouse/gatehouse/internal/store"
)

func devMailbox(o *app.Options) { o.DevMailbox = true }

// queueAndDeliver queues a message as a flow would and runs the node's worker until it is done
// with it (the node's own loop may take it first; either way it ends sent or waiting).
func queueAndDeliver(t *testing.T, n *node, m *domain.OutboundEmail) *domain.OutboundEmail {
	t.Helper()
	ctx := context.Background()
	if err := n.Store.WithTx(ctx, func(tx store.Store) error { return tx.EnqueueEmail(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	// The node's loop may hold the message; wait (bounded) until an attempt has been recorded.
	for i := 0; i < 1500; i++ {
		if _, err := n.Mail.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := n.Store.GetEmail(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SentAt != nil || got.FailedAt != nil || got.LastError != "" {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("message %s: no attempt recorded", m.ID)
	return nil
}

func fetchPage(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestDevMailbox(t *testing.T) {
	n := startNode(t, devMailbox)
	m := queueAndDeliver(t, n, &domain.OutboundEmail{To: "user@example.com", Subject: "Reset your password",
		Text: "Reset it at " + n.issuer + "u/reset-password?ticket=abc123.\n", HTML: `<p style="color:#333">Reset <script>alert(1)</script></p>`})
	if m.SentAt == nil {
		t.Fatalf("not delivered to the mailbox: %+v", m)
	}
	res, page := fetchPage(t, n.issuer+"dev/mailbox")
	if res.StatusCode != 200 || !strings.Contains(page, "Reset your password") || !strings.Contains(page, "user@example.com") ||
		!strings.Contains(page, `href="`+n.issuer+`u/reset-password?ticket=abc123"`) {
		t.Fatalf("mailbox page (%d) lacks the message or its link:\n%s", res.StatusCode, page)
	}
	res, body := fetchPage(t, n.issuer+"dev/mailbox/"+m.ID+"/html")
	if res.StatusCode != 200 || !strings.Contains(body, `<p style="color:#333">`) {
		t.Fatalf("html part (%d): %s", res.StatusCode, body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox ") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") ||
		!strings.Contains(csp, "frame-ancestors 'self'") || res.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Fatalf("the mail's HTML is not sandboxed: CSP %q, XFO %q", csp, res.Header.Get("X-Frame-Options"))
	}
	if res, _ := fetchPage(t, n.issuer+"dev/mailbox/msg_doesnotexist"); res.StatusCode != 404 {
		t.Fatalf("unknown message: %d", res.StatusCode)
	}
}

// Outside dev there is no mailbox: the page is not served and mail waits for a provider.
func TestNoDevMailboxOutsideDev(t *testing.T) {
	n := startNode(t)
	if res, _ := fetchPage(t, n.issuer+"dev/mailbox"); res.StatusCode != 404 {
		t.Fatalf("mailbox served outside dev: %d", res.StatusCode)
	}
	m := queueAndDeliver(t, n, &domain.OutboundEmail{To: "user@example.com", Subject: "s", Text: "t"})
	if m.SentAt != nil || !strings.Contains(m.LastError, "no email provider") {
		t.Fatalf("message = %+v, want waiting for a provider", m)
	}
	if list, _ := n.Store.ListDevMail(context.Background(), 10); len(list) != 0 {
		t.Fatalf("mailbox filled outside dev: %v", list)
	}
}

// In dev, a configured provider replaces the mailbox.
func TestDevUsesConfiguredProvider(t *testing.T) {
	n := startNode(t, devMailbox)
	srv := mailtest.Start(t, mailtest.Options{})
	p := &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "no-reply@example.com",
		Credentials: domain.EmailCredentials{SMTPHost: srv.Host, SMTPPort: srv.Port}}
	if err := mail.CheckProvider(p); err != nil {
		t.Fatal(err)
	}
	if err := n.Store.PutEmailProvider(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	m := queueAndDeliver(t, n, &domain.OutboundEmail{To: "user@example.com", Subject: "Via SMTP", Text: "t"})
	if m.SentAt == nil || len(srv.Messages()) != 1 || srv.Messages()[0].Subject != "Via SMTP" {
		t.Fatalf("message = %+v, server got %d", m, len(srv.Messages()))
	}
	if list, _ := n.Store.ListDevMail(context.Background(), 10); len(list) != 0 {
		t.Fatalf("mailbox used despite a provider: %v", list)
	}
}
