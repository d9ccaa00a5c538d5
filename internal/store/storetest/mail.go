package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func testEmailProvider(t *testing.T, s store.Store) {
	_, err := s.GetEmailProvider(ctx)
	wantErr(t, err, store.ErrNotFound)
	p := &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "no-reply@example.com",
		Credentials: domain.EmailCredentials{SMTPHost: "smtp.example.com", SMTPPort: 587, SMTPUser: "u"},
		Password:    "plaintext-never-stored", PasswordSealed: []byte{1, 2, 3}}
	must(t, s.PutEmailProvider(ctx, p))
	got, err := s.GetEmailProvider(ctx)
	must(t, err)
	if got.Credentials != p.Credentials || got.DefaultFromAddress != p.DefaultFromAddress || !got.Enabled {
		t.Fatalf("provider = %+v, want %+v", got, p)
	}
	if !bytes.Equal(got.PasswordSealed, []byte{1, 2, 3}) || got.Password != "" {
		t.Fatalf("sealed = %v, password = %q: want the sealed bytes and no plaintext", got.PasswordSealed, got.Password)
	}
	p.PasswordSealed, p.Credentials.SMTPUser, p.Enabled = nil, "", false
	must(t, s.PutEmailProvider(ctx, p))
	got, err = s.GetEmailProvider(ctx)
	must(t, err)
	if got.PasswordSealed != nil || got.Enabled {
		t.Fatalf("after replace: %+v", got)
	}
}

func newMail(to string) *domain.OutboundEmail {
	return &domain.OutboundEmail{To: to, Subject: "Hello", Text: "secret link https://x/t?ticket=abc", Kind: "reset_email"}
}

