package actions

import (
	"context"
	"sync"
	"time"
)

// ActionRun is what one bound action of an execution did: when it started and ended, and its
// failure when it failed (an execution stops at the first).
type ActionRun struct {
	ActionID, Name string
	Start, End     time.Time
	Err            *ExecutionError
}

// RunLog collects the ActionRuns of the executions run with a context it was attached to
// (WithRunLog), for the execution record (GET /api/v2/actions/executions/{id}). It is safe to read
// while an abandoned execution may still write to it.
type RunLog struct {
	mu   sync.Mutex
	runs []ActionRun
}

// Runs returns a copy of the runs recorded so far, in the order the actions ran.
func (l *RunLog) Runs() []ActionRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ActionRun(nil), l.runs...)
}

func (l *RunLog) add(r ActionRun) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs = append(l.runs, r)
}

type runLogKey struct{}

// WithRunLog returns ctx carrying l: the Run* functions given it record each action's run there.
func WithRunLog(ctx context.Context, l *RunLog) context.Context {
	return context.WithValue(ctx, runLogKey{}, l)
}

func runLogOf(ctx context.Context) *RunLog {
	l, _ := ctx.Value(runLogKey{}).(*RunLog)
	return l
}
