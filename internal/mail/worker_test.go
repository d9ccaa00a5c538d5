package mail_test

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/mailtest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

var ctx = context.Background()

var masterKey = []byte("0123456789abcdef0123456789abcdef")

// MustWorker returns a worker over st on clock, retrying after one minute.
func MustWorker(tb testing.TB, st store.Store, clock *testclock.Clock, dial func(*domain.EmailProvider, string) mail.Sender) *mail.Worker {
	tb.Helper()
	sealer, err := mail.NewSealer(masterKey)
	if err != nil {
		tb.Fatal(err)
	}
	return &mail.Worker{Store: st, Sealer: sealer, Now: clock.Now, Dial: dial, Owner: "node-1",
		Audit: &audit.Recorder{Store: st, Now: clock.Now}, Backoff: func(int) time.Duration { return time.Minute }}
}

func putProvider(tb testing.TB, st store.Store, srv *mailtest.Server, user, password string) {
	tb.Helper()
	p := &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "Gatehouse <no-reply@example.com>",
		Credentials: domain.EmailCredentials{SMTPHost: srv.Host, SMTPPort: srv.Port, SMTPUser: user}}
	if password != "" {
		sealer, _ := mail.NewSealer(masterKey)
		sealed, err := sealer.Seal(password)
		if err != nil {
			tb.Fatal(err)
		}
		p.PasswordSealed = sealed
	}
	if err := mail.CheckProvider(p); err != nil {
		tb.Fatal(err)
	}
	if err := st.PutEmailProvider(ctx, p); err != nil {
		tb.Fatal(err)
	}
}

func queue(tb testing.TB, st store.Store, m *domain.OutboundEmail) {
	tb.Helper()
	if err := st.WithTx(ctx, func(tx store.Store) error { return tx.EnqueueEmail(ctx, m) }); err != nil {
		tb.Fatal(err)
	}
}

func resetMail() *domain.OutboundEmail {
	return &domain.OutboundEmail{To: "Jane <jane@example.com>", Subject: "Réinitialiser — reset your password",
		Text: "Follow https://localhost/u/reset-password?ticket=abc\n", HTML: "<p><a href=\"https://localhost/u/reset-password?ticket=abc\">Reset</a></p>",
		Kind: mail.KindResetEmail, UserID: "auth0|1"}
}

func logTypes(tb testing.TB, st store.Store) []string {
	tb.Helper()
	list, _, err := st.ListLogs(ctx, store.LogFilter{}, store.Page{PerPage: 100})
	if err != nil {
		tb.Fatal(err)
	}
	var types []string
	for _, e := range list {
		types = append(types, e.Type)
	}
	return types
}

func TestProviderDownThenUpDeliversOnce(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st := sqlitetest.New(t, sqlite.Options{Now: clock.Now})
	srv := mailtest.Start(t, mailtest.Options{})
	putProvider(t, st, srv, "", "")
	w := MustWorker(t, st, clock, nil)
	m := resetMail()
	queue(t, st, m)

	srv.SetDown(true)
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce while down = %d, %v; want 0 sent", n, err)
	}
	if got := logTypes(t, st); len(got) != 1 || got[0] != "fn" {
		t.Fatalf("tenant log = %v, want one fn", got)
	}
	if n, _ := w.RunOnce(ctx); n != 0 { // not due before the backoff
		t.Fatalf("retried before the backoff")
	}
	srv.SetDown(false)
	clock.Advance(time.Minute)
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce when up = %d, %v; want 1 sent", n, err)
	}
	clock.Advance(time.Hour)
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce again = %d, %v; want nothing left", n, err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want exactly 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "no-reply@example.com" || got.To != "jane@example.com" || got.Subject != m.Subject ||
		got.Text != m.Text || got.HTML != m.HTML || got.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("received %+v\nraw:\n%s", got, got.Raw)
	}
	row, err := st.GetEmail(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.SentAt == nil || row.Attempts != 2 || row.Text != "" || row.HTML != "" {
		t.Fatalf("outbox row = %+v: want sent on the second attempt, body dropped", row)
	}
}

