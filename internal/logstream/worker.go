package logstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Store is what delivery needs: the streams and the log read by sequence.
type Store interface {
	store.LogStreamStore
	ListLogsAfter(ctx context.Context, seq int64, limit int) ([]domain.LogRecord, error)
}

// Defaults.
const (
	DefaultBatch = 100
	// DefaultLease is how long a claim on a stream lasts unless renewed. The holder renews it every
	// third of it while it delivers, so a node that dies holds its streams back for seconds.
	DefaultLease        = 10 * time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultSuspendAfter = 10
	DefaultPoll         = time.Second
	DefaultSettle       = 10 * time.Second
	maxBackoff          = time.Minute
	maxBatchesPerClaim  = 50
	maxHorizons         = 8
)

// Worker delivers every active stream it can lease. The zero values of its tunables are the
// defaults above.
type Worker struct {
	Store   Store
	Secrets *Secrets
	// Client sends the batches; nil is Secrets.Policy.Client(Timeout).
	Client *http.Client
	// Owner names this node in the leases; empty is a random name.
	Owner  string
	Logger *slog.Logger
	Now    func() time.Time

	Batch        int
	Lease        time.Duration
	Timeout      time.Duration
	SuspendAfter int
	Poll         time.Duration
	Settle       time.Duration
	// Backoff is the wait after the n-th failure in a row; nil is 1s·2^(n-1), at most 5 minutes.
	Backoff func(n int) time.Duration
	// Observe, when set, is told after each delivery round of a stream how far behind it is: the
	// age of the oldest event it has not delivered (0 when caught up), for metrics.
	Observe func(streamID string, lag time.Duration)

	once sync.Once
	kick chan struct{}
	mu   sync.Mutex
	gaps map[string]*gaps // per stream, what this node has seen of the sequence
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.kick = make(chan struct{}, 1)
		w.gaps = map[string]*gaps{}
		if w.Owner == "" {
			w.Owner = "node-" + domain.RandomToken(8)
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Batch <= 0 {
			w.Batch = DefaultBatch
		}
		if w.Lease <= 0 {
			w.Lease = DefaultLease
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		if w.SuspendAfter <= 0 {
			w.SuspendAfter = DefaultSuspendAfter
		}
		if w.Poll <= 0 {
			w.Poll = DefaultPoll
		}
		if w.Settle <= 0 {
			w.Settle = DefaultSettle
		}
		if w.Client == nil {
			w.Client = w.Secrets.Policy.Client(w.Timeout)
		}
	})
}

// Kick asks for a delivery round now (after events were written, or a stream changed).
func (w *Worker) Kick() {
	w.init()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, a round every Poll or on Kick.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		w.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// Tick runs one delivery round over every stream this node can lease.
func (w *Worker) Tick(ctx context.Context) {
	w.init()
	streams, err := w.Store.ListLogStreams(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Logger.WarnContext(ctx, "log streams not listed", "err", err)
		}
		return
	}
	now := w.Now()
	listed := make(map[string]bool, len(streams))
	for _, ls := range streams {
		listed[ls.ID] = true
	}
	w.forget(listed)
	for _, ls := range streams {
		if ls.Status != domain.LogStreamActive || ls.NextAttemptAt.After(now) {
			continue
		}
		w.deliver(ctx, ls.ID)
	}
}

