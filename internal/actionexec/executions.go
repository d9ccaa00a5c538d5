package actionexec

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/batchq"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Every run of a trigger's bound actions leaves an execution record (GET
// /api/v2/actions/executions/{id}); its id is on the Outcome, for the flow's tenant log event
// (details.actions.executions), and on the run's own log entry. Records are written as the token
// endpoint writes its log events: queued in memory, one goroutine, one transaction per batch held
// open for up to execLinger, so a sign-in pays no commit for its record. A full queue writes in the
// request; Close writes what is queued. The collector removes records older than
// domain.ActionExecutionRetention.
type execQueue = batchq.Queue[*domain.ActionExecution]

const (
	execQueueSize = 4096
	execBatchMax  = 256
	execLinger    = 50 * time.Millisecond
)

func newExecQueue(s store.ActionExecutionStore, log *slog.Logger) *execQueue {
	write := func(ctx context.Context, batch []*domain.ActionExecution) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.InsertActionExecutions(ctx, batch); err != nil {
			log.ErrorContext(ctx, "action execution records not written", "count", len(batch), "err", err)
		}
	}
	return batchq.New(batchq.Config[*domain.ActionExecution]{
		Size: execQueueSize, Max: execBatchMax, Linger: execLinger,
		Write: func(batch []*domain.ActionExecution) { write(context.Background(), batch) },
		// A full queue: the request writes its record itself.
		Overflow: func(ctx context.Context, x *domain.ActionExecution) {
			write(context.WithoutCancel(ctx), []*domain.ActionExecution{x})
		},
	})
}

// execution is the record of one run of t's chain being built.
type execution struct {
	id    string
	start time.Time
	runs  actions.RunLog
}

// begin starts the record of a run and returns the context the runtime records each action's run
// in.
func (e *Executor) begin(ctx context.Context) (context.Context, *execution) {
	x := &execution{id: domain.NewActionExecutionID(), start: e.now().UTC()}
	return actions.WithRunLog(ctx, &x.runs), x
}

// finish queues the record of the run. err is the runtime's error when the run failed: an action's
// failure is on its own result already; an execution that failed before or outside any action (a
// broken chain, an abandoned run) gets a result for the action it was at.
func (e *Executor) finish(ctx context.Context, t actions.Trigger, c *chain, x *execution, logs []actions.LogLine, f *failure) string {
	if x == nil {
		return ""
	}
	end := e.now().UTC()
	rec := &domain.ActionExecution{ID: x.id, TriggerID: string(t), Status: domain.ExecutionFinal, CreatedAt: x.start, UpdatedAt: end,
		Results: []domain.ActionExecutionResult{}}
	red := newRedactor(c)
	lines := map[string][]domain.ActionExecutionLog{}
	for _, l := range logs {
		lines[l.ActionName] = append(lines[l.ActionName], domain.ActionExecutionLog{Level: l.Level, Message: red(l.Line)})
	}
	failed := false
	for _, r := range x.runs.Runs() {
		res := domain.ActionExecutionResult{ActionName: r.Name, StartedAt: r.Start.UTC(), EndedAt: r.End.UTC(), Logs: lines[r.Name]}
		delete(lines, r.Name) // a resumed or repeated name keeps its lines on its first result
		if r.Err != nil {
			res.Error = &domain.ActionExecutionError{ID: string(r.Err.Kind), Msg: red(r.Err.Message)}
			failed = true
		}
		rec.Results = append(rec.Results, res)
	}
	if f != nil && !failed {
		rec.Results = append(rec.Results, domain.ActionExecutionResult{ActionName: f.actionName, StartedAt: x.start, EndedAt: end,
			Error: &domain.ActionExecutionError{ID: f.kind, Msg: red(f.message)}})
	}
	if e.execs != nil {
		e.execs.Add(ctx, rec)
	}
	return x.id
}

// Flush waits until the execution records queued so far are written (tests, and a node's shutdown).
func (e *Executor) Flush(ctx context.Context) {
	if e.execs != nil {
		e.execs.Flush(ctx)
	}
}

// Close waits for the background runs and writes the queued execution records.
func (e *Executor) Close() {
	e.WaitBackground()
	if e.execs != nil {
		e.execs.Close()
	}
}

// storeCache is api.cache in the store every node shares.
type storeCache struct{ s store.ActionCacheStore }

func (c storeCache) GetCache(ctx context.Context, t actions.Trigger, key string, now time.Time) (string, time.Time, bool, error) {
	e, err := c.s.GetActionCache(ctx, string(t), key, now)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	return e.Value, e.ExpiresAt, true, nil
}

func (c storeCache) SetCache(ctx context.Context, t actions.Trigger, key, value string, expires, now time.Time) error {
	return c.s.PutActionCache(ctx, string(t), domain.ActionCacheEntry{Key: key, Value: value, ExpiresAt: expires}, now,
		actions.CacheMaxEntries, actions.CacheMaxTotal)
}

func (c storeCache) DeleteCache(ctx context.Context, t actions.Trigger, key string, now time.Time) error {
	_, err := c.s.DeleteActionCache(ctx, string(t), key, now)
	return err
}