func testEmailOutbox(t *testing.T, s store.Store) {
	t0 := now()
	bad := []*domain.OutboundEmail{
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "a@example.com\r\nBcc: x@evil.test", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: "s\r\nBcc: x@evil.test", Text: "t"},
		{To: "a@example.com", Subject: "s"},
	}
	for _, m := range bad {
		if err := s.EnqueueEmail(ctx, m); err == nil {
			t.Fatalf("queued a bad message %+v", m)
		}
	}
	if n, oldest, err := s.EmailQueue(ctx); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("empty queue: %d, %v, %v", n, oldest, err)
	}
	m := newMail("a@example.com")
	m.CreatedAt, m.NextAttemptAt = t0, t0
	must(t, s.EnqueueEmail(ctx, m))
	later := newMail("b@example.com")
	later.CreatedAt, later.NextAttemptAt = t0.Add(time.Second), t0.Add(time.Hour)
	must(t, s.EnqueueEmail(ctx, later))
	if n, oldest, err := s.EmailQueue(ctx); err != nil || n != 2 || !oldest.Equal(t0) {
		t.Fatalf("queue of two: %d, %v, %v; want 2, %v", n, oldest, err, t0)
	}

	got, err := s.ClaimEmails(ctx, "node-a", t0, t0.Add(time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != m.ID || got[0].Attempts != 1 || got[0].Text != m.Text {
		t.Fatalf("claimed %+v, want only %s on its first attempt", got, m.ID)
	}
	// Leased: nobody else gets it until the lease runs out.
	again, err := s.ClaimEmails(ctx, "node-b", t0.Add(30*time.Second), t0.Add(2*time.Minute), 10)
	must(t, err)
	if len(again) != 0 {
		t.Fatalf("a leased message was claimed again: %+v", again)
	}
	// Only the lease holder may finish it.
	wantErr(t, s.MarkEmailSent(ctx, m.ID, "node-b", t0), store.ErrNotFound)
	must(t, s.RetryEmail(ctx, m.ID, "node-a", t0.Add(10*time.Second), "421 try later"))
	// The lease of a dead worker runs out, and another claims the message.
	got, err = s.ClaimEmails(ctx, "node-b", t0.Add(10*time.Second), t0.Add(time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "421 try later" {
		t.Fatalf("retry claim = %+v", got)
	}
	got, err = s.ClaimEmails(ctx, "node-c", t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
	must(t, err)
	if len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("expired lease not reclaimed: %+v", got)
	}
	wantErr(t, s.MarkEmailSent(ctx, m.ID, "node-b", t0), store.ErrNotFound) // lost its lease
	must(t, s.MarkEmailSent(ctx, m.ID, "node-c", t0.Add(2*time.Minute)))
	wantErr(t, s.MarkEmailSent(ctx, m.ID, "node-c", t0), store.ErrNotFound) // once
	sent, err := s.GetEmail(ctx, m.ID)
	must(t, err)
	if sent.SentAt == nil || sent.Text != "" || sent.To != m.To {
		t.Fatalf("sent message = %+v: want sent_at, the envelope kept and the body dropped", sent)
	}
	got, err = s.ClaimEmails(ctx, "node-a", t0.Add(time.Hour), t0.Add(2*time.Hour), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != later.ID {
		t.Fatalf("claimed %+v, want only the later message", got)
	}
	if n, oldest, err := s.EmailQueue(ctx); err != nil || n != 1 || !oldest.Equal(t0.Add(time.Second)) {
		t.Fatalf("queue after one was sent: %d, %v, %v", n, oldest, err)
	}
	must(t, s.FailEmail(ctx, later.ID, "node-a", t0.Add(time.Hour), "550 no such user"))
	if n, _, err := s.EmailQueue(ctx); err != nil || n != 0 {
		t.Fatalf("queue after the other failed: %d, %v", n, err)
	}
	failed, err := s.GetEmail(ctx, later.ID)
	must(t, err)
	if failed.FailedAt == nil || failed.Text != "" || failed.LastError != "550 no such user" {
		t.Fatalf("failed message = %+v", failed)
	}
	got, err = s.ClaimEmails(ctx, "node-a", t0.Add(48*time.Hour), t0.Add(49*time.Hour), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("finished messages claimed again: %+v", got)
	}
	// Queued in a transaction that rolls back: never there.
	rolled := newMail("c@example.com")
	err = s.WithTx(ctx, func(tx store.Store) error {
		if err := tx.EnqueueEmail(ctx, rolled); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	})
	if err == nil {
		t.Fatal("WithTx did not fail")
	}
	_, err = s.GetEmail(ctx, rolled.ID)
	wantErr(t, err, store.ErrNotFound)
}

// testRaceClaimEmails: workers claiming at once share the queue; no message goes to two of them.
func testRaceClaimEmails(t *testing.T, s store.Store) {
	t0 := now()
	const n = 40
	for i := 0; i < n; i++ {
		m := newMail(fmt.Sprintf("u%d@example.com", i))
		m.CreatedAt, m.NextAttemptAt = t0, t0
		must(t, s.EnqueueEmail(ctx, m))
	}
	var (
		mu     sync.Mutex
		seen   = map[string]string{}
		wg     sync.WaitGroup
		errs   = make(chan error, 8)
		claims int
	)
	for w := 0; w < 8; w++ {
		owner := fmt.Sprintf("node-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ { // bounded: at most n claims each
				got, err := s.ClaimEmails(ctx, owner, t0, t0.Add(time.Minute), 3)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					claims++
					if prev, dup := seen[m.ID]; dup {
						errs <- fmt.Errorf("%s claimed by %s and %s", m.ID, prev, owner)
					}
					seen[m.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if claims != n || len(seen) != n {
		t.Fatalf("%d claims of %d distinct messages, want %d", claims, len(seen), n)
	}
}

func testDevMailbox(t *testing.T, s store.Store) {
	for i := 0; i < 5; i++ {
		must(t, s.AppendDevMail(ctx, &domain.DevMail{ID: fmt.Sprintf("m%d", i), To: "a@example.com", Subject: fmt.Sprintf("s%d", i), Text: "t"}, 3))
	}
	list, err := s.ListDevMail(ctx, 10)
	must(t, err)
	if len(list) != 3 || list[0].ID != "m4" || list[2].ID != "m2" {
		t.Fatalf("mailbox = %v, want the newest three, newest first", list)
	}
	got, err := s.GetDevMail(ctx, "m3")
	must(t, err)
	if got.Subject != "s3" {
		t.Fatalf("got %+v", got)
	}
	_, err = s.GetDevMail(ctx, "m0")
	wantErr(t, err, store.ErrNotFound)
}
