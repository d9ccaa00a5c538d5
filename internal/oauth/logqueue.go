package oauth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The token endpoint's tenant-log events are written in batches, one transaction per batch, by one
// goroutine. Writing each event in the request would add a durable commit (an fsync with SQLite's
// synchronous=FULL) to every token, which costs as much as the signature and serialises every node's
// token requests on the database's single writer. Events wait in memory for at most one batch;
// Close writes what is queued. When the queue is full the request writes its event itself, so events
// are never dropped, only delayed. A batch is one multi-row INSERT per 16 events (store.AppendLogs),
// not a statement per event.
//
// What a kill can lose: a node stopped cleanly (SIGTERM, then App.Close) writes every event it
// queued; a node killed outright (SIGKILL, a crash, the machine's power) loses the events still in
// memory, those of the token requests answered in the last logLinger (50 ms) and of the batch being
// committed, never more than logQueueSize + logBatchMax events. The tokens themselves are unaffected.
// A batch the database refuses (an outage) is logged and not retried.
//
// A batch is held open for up to logLinger after its first event (less when it fills or someone
// waits on a flush), so the commits are at most about 1/logLinger a second whatever the request
// rate: without it a node serving one request at a time pays a commit (and its fsync) per token,
// a tenth of the server's CPU on SQLite.
type logQueue struct {
	store  store.Store
	rec    *audit.Recorder
	log    *slog.Logger
	now    func() time.Time
	ch     chan logItem
	done   chan struct{}
	closed sync.Once
	mu     sync.RWMutex // held for writing by Close, so no send races the channel's close
	stop   bool
}

type logItem struct {
	ev    domain.LogEvent
	flush chan struct{} // set for a flush marker
}

const (
	logQueueSize = 4096
	logBatchMax  = 256
	logLinger    = 50 * time.Millisecond
)

func newLogQueue(s store.Store, rec *audit.Recorder, log *slog.Logger, now func() time.Time) *logQueue {
	q := &logQueue{store: s, rec: rec, log: log, now: now, ch: make(chan logItem, logQueueSize), done: make(chan struct{})}
	go q.run()
	return q
}

// add queues an event, or records it synchronously when the queue is full or closed.
func (q *logQueue) add(ctx context.Context, ev domain.LogEvent) {
	if ev.LogID == "" {
		ev.LogID = domain.NewLogID()
	}
	if ev.Date.IsZero() {
		ev.Date = q.now().UTC()
	}
	q.mu.RLock()
	if !q.stop {
		select {
		case q.ch <- logItem{ev: ev}:
			q.mu.RUnlock()
			return
		default:
		}
	}
	q.mu.RUnlock()
	q.rec.Record(context.WithoutCancel(ctx), ev)
}

// flush waits until everything queued before it is written.
func (q *logQueue) flush(ctx context.Context) {
	done := make(chan struct{})
	q.mu.RLock()
	if q.stop {
		q.mu.RUnlock()
		return
	}
	q.ch <- logItem{flush: done}
	q.mu.RUnlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (q *logQueue) close() {
	q.closed.Do(func() {
		q.mu.Lock()
		q.stop = true
		close(q.ch)
		q.mu.Unlock()
		<-q.done
	})
}

func (q *logQueue) run() {
	defer close(q.done)
	batch := make([]domain.LogEvent, 0, logBatchMax)
	var flushes []chan struct{}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for item := range q.ch {
		batch, flushes = batch[:0], flushes[:0]
		take := func(it logItem) {
			if it.flush != nil {
				flushes = append(flushes, it.flush)
			} else {
				batch = append(batch, it.ev)
			}
		}
		take(item)
		linger.Reset(logLinger)
	more:
		for len(batch) < logBatchMax && len(flushes) == 0 {
			select {
			case it, ok := <-q.ch:
				if !ok {
					break more
				}
				take(it)
			case <-linger.C:
				break more
			}
		}
		linger.Stop()
		q.write(batch)
		for _, f := range flushes {
			close(f)
		}
	}
}

func (q *logQueue) write(batch []domain.LogEvent) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := q.store.AppendLogs(ctx, batch)
	if err != nil {
		q.log.ErrorContext(ctx, "tenant log events not recorded", "count", len(batch), "err", err)
	}
}
