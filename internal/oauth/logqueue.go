package oauth

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/batchq"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The token endpoint's tenant-log events are written in batches (batchq), one transaction per
// batch, by one goroutine. Writing each event in the request would add a durable commit (an fsync with SQLite's
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
	q   *batchq.Queue[domain.LogEvent]
	now func() time.Time
}

const (
	logQueueSize = 4096
	logBatchMax  = 256
	logLinger    = 50 * time.Millisecond
)

func newLogQueue(s store.Store, rec *audit.Recorder, log *slog.Logger, now func() time.Time) *logQueue {
	return &logQueue{now: now, q: batchq.New(batchq.Config[domain.LogEvent]{
		Size: logQueueSize, Max: logBatchMax, Linger: logLinger,
		Write: func(batch []domain.LogEvent) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.AppendLogs(ctx, batch); err != nil {
				log.ErrorContext(ctx, "tenant log events not recorded", "count", len(batch), "err", err)
			}
		},
		// A full queue: the request records its event itself.
		Overflow: func(ctx context.Context, ev domain.LogEvent) { rec.Record(context.WithoutCancel(ctx), ev) },
	})}
}

// add queues an event, or records it synchronously when the queue is full or closed.
func (q *logQueue) add(ctx context.Context, ev domain.LogEvent) {
	if ev.LogID == "" {
		ev.LogID = domain.NewLogID()
	}
	if ev.Date.IsZero() {
		ev.Date = q.now().UTC()
	}
	q.q.Add(ctx, ev)
}

// flush waits until everything queued before it is written.
func (q *logQueue) flush(ctx context.Context) { q.q.Flush(ctx) }

func (q *logQueue) close() { q.q.Close() }
