package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Sender delivers one message; from is the resolved sender address.
type Sender interface {
	Send(ctx context.Context, m *domain.OutboundEmail, from string) error
}

// ErrNoProvider: no provider is configured (or it is disabled) and there is no fallback.
var ErrNoProvider = errors.New("no email provider is configured")

// Worker delivers the outbox. Every node runs one; they share the queue through leases.
type Worker struct {
	Store store.Store
	// Sealer opens the provider's stored password.
	Sealer *Sealer
	// Fallback delivers when no provider is configured: the development mailbox in `gatehouse dev`,
	// nil elsewhere (messages then wait, retried with backoff, and are given up in the end).
	Fallback Sender
	// DefaultFrom is the sender when neither the message nor the provider names one.
	DefaultFrom string
	// Dial builds the SMTP sender for a provider; nil means NewSMTP. Tests set RootCAs through it.
	Dial   func(p *domain.EmailProvider, password string) Sender
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
	// Owner names this worker in leases; empty means a random id.
	Owner string
	// Poll is how often the queue is read when nobody kicks; 0 means 5 seconds.
	Poll time.Duration
	// Lease is how long a claimed message is this worker's; 0 means 2 minutes (well over one
	// SMTP exchange's 30-second timeout).
	Lease time.Duration
	// MaxAttempts before a message is given up; 0 means 8 (about 4 hours with the default backoff).
	MaxAttempts int
	// Backoff is the wait after the nth failed attempt; nil means 30s·2^(n-1) capped at 2 hours,
	// with up to 10% jitter so that nodes do not retry in step.
	Backoff func(attempt int) time.Duration

	kick chan struct{}
}

// NewSMTP is the sender for a configured provider.
func NewSMTP(p *domain.EmailProvider, password string) Sender {
	return &SMTP{Host: p.Credentials.SMTPHost, Port: p.Credentials.SMTPPort, User: p.Credentials.SMTPUser, Password: password}
}

func (w *Worker) init() {
	if w.kick == nil {
		w.kick = make(chan struct{}, 1)
	}
	if w.Owner == "" {
		w.Owner = "worker-" + domain.RandomToken(9)
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Dial == nil {
		w.Dial = NewSMTP
	}
}

// Kick wakes the worker now (a message was just queued on this node).
func (w *Worker) Kick() {
	if w == nil || w.kick == nil {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers due messages until ctx ends, waking every Poll or on Kick. Call it once.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	poll := w.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Logger.WarnContext(ctx, "email outbox not processed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// RunOnce delivers the messages due now, one claim at a time so that a lease never outlives the
// exchange it covers, and returns how many it sent. It stops at the first store error.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	w.init()
	lease := w.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	for i := 0; i < 1000 && ctx.Err() == nil; i++ { // bounded: a busy queue yields to the next tick
		now := w.Now()
		claimed, err := w.Store.ClaimEmails(ctx, w.Owner, now, now.Add(lease), 1)
		if err != nil || len(claimed) == 0 {
			return sent, err
		}
		ok, err := w.deliver(ctx, claimed[0])
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// deliver sends one claimed message and records the outcome. It returns whether it was sent.
func (w *Worker) deliver(ctx context.Context, m *domain.OutboundEmail) (bool, error) {
	sender, from, err := w.resolve(ctx, m)
	if err == nil {
		err = sender.Send(ctx, m, from)
	}
	now := w.Now()
	if err == nil {
		if err := w.Store.MarkEmailSent(ctx, m.ID, w.Owner, now); err != nil {
			return true, fmt.Errorf("record delivery of %s: %w", m.ID, err)
		}
		return true, nil
	}
	max := w.MaxAttempts
	if max <= 0 {
		max = 8
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if errors.Is(err, ErrPermanent) || m.Attempts >= max {
		w.Logger.WarnContext(ctx, "email given up", "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", msg)
		w.logFailure(ctx, m, msg, true)
		if ferr := w.Store.FailEmail(ctx, m.ID, w.Owner, now, msg); ferr != nil {
			return false, fmt.Errorf("record failure of %s: %w", m.ID, ferr)
		}
		return false, nil
	}
	next := now.Add(w.backoff(m.Attempts))
	w.Logger.InfoContext(ctx, "email delivery failed; will retry", "id", m.ID, "attempt", m.Attempts, "next", next, "err", msg)
	w.logFailure(ctx, m, msg, false)
	if rerr := w.Store.RetryEmail(ctx, m.ID, w.Owner, next, msg); rerr != nil {
		return false, fmt.Errorf("reschedule %s: %w", m.ID, rerr)
	}
	return false, nil
}

// resolve picks the sender: the configured, enabled provider in every mode; otherwise the fallback.
func (w *Worker) resolve(ctx context.Context, m *domain.OutboundEmail) (Sender, string, error) {
	p, err := w.Store.GetEmailProvider(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Enabled) {
		if w.Fallback == nil {
			return nil, "", ErrNoProvider
		}
		return w.Fallback, firstNonEmpty(m.From, w.DefaultFrom, "no-reply@gatehouse.invalid"), nil
	}
	if err != nil {
		return nil, "", err
	}
	password := ""
	if len(p.PasswordSealed) > 0 {
		if w.Sealer == nil {
			return nil, "", fmt.Errorf("mail: no sealer to open the SMTP password: %w", ErrPermanent)
		}
		if password, err = w.Sealer.Open(p.PasswordSealed); err != nil {
			return nil, "", err
		}
	}
	from := firstNonEmpty(m.From, p.DefaultFromAddress, w.DefaultFrom)
	if from == "" {
		return nil, "", fmt.Errorf("no sender address: set the provider's default_from_address: %w", ErrPermanent)
	}
	return w.Dial(p, password), from, nil
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	d := 30 * time.Second << min(attempt-1, 10)
	d = min(d, 2*time.Hour)
	return d + rand.N(d/10+1)
}

// failureTypes are Auth0's log codes for a mail given up, by kind; anything else is `fn`.
var failureTypes = map[string]string{
	KindResetEmail:  audit.TypeChangePasswordRequestFailed,
	KindVerifyEmail: audit.TypeVerificationEmailRequestFailed,
}

// Kinds of mail, named as Auth0 names its templates.
const (
	KindResetEmail  = "reset_email"
	KindVerifyEmail = "verify_email"
	KindTest        = "test"
)

// logFailure records a failed attempt in the tenant log: `fn` while retries remain, so that an
// administrator sees a broken provider at once; when the message is given up, the code of its kind
// (`fcpr` for a reset mail, `fvr` for a verification mail) or `fn`.
func (w *Worker) logFailure(ctx context.Context, m *domain.OutboundEmail, reason string, final bool) {
	typ, desc := audit.TypeNotificationFailed, "Email delivery failed; it will be retried"
	if final {
		desc = "Email not delivered; given up"
		if t, ok := failureTypes[m.Kind]; ok {
			typ = t
		}
	}
	w.Audit.Record(ctx, domain.LogEvent{Type: typ, UserID: m.UserID, ClientID: m.ClientID, UserName: m.To,
		Description: desc, Details: map[string]any{"email_id": m.ID, "kind": m.Kind, "attempts": m.Attempts, "error": reason}})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
