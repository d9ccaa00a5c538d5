package backchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Signer signs a logout token (token.Issuer.LogoutToken).
type Signer interface {
	LogoutToken(ctx context.Context, clientID, sub, sid string) (string, error)
}

// Worker delivers the back-channel logout outbox.
type Worker struct {
	Store  store.BackchannelStore
	Signer Signer
	Logger *slog.Logger
	Now    func() time.Time
	// AllowInternal permits http:// URLs and loopback or private addresses: `gatehouse dev` only.
	AllowInternal bool
	// Client sends the requests; nil builds one with Timeout and the address rules above.
	Client *http.Client
	// Timeout bounds one delivery (default 5 s); Poll is how often the queue is read when nobody
	// kicks (default 5 s); MaxAttempts before an entry is given up (default 6, about 3 hours).
	Timeout     time.Duration
	Poll        time.Duration
	MaxAttempts int
	// Backoff is the wait after the nth failed attempt; nil: 10 s·4^(n-1) capped at 2 h, jittered.
	Backoff func(attempt int) time.Duration
	Owner   string

	kick chan struct{}
}

func (w *Worker) init() {
	if w.kick == nil {
		w.kick = make(chan struct{}, 1)
	}
	if w.Owner == "" {
		w.Owner = "bcl-" + domain.RandomToken(9)
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Timeout <= 0 {
		w.Timeout = 5 * time.Second
	}
	if w.Client == nil {
		w.Client = newClient(w.Timeout, w.AllowInternal)
	}
}

// Kick wakes the worker now (an entry was just queued on this node). Safe on a nil Worker.
func (w *Worker) Kick() {
	if w == nil || w.kick == nil {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Start prepares the worker so that Kick works before Run begins.
func (w *Worker) Start() { w.init() }

// Run delivers due entries until ctx ends, waking every Poll or on Kick. Call it once.
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
			w.Logger.WarnContext(ctx, "back-channel logout outbox not processed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// RunOnce delivers the entries due now, one claim at a time, and returns how many were accepted.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	w.init()
	lease := 2*w.Timeout + 10*time.Second
	for i := 0; i < 1000 && ctx.Err() == nil; i++ {
		now := w.Now()
		claimed, err := w.Store.ClaimBackchannelLogouts(ctx, w.Owner, now, now.Add(lease), 1)
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

// errPermanent marks a failure no retry can mend (a URL the rules refuse).
var errPermanent = errors.New("permanent")

func (w *Worker) deliver(ctx context.Context, l *domain.BackchannelLogout) (bool, error) {
	err := w.send(ctx, l)
	now := w.Now()
	if err == nil {
		if err := w.Store.MarkBackchannelSent(ctx, l.ID, w.Owner, now); err != nil {
			return true, fmt.Errorf("record delivery of %s: %w", l.ID, err)
		}
		return true, nil
	}
	max := w.MaxAttempts
	if max <= 0 {
		max = 6
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if errors.Is(err, errPermanent) || l.Attempts >= max {
		w.Logger.WarnContext(ctx, "back-channel logout given up", "id", l.ID, "client_id", l.ClientID, "attempts", l.Attempts, "err", msg)
		if ferr := w.Store.FailBackchannel(ctx, l.ID, w.Owner, now, msg); ferr != nil {
			return false, fmt.Errorf("record failure of %s: %w", l.ID, ferr)
		}
		return false, nil
	}
	next := now.Add(w.backoff(l.Attempts))
	w.Logger.InfoContext(ctx, "back-channel logout failed; will retry", "id", l.ID, "client_id", l.ClientID, "attempt", l.Attempts, "next", next, "err", msg)
	if rerr := w.Store.RetryBackchannel(ctx, l.ID, w.Owner, next, msg); rerr != nil {
		return false, fmt.Errorf("reschedule %s: %w", l.ID, rerr)
	}
	return false, nil
}

// send signs a fresh logout token and POSTs it (§2.5); any 2xx is acceptance.
func (w *Worker) send(ctx context.Context, l *domain.BackchannelLogout) error {
	u, err := url.Parse(l.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(w.AllowInternal && u.Scheme == "http")) {
		return fmt.Errorf("the URL %q is not an https URL: %w", l.URL, errPermanent)
	}
	tok, err := w.Signer.LogoutToken(ctx, l.ClientID, l.UserID, l.SessionID)
	if err != nil {
		return fmt.Errorf("sign logout token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := w.Client.Do(req)
	if err != nil {
		if errors.Is(err, errInternalAddress) {
			return fmt.Errorf("%w: %v", errPermanent, err)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the client answered %s", res.Status)
	}
	return nil
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	d := 10 * time.Second
	for i := 1; i < attempt && d < 2*time.Hour; i++ {
		d *= 4
	}
	d = min(d, 2*time.Hour)
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}

var errInternalAddress = errors.New("the address is internal (loopback, private or link-local)")

// newClient returns a client that follows no redirect and, unless allowInternal, refuses to
// connect to an internal address: the check runs on the address dialled, after DNS.
func newClient(timeout time.Duration, allowInternal bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowInternal {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return errInternalAddress
			}
			a := ap.Addr().Unmap()
			if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
				a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || cgnat.Contains(a) {
				return errInternalAddress
			}
			return nil
		}
	}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: timeout, MaxIdleConns: 10, IdleConnTimeout: time.Minute}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// cgnat is RFC 6598's shared address space, internal to carriers and clouds.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")