// A message queued before a restart is delivered after it; so is one whose worker died holding it.
func TestRestartLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := mailtest.Start(t, mailtest.Options{})
	open := func() *sqlite.Store {
		st, err := sqlite.Open(ctx, path, sqlite.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := open()
	putProvider(t, first, srv, "", "")
	queued, held := resetMail(), resetMail()
	held.To = "held@example.com"
	queue(t, first, queued)
	queue(t, first, held)
	// A node claims one message and dies before sending it.
	if c, err := first.ClaimEmails(ctx, "dead-node", clock.Now(), clock.Now().Add(2*time.Minute), 1); err != nil || len(c) != 1 {
		t.Fatalf("claim = %v, %v", c, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := open()
	defer second.Close()
	w := MustWorker(t, second, clock, nil)
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after restart: %d sent, %v; want the unclaimed one", n, err)
	}
	clock.Advance(2 * time.Minute) // the dead node's lease runs out
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after the lease: %d sent, %v; want the held one", n, err)
	}
	var to []string
	for _, m := range srv.Messages() {
		to = append(to, m.To)
	}
	sort.Strings(to)
	if strings.Join(to, " ") != "held@example.com jane@example.com" {
		t.Fatalf("delivered to %v", to)
	}
}

// STARTTLS with a password: the credentials arrive over TLS, verified against the server's root.
func TestSTARTTLSWithCredentials(t *testing.T) {
	clock := testclock.New(time.Now())
	st := sqlitetest.New(t, sqlite.Options{Now: clock.Now})
	srv := mailtest.Start(t, mailtest.Options{TLS: true, User: "mailer", Password: "s3cret pass"})
	putProvider(t, st, srv, "mailer", "s3cret pass")
	w := MustWorker(t, st, clock, func(p *domain.EmailProvider, password string) mail.Sender {
		s := mail.NewSMTP(p, password).(*mail.SMTP)
		s.RootCAs = srv.RootCAs
		return s
	})
	queue(t, st, resetMail())
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("sent %d, %v", n, err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].AuthUser != "mailer" {
		t.Fatalf("messages = %+v; want one, over TLS, authenticated", msgs)
	}
}

// A failure no retry fixes is given up at once and logged with the kind's code.
func TestPermanentFailureGivenUp(t *testing.T) {
	clock := testclock.New(time.Now())
	st := sqlitetest.New(t, sqlite.Options{Now: clock.Now})
	srv := mailtest.Start(t, mailtest.Options{TLS: true, User: "mailer", Password: "right"})
	putProvider(t, st, srv, "mailer", "wrong")
	w := MustWorker(t, st, clock, func(p *domain.EmailProvider, password string) mail.Sender {
		s := mail.NewSMTP(p, password).(*mail.SMTP)
		s.RootCAs = srv.RootCAs
		return s
	})
	m := resetMail()
	queue(t, st, m)
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("sent %d, %v", n, err)
	}
	row, err := st.GetEmail(ctx, m.ID)
	if err != nil || row.FailedAt == nil || !strings.Contains(row.LastError, "535") {
		t.Fatalf("row = %+v, %v; want failed with the 535", row, err)
	}
	if got := logTypes(t, st); len(got) != 1 || got[0] != "fcpr" {
		t.Fatalf("tenant log = %v, want fcpr", got)
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a message went through")
	}
}

// The transport rule and header injection, sending straight through the SMTP sender.
func TestSMTPRefusals(t *testing.T) {
	plain := mailtest.Start(t, mailtest.Options{User: "u", Password: "p"}) // no STARTTLS
	tlsSrv := mailtest.Start(t, mailtest.Options{TLS: true})
	good := resetMail()
	injected := resetMail()
	injected.To = "jane@example.com\r\nBcc: all@example.com"
	cases := []struct {
		name string
		s    *mail.SMTP
		m    *domain.OutboundEmail
		from string
		want string
	}{
		{"credentials without STARTTLS", &mail.SMTP{Host: plain.Host, Port: plain.Port, User: "u", Password: "p"}, good, "a@example.com", "STARTTLS"},
		{"certificate not trusted", &mail.SMTP{Host: tlsSrv.Host, Port: tlsSrv.Port, User: "u", Password: "p"}, good, "a@example.com", "certificate"},
		{"header injection in the recipient", &mail.SMTP{Host: tlsSrv.Host, Port: tlsSrv.Port, RootCAs: tlsSrv.RootCAs}, injected, "a@example.com", "recipient"},
		{"header injection in the sender", &mail.SMTP{Host: tlsSrv.Host, Port: tlsSrv.Port, RootCAs: tlsSrv.RootCAs}, good, "a@example.com\r\nBcc: x@example.com", "sender"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Send(ctx, tc.m, tc.from)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if len(plain.Messages())+len(tlsSrv.Messages()) != 0 {
		t.Fatal("a refused message was delivered")
	}
	if err := (&mail.SMTP{Host: plain.Host, Port: plain.Port, User: "u", Password: "p"}).Send(ctx, good, "a@example.com"); !errors.Is(err, mail.ErrPermanent) {
		t.Fatalf("credentials without TLS: %v, want a permanent failure", err)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.9.9.9": true, "::1": true, "[::1]": true,
		"localhost.example.com": false, "10.0.0.1": false, "smtp.example.com": false, "0.0.0.0": false, "": false,
	} {
		if got := mail.IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSealer(t *testing.T) {
	s, err := mail.NewSealer(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "hunter2") {
		t.Fatal("plaintext in the sealed password")
	}
	if got, err := s.Open(sealed); err != nil || got != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := mail.NewSealer([]byte("another-master-key-of-32-bytes!!"))
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("opened with another master key")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed); err == nil {
		t.Fatal("opened a tampered ciphertext")
	}
}
