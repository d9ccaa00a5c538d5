package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestVerificationLinkRace: one verification link opened at the same moment from ten
// connections (a double click, a mail scanner and the user), on one SQLite node and on two
// PostgreSQL nodes: exactly one request verifies and exactly one welcome mail goes out; the
// others are told the link was used.
func TestVerificationLinkRace(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { raceVerificationLink(t, []*node{startNode(t, noResetFloor)}) })
	t.Run("postgres", func(t *testing.T) { raceVerificationLink(t, startPostgresNodes(t, 2, noResetFloor)) })
}

func raceVerificationLink(t *testing.T, nodes []*node) {
	n := nodes[0]
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	if status, out := m.do("PUT", "email-templates/welcome_email", map[string]any{"template": "welcome_email",
		"syntax": "liquid", "subject": "Welcome", "body": "<p>Welcome</p>", "enabled": true}); status != 200 {
		t.Fatalf("welcome template: %d %v", status, out)
	}
	ctx := context.Background()
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	const rounds, racers = 3, 10
	for round := range rounds {
		u.EmailVerified = false
		if err := n.Store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		status, out := m.do("POST", "tickets/email-verification", map[string]any{"user_id": u.UserID})
		link, _ := out["ticket"].(string)
		if status != 201 || link == "" {
			t.Fatalf("ticket: %d %v", status, out)
		}
		var (
			start    = make(chan struct{})
			wg       sync.WaitGroup
			mu       sync.Mutex
			verified int
			used     int
		)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				target := nodes[i%len(nodes)].issuer + strings.TrimPrefix(link, n.issuer)
				// Each racer its own connection.
				c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				<-start
				resp, err := c.Get(target)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				defer mu.Unlock()
				switch {
				case resp.StatusCode == 200 && strings.Contains(string(b), "Email verified"):
					verified++
				case resp.StatusCode == 400 && strings.Contains(string(b), "already been used"):
					used++
				default:
					t.Errorf("round %d: %d %s", round, resp.StatusCode, b)
				}
			}()
		}
		close(start)
		wg.Wait()
		if verified != 1 || used != racers-1 {
			t.Fatalf("round %d: %d verified, %d told used; want 1 and %d", round, verified, used, racers-1)
		}
		if got, _ := n.Store.GetUser(ctx, u.UserID); !got.EmailVerified {
			t.Fatalf("round %d: not verified", round)
		}
	}
	waitForMail(t, n, srv, rounds)
	for range 5 {
		_, _ = n.Mail.RunOnce(ctx)
	}
	if got := len(srv.Messages()); got != rounds {
		t.Fatalf("%d welcome mails for %d verifications", got, rounds)
	}
}