// deliver leases one stream and sends its pending events batch by batch until it is caught up,
// a batch fails, the lease is lost, or the round's share is spent.
func (w *Worker) deliver(ctx context.Context, id string) {
	start := w.Now()
	ls, err := w.Store.ClaimLogStream(ctx, id, w.Owner, start, start.Add(w.Lease))
	if errors.Is(err, store.ErrNotFound) {
		return // another node holds it, or it is not due
	}
	if err != nil {
		w.Logger.WarnContext(ctx, "log stream not claimed", "stream", id, "err", err)
		return
	}
	l := w.hold(ctx, id, start.Add(w.Lease))
	defer func() {
		l.stop()
		if err := w.Store.ReleaseLogStream(ctx, id, w.Owner); err != nil && ctx.Err() == nil {
			w.Logger.WarnContext(ctx, "log stream lease not released", "stream", id, "err", err)
		}
	}()
	auth := ""
	if len(ls.AuthorizationSealed) > 0 {
		if auth, err = w.Secrets.Open(ls.ID, ls.AuthorizationSealed); err != nil {
			w.fail(ctx, ls, err)
			return
		}
	}
	// behind is the date of the oldest event read and not delivered when the round ends.
	var behind time.Time
	defer func() {
		if w.Observe != nil {
			lag := time.Duration(0)
			if !behind.IsZero() {
				lag = max(w.Now().Sub(behind), 0)
			}
			w.Observe(id, lag)
		}
	}()
	for range maxBatchesPerClaim {
		// Start a batch only on a claim renewed lately.
		if l.left() < w.Lease/2 || l.ctx.Err() != nil {
			break
		}
		all, err := w.Store.ListLogsAfter(l.ctx, ls.Cursor, w.Batch)
		if err != nil {
			if l.ctx.Err() == nil {
				w.Logger.WarnContext(ctx, "log stream: events not read", "stream", id, "err", err)
			}
			break
		}
		behind = time.Time{}
		if len(all) > 0 {
			behind = all[0].Event.Date
		}
		recs := w.contiguous(ls, all)
		if len(recs) == 0 {
			break
		}
		var events []*domain.LogEvent
		for _, r := range recs {
			if ls.Matches(r.Event.Type) {
				events = append(events, r.Event)
			}
		}
		if len(events) > 0 {
			if err := w.send(l.ctx, ls, auth, events); err != nil {
				if l.ctx.Err() != nil && ctx.Err() == nil {
					// The claim was lost mid-request: not the receiver's failure. The next
					// holder sends the batch again.
					w.Logger.WarnContext(ctx, "log stream: delivery stopped, the lease was lost", "stream", id)
					return
				}
				w.fail(ctx, ls, err)
				return
			}
		}
		cursor := recs[len(recs)-1].Seq
		now := w.Now()
		if err := w.Store.AdvanceLogStream(ctx, ls.ID, w.Owner, cursor, now.Add(w.Lease)); err != nil {
			// The lease was lost (the stream was deleted, or this node was too slow): the next
			// holder sends the batch again.
			w.Logger.WarnContext(ctx, "log stream: delivery not recorded", "stream", id, "err", err)
			return
		}
		ls.Cursor = cursor
		l.extended(now.Add(w.Lease))
		behind = time.Time{}
		if len(recs) < len(all) {
			behind = all[len(recs)].Event.Date // held back at a gap
		}
		if len(all) < w.Batch {
			break
		}
	}
}

// item is one event as Auth0's log streams send it.
type item struct {
	LogID string `json:"log_id"`
	Data  any    `json:"data"`
}

type eventView struct {
	*domain.LogEvent
	Date string `json:"date"`
}

func wrap(e *domain.LogEvent) item {
	return item{LogID: e.LogID, Data: eventView{LogEvent: e, Date: e.Date.UTC().Format("2006-01-02T15:04:05.000Z")}}
}

// send posts events in the stream's format: one request for JSONLINES and JSONARRAY, one per
// event for JSONOBJECT. Anything but a 2xx is a failure.
func (w *Worker) send(ctx context.Context, ls *domain.LogStream, auth string, events []*domain.LogEvent) error {
	var bodies [][]byte
	switch ls.Sink.HTTPContentFormat {
	case domain.FormatJSONArray:
		items := make([]item, len(events))
		for i, e := range events {
			items[i] = wrap(e)
		}
		b, err := json.Marshal(items)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	case domain.FormatJSONObject:
		for _, e := range events {
			b, err := json.Marshal(wrap(e))
			if err != nil {
				return err
			}
			bodies = append(bodies, b)
		}
	default:
		var buf bytes.Buffer
		for _, e := range events {
			b, err := json.Marshal(wrap(e))
			if err != nil {
				return err
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		bodies = append(bodies, buf.Bytes())
	}
	for _, body := range bodies {
		if err := w.post(ctx, ls, auth, body); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) post(ctx context.Context, ls *domain.LogStream, auth string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ls.Sink.HTTPEndpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range ls.Sink.HTTPCustomHeaders {
		req.Header.Set(h.Header, h.Value)
	}
	req.Header.Set("Content-Type", ls.Sink.HTTPContentType)
	req.Header.Set("User-Agent", "Gatehouse-LogStream/1")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the endpoint answered %d", res.StatusCode)
	}
	return nil
}

// fail records a failed delivery with its backoff; the stream is suspended after SuspendAfter in
// a row. The error text kept and logged never holds the Authorization header.
func (w *Worker) fail(ctx context.Context, ls *domain.LogStream, cause error) {
	n := ls.Failures + 1
	wait := w.backoff(n)
	msg := cause.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	msg = strings.ToValidUTF8(msg, "?")
	status, err := w.Store.FailLogStream(ctx, ls.ID, w.Owner, w.Now().Add(wait), msg, w.SuspendAfter)
	if err != nil {
		w.Logger.WarnContext(ctx, "log stream failure not recorded", "stream", ls.ID, "err", err)
		return
	}
	if status == domain.LogStreamSuspended {
		w.Logger.ErrorContext(ctx, "log stream suspended after repeated failures", "stream", ls.ID, "failures", n, "err", msg)
		return
	}
	w.Logger.WarnContext(ctx, "log stream delivery failed", "stream", ls.ID, "failures", n, "retry_in", wait, "err", msg)
}

func (w *Worker) backoff(n int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(n)
	}
	d := time.Second
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
