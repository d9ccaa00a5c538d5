package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/dop251/goja"
)

// Bounds of one action's event loop.
const (
	// maxPendingOps bounds timers and fetches waiting at once in one action.
	maxPendingOps = 256
)

// loop is one action's event loop: the asynchronous operations (timers, fetches) its
// code started and the completions they send back. Every completion runs on the
// goroutine that runs the action's JavaScript, so the runtime is never touched from two
// goroutines. It ends with the action: whatever is still pending is canceled.
type loop struct {
	ex     *execution
	ctx    context.Context // canceled when the action ends
	cancel context.CancelFunc
	nextID int64
	ops    map[int64]*asyncOp
	done   chan completion

	// rejected are promises rejected with no handler, in order; Node ends the process on
	// one, and an action ends with an error.
	rejected []*goja.Promise
}

type asyncOp struct {
	timer  *time.Timer
	cancel context.CancelFunc
}

type completion struct {
	id  int64
	run func() error
}

func newLoop(ex *execution, vm *goja.Runtime) *loop {
	ctx, cancel := context.WithCancel(ex.ctx)
	l := &loop{ex: ex, ctx: ctx, cancel: cancel, ops: map[int64]*asyncOp{}, done: make(chan completion, 16)}
	vm.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		switch op {
		case goja.PromiseRejectionReject:
			l.rejected = append(l.rejected, p)
		case goja.PromiseRejectionHandle:
			for i, q := range l.rejected {
				if q == p {
					l.rejected = append(l.rejected[:i], l.rejected[i+1:]...)
					break
				}
			}
		}
	})
	return l
}

// start registers an operation; it panics with a JavaScript error when too many are pending.
func (l *loop) start(vm *goja.Runtime, op *asyncOp) int64 {
	if len(l.ops) >= maxPendingOps {
		panic(newError(vm, "RangeError", fmt.Sprintf("too many pending timers and requests (limit %d)", maxPendingOps)))
	}
	l.nextID++
	l.ops[l.nextID] = op
	return l.nextID
}

// post hands a completion to the loop from any goroutine; it is dropped when the action ended.
func (l *loop) post(c completion) {
	select {
	case l.done <- c:
	case <-l.ctx.Done():
	}
}

// clear forgets a pending operation (clearTimeout, an aborted fetch's late answer).
func (l *loop) clear(id int64) {
	op, ok := l.ops[id]
	if !ok {
		return
	}
	delete(l.ops, id)
	if op.timer != nil {
		op.timer.Stop()
	}
	if op.cancel != nil {
		op.cancel()
	}
}

// close cancels what is still pending.
func (l *loop) close() {
	for id := range l.ops {
		l.clear(id)
	}
	l.cancel()
}

// wait runs completions until p settles. A promise that is still pending with nothing
// left that could settle it never will; the deadline and the memory watchdog end the
// wait through the execution's interrupt.
func (l *loop) wait(p *goja.Promise) error {
	for p.State() == goja.PromiseStatePending {
		if c := l.ex.stoppedCause(); c != nil {
			return c
		}
		if len(l.ops) == 0 {
			return &interruptCause{kind: KindTimeout, msg: "the handler's promise never settles"}
		}
		select {
		case c := <-l.done:
			if _, ok := l.ops[c.id]; !ok {
				continue // cleared before its completion arrived
			}
			delete(l.ops, c.id)
			if err := c.run(); err != nil {
				return err
			}
		case <-l.ex.stopped:
		}
	}
	return nil
}

// unhandled is the first rejection no handler took, or nil.
func (l *loop) unhandled() *goja.Promise {
	for _, p := range l.rejected {
		if p.State() == goja.PromiseStateRejected {
			return p
		}
	}
	return nil
}

// installTimers adds setTimeout, clearTimeout, setImmediate and clearImmediate. Timers
// fire within the trigger's deadline or not at all.
func (l *loop) installTimers(vm *goja.Runtime) {
	schedule := func(fnArg goja.Value, delay time.Duration, args []goja.Value) goja.Value {
		fn, ok := goja.AssertFunction(fnArg)
		if !ok {
			panic(vm.NewTypeError("The \"callback\" argument must be of type function"))
		}
		args = append([]goja.Value(nil), args...)
		op := &asyncOp{}
		id := l.start(vm, op)
		op.timer = time.AfterFunc(delay, func() {
			l.post(completion{id: id, run: func() error {
				_, err := fn(goja.Undefined(), args...)
				return err
			}})
		})
		return vm.ToValue(id)
	}
	_ = vm.Set("setTimeout", func(c goja.FunctionCall) goja.Value {
		ms := c.Argument(1).ToFloat()
		if ms != ms || ms < 1 { // NaN, zero or negative: Node waits 1 ms
			ms = 1
		}
		ms = min(ms, float64(maxTimeout/time.Millisecond))
		var rest []goja.Value
		if len(c.Arguments) > 2 {
			rest = c.Arguments[2:]
		}
		return schedule(c.Argument(0), time.Duration(ms*float64(time.Millisecond)), rest)
	})
	_ = vm.Set("setImmediate", func(c goja.FunctionCall) goja.Value {
		var rest []goja.Value
		if len(c.Arguments) > 1 {
			rest = c.Arguments[1:]
		}
		return schedule(c.Argument(0), 0, rest)
	})
	clearFn := func(c goja.FunctionCall) goja.Value {
		l.clear(c.Argument(0).ToInteger())
		return goja.Undefined()
	}
	_ = vm.Set("clearTimeout", clearFn)
	_ = vm.Set("clearImmediate", clearFn)
}
