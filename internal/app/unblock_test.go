package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

var unblockLink = regexp.MustCompile(`https?://[^\s"<>]+/u/unblock\?ticket=([A-Za-z0-9_-]+)`)

// blockWithNotice turns on brute-force protection's block and user_notification shields at three
// attempts, and sends five wrong passwords for email from 127.0.0.1; the right one is then refused.
func blockWithNotice(t *testing.T, n *node, email, pw string) {
	t.Helper()
	m := enablePasswordGrant(t, n)
	if status, body := m.do("PATCH", "attack-protection/brute-force-protection", map[string]any{
		"max_attempts": 3, "shields": []string{"block", "user_notification"}}); status != 200 {
		t.Fatalf("brute force: %d %v", status, body)
	}
	for range 5 {
		passwordGrant(t, n, email, "Wrong-passw0rd")
	}
	if status, e, _ := passwordGrant(t, n, email, pw); status != http.StatusTooManyRequests {
		t.Fatalf("the right password while blocked: %d %s", status, e)
	}
}

// TestBlockedAccountMail: brute-force protection blocks an account → the blocked_account mail
// arrives over SMTP with the blocking address and an unblock link → opening the link (GET, HEAD)
// spends nothing → the confirmation's POST lifts the block at once, logged `ublkdu` → the link is
// refused the second time; tampered, expired and unbound requests change nothing. Both engines.
func TestBlockedAccountMail(t *testing.T) {
	engines := map[string]func(t *testing.T) *node{
		"sqlite":   func(t *testing.T) *node { return startNode(t) },
		"postgres": func(t *testing.T) *node { return startPostgresNodes(t, 1)[0] },
	}
	for name, start := range engines {
		t.Run(name, func(t *testing.T) {
			n := start(t)
			srv := withSMTP(t, n)
			ctx := context.Background()
			user := n.tenant.Users[0]
			blockWithNotice(t, n, user.Email, user.Password)
			stored, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, user.Email)
			if err != nil {
				t.Fatal(err)
			}

			msgs := waitForMail(t, n, srv, 1)
			time.Sleep(100 * time.Millisecond)
			if _, err := n.Mail.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if msgs = srv.Messages(); len(msgs) != 1 {
				t.Fatalf("%d messages, want one blocked_account mail", len(msgs))
			}
			msg := msgs[0]
			if msg.To != user.Email || msg.Subject != "Your account has been blocked" {
				t.Fatalf("mail to %q, subject %q", msg.To, msg.Subject)
			}
			if !strings.Contains(msg.Text, "from 127.0.0.1") || !strings.Contains(msg.HTML, "from 127.0.0.1") {
				t.Errorf("the mail does not name the blocked address: %s", msg.Text)
			}
			if !strings.Contains(msg.HTML, "Unblock my account") {
				t.Errorf("the HTML part has no unblock button: %s", msg.HTML)
			}
			found := unblockLink.FindStringSubmatch(msg.Text)
			if found == nil {
				t.Fatalf("no unblock link in the mail: %s", msg.Text)
			}
			link, secret := found[0], found[1]
			if !strings.Contains(msg.HTML, link) {
				t.Errorf("the HTML part carries another link than the text part")
			}
			// Kept only as a hash, for the template's lifetime (Auth0's five days by default).
			tk, err := n.Store.GetTicket(ctx, domain.HashSecret(secret))
			if err != nil {
				t.Fatal(err)
			}
			if tk.Kind != domain.TicketUnblockAccount || tk.UserID != stored.UserID || tk.UsedAt != nil {
				t.Fatalf("ticket %+v", tk)
			}
			if life := tk.ExpiresAt.Sub(tk.CreatedAt); life < domain.BlockedMailLifetime-time.Second || life > domain.BlockedMailLifetime+time.Second {
				t.Errorf("link lives %v, want %v", life, domain.BlockedMailLifetime)
			}

			// A mail scanner's GET and HEAD spend nothing.
			if resp, err := http.Head(link); err != nil || resp.StatusCode != 200 {
				t.Fatalf("HEAD: %v %v", resp, err)
			}
			c := browser(t)
			resp, page := get(t, c, link)
			if resp.StatusCode != 200 || !strings.Contains(page, "Unblock your account?") || !strings.Contains(page, user.Email) {
				t.Fatalf("confirmation page: %d %s", resp.StatusCode, page)
			}
			form := formFields(page)
			if form.Get("ticket") != secret || form.Get("csrf") == "" {
				t.Fatalf("confirmation form: %v", form)
			}
			if tk, _ := n.Store.GetTicket(ctx, domain.HashSecret(secret)); tk.UsedAt != nil {
				t.Fatal("opening the link spent the ticket")
			}
			if status, e, _ := passwordGrant(t, n, user.Email, user.Password); status != http.StatusTooManyRequests {
				t.Fatalf("opening the link lifted the block: %d %s", status, e)
			}

			action := n.issuer + "u/unblock"
			// A post not bound to the page this browser was served: refused, nothing spent.
			if resp, _ := post(t, browser(t), action, form); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("post from another browser: %d", resp.StatusCode)
			}
			// A tampered ticket: refused, nothing spent.
			tampered := url.Values{"ticket": {secret[:len(secret)-1] + flip(secret[len(secret)-1])}, "csrf": {form.Get("csrf")}}
			if resp, body := post(t, c, action, tampered); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
				t.Fatalf("tampered post: %d %s", resp.StatusCode, body)
			}
			if resp, body := get(t, c, action+"?ticket="+tampered.Get("ticket")); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
				t.Fatalf("tampered link: %d %s", resp.StatusCode, body)
			}
			if tk, _ := n.Store.GetTicket(ctx, domain.HashSecret(secret)); tk.UsedAt != nil {
				t.Fatal("a refused post spent the ticket")
			}

			resp, body := post(t, c, action, form)
			if resp.StatusCode != 200 || !strings.Contains(body, "Your account is unblocked") {
				t.Fatalf("unblock: %d %s", resp.StatusCode, body)
			}
			if status, e, _ := passwordGrant(t, n, user.Email, user.Password); status != 200 {
				t.Fatalf("the right password after unblocking: %d %s", status, e)
			}
			if !logged(t, n, "ublkdu") {
				t.Error("no ublkdu event in the tenant log")
			}

			// Used once: the link and the form are refused, and change nothing.
			if resp, body := post(t, c, action, form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
				t.Fatalf("second post: %d %s", resp.StatusCode, body)
			}
			if resp, body := get(t, c, link); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
				t.Fatalf("second visit: %d %s", resp.StatusCode, body)
			}

			// An expired link: refused.
			expired, hash := domain.NewTicket()
			now := time.Now().UTC()
			if err := n.Store.CreateTicket(ctx, &domain.Ticket{Hash: hash, Kind: domain.TicketUnblockAccount, UserID: stored.UserID,
				CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if resp, body := get(t, c, action+"?ticket="+expired); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no longer valid") {
				t.Fatalf("expired link: %d %s", resp.StatusCode, body)
			}
			// Two confirmations of one link at the same instant (separate connections): exactly one
			// is honoured, on every round.
			for round := range 5 {
				secret, hash := domain.NewTicket()
				if err := n.Store.CreateTicket(ctx, &domain.Ticket{Hash: hash, Kind: domain.TicketUnblockAccount, UserID: stored.UserID,
					CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				rc := browser(t)
				_, page := get(t, rc, action+"?ticket="+secret)
				form := formFields(page)
				start := make(chan struct{})
				statuses := make(chan int, 2)
				var wg sync.WaitGroup
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						req, _ := http.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						for _, ck := range rc.Jar.Cookies(req.URL) {
							req.AddCookie(ck)
						}
						resp, err := (&http.Transport{}).RoundTrip(req)
						if err != nil {
							statuses <- 0
							return
						}
						resp.Body.Close()
						statuses <- resp.StatusCode
					}()
				}
				close(start)
				wg.Wait()
				close(statuses)
				ok := 0
				for st := range statuses {
					switch st {
					case http.StatusOK:
						ok++
					case http.StatusBadRequest:
					default:
						t.Errorf("round %d: concurrent confirmation answered %d", round, st)
					}
				}
				if ok != 1 {
					t.Fatalf("round %d: %d of two concurrent confirmations honoured, want exactly one", round, ok)
				}
			}

			// A reset ticket is not an unblock ticket.
			reset, hash := domain.NewTicket()
			if err := n.Store.CreateTicket(ctx, &domain.Ticket{Hash: hash, Kind: domain.TicketPasswordReset, UserID: stored.UserID,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if resp, _ := get(t, c, action+"?ticket="+reset); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("a reset ticket opened the unblock page: %d", resp.StatusCode)
			}
		})
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

// TestBlockedAccountMailDisabled: with the blocked_account template disabled, a block mails
// nothing and makes no link.
func TestBlockedAccountMailDisabled(t *testing.T) {
	n := startNode(t)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	if status, out := m.do("PUT", "email-templates/blocked_account", map[string]any{"template": "blocked_account",
		"syntax": "liquid", "subject": "Blocked", "body": "<p>{{ url }}</p>", "enabled": false}); status != 200 {
		t.Fatalf("blocked_account template: %d %v", status, out)
	}
	user := n.tenant.Users[0]
	blockWithNotice(t, n, user.Email, user.Password)
	for range 5 {
		if _, err := n.Mail.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if msgs := srv.Messages(); len(msgs) != 0 {
		t.Fatalf("%d messages with the template disabled: %s", len(msgs), msgs[0].Subject)
	}
	stored, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, user.Email)
	if err != nil {
		t.Fatal(err)
	}
	live, err := n.Store.CountLiveTickets(context.Background(), stored.UserID, domain.TicketUnblockAccount, time.Now())
	if err != nil || live != 0 {
		t.Fatalf("%d unblock links with the template disabled (%v)", live, err)
	}
}
