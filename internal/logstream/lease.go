package logstream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// lease is this node's claim on one stream while it delivers. A heartbeat renews it every third of
// Lease, so a claim outlives a slow receiver but not its holder: a node that dies (SIGKILL, a lost
// machine) stops renewing and its streams are free again within Lease. When the claim cannot be
// renewed (the database unreachable, or another node took it over after all) the delivery's
// context is cancelled while a quarter of the lease is still left, so a request in flight ends
// before anyone else may send the stream's next batch.
type lease struct {
	w      *Worker
	id     string
	ctx    context.Context // the delivery's: cancelled when the claim is lost or given up
	cancel context.CancelFunc
	exited chan struct{}

	mu    sync.Mutex
	until time.Time
}

// hold starts the heartbeat of a claim that runs until until.
func (w *Worker) hold(parent context.Context, id string, until time.Time) *lease {
	l := &lease{w: w, id: id, until: until, exited: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(parent)
	go l.heartbeat()
	return l
}

// left is how much of the claim remains.
func (l *lease) left() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until.Sub(l.w.Now())
}

// extended records that the claim now runs until t (an advance renews it too).
func (l *lease) extended(t time.Time) {
	l.mu.Lock()
	if t.After(l.until) {
		l.until = t
	}
	l.mu.Unlock()
}

func (l *lease) heartbeat() {
	defer close(l.exited)
	every := l.w.Lease / 6
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		if l.left() < l.w.Lease*2/3 {
			now := l.w.Now()
			ctx, cancel := context.WithTimeout(l.ctx, l.w.Lease/4)
			_, err := l.w.Store.ClaimLogStream(ctx, l.id, l.w.Owner, now, now.Add(l.w.Lease))
			cancel()
			switch {
			case err == nil:
				l.extended(now.Add(l.w.Lease))
			case errors.Is(err, store.ErrNotFound):
				// Taken over, paused, deleted or no longer due: stop at once.
				l.cancel()
				return
			case l.ctx.Err() == nil:
				l.w.Logger.WarnContext(l.ctx, "log stream lease not renewed", "stream", l.id, "err", err)
			}
		}
		if l.left() < l.w.Lease/4 {
			l.cancel() // too close to the end to go on sending
			return
		}
	}
}

// stop ends the heartbeat and cancels the delivery's context.
func (l *lease) stop() {
	l.cancel()
	<-l.exited
}
