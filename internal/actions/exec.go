package actions

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// abandonGrace is how long a caller waits, after the deadline, for an execution stuck
// in a native builtin (which goja cannot interrupt) before giving up on it.
const abandonGrace = 500 * time.Millisecond

// execution is one trigger run: the chain of bound actions under one deadline and one
// memory budget. The JavaScript runs on its own goroutine so a builtin that ignores
// the interrupt cannot hold the caller past the deadline.
type execution struct {
	r       *Runtime
	trigger Trigger
	// ctx ends at the trigger's deadline; stopped closes at the first interrupt.
	ctx     context.Context
	stopped chan struct{}
	// loadBuiltins returns, for the action running now, each built-in module's factory by
	// name; builtins holds it once loaded.
	loadBuiltins func() (*goja.Object, error)
	builtins     *goja.Object
	// fetches counts the requests made so far (FetchOptions.MaxCalls).
	fetches int

	mu    sync.Mutex
	vm    *goja.Runtime // the action running now
	cause *interruptCause

	wd watchdog

	// joining holds the arrays whose join is in progress, to end cycles as goja does.
	joining []*goja.Object
	// matches caps the match results the builtin running now may gather; nil when none does.
	matches *matchBudget
}

// interrupt stops the running action (and any later one) with cause; the first cause wins.
func (ex *execution) interrupt(c *interruptCause) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.cause == nil {
		ex.cause = c
		close(ex.stopped)
	}
	if ex.vm != nil {
		ex.vm.Interrupt(ex.cause)
	}
}

// stoppedCause is why the execution was interrupted, or nil while it may go on.
func (ex *execution) stoppedCause() *interruptCause {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.cause
}

func (ex *execution) setVM(vm *goja.Runtime) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.vm = vm
	if ex.cause != nil {
		vm.Interrupt(ex.cause)
	}
}

func (ex *execution) memoryExceeded(what string) {
	ex.interrupt(&interruptCause{kind: KindMemory, msg: "memory limit exceeded: " + what})
}

// run executes body under the trigger's deadline and memory watchdog.
//
// An execution that does not stop within abandonGrace of its deadline (a native call
// that ignores the interrupt) is abandoned: the caller gets errAbandoned and the
// goroutine finishes on its own. Abandoned executions are counted until they do, and
// while MaxAbandoned of them are running no new execution starts, so a script that
// finds a way to outlive its deadline cannot take every core.
func (r *Runtime) run(ctx context.Context, trigger Trigger, body func(ex *execution) error) error {
	if r.abandoned.Load() >= r.maxAbandoned {
		r.logger.Warn("actions: execution refused while abandoned executions run", "trigger", trigger)
		return errTooManyAbandoned
	}
	ctx, cancel := context.WithTimeout(ctx, r.defaultTimeout)
	defer cancel()
	ex := &execution{r: r, trigger: trigger, ctx: ctx, stopped: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() {
		msg := fmt.Sprintf("execution exceeded its time limit (%s)", r.defaultTimeout)
		if errors.Is(ctx.Err(), context.Canceled) {
			msg = "execution canceled"
		}
		ex.interrupt(&interruptCause{kind: KindTimeout, msg: msg, err: ctx.Err()})
	})
	defer stop()
	ex.wd.start(ex)
	defer ex.wd.stop()

	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				r.logger.Error("actions: runtime fault", "trigger", trigger, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- &ExecutionError{Kind: KindException, Message: "internal error in the action runtime"}
			}
		}()
		done <- body(ex)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(abandonGrace):
		r.logger.Warn("actions: execution abandoned after its deadline", "trigger", trigger)
		r.abandoned.Add(1)
		go func() {
			<-done
			r.abandoned.Add(-1)
		}()
		return errAbandoned
	}
}

// errTooManyAbandoned refuses an execution while earlier ones still run past their deadline.
var errTooManyAbandoned = &ExecutionError{Kind: KindTimeout,
	Message: "too many earlier executions are still running past their deadline; no new execution starts until they stop"}

// errAbandoned tells the Run* functions not to read state the abandoned goroutine may
// still write.
var errAbandoned = &ExecutionError{Kind: KindTimeout, Message: "execution did not stop at its deadline and was abandoned"}

// newVM returns a fresh, sandboxed JavaScript runtime for one action.
func (ex *execution) newVM(b Bound, logs *logSink) (*goja.Runtime, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(ex.r.stackSize)
	vm.SetParserOptions(parser.WithDisableSourceMaps)
	ex.setVM(vm)
	if err := ex.harden(vm); err != nil {
		return nil, err
	}
	installConsole(vm, b.Name, logs)
	return vm, nil
}

// errNoExport is loadHandler's answer when the module does not export the handler asked for.
var errNoExport = errors.New("action does not export its handler")

// loadHandler runs the module's top level and returns its exported handler called export;
// errNoExport when it has none.
func (ex *execution) loadHandler(vm *goja.Runtime, b Bound, export string) (goja.Callable, error) {
	wrapper, err := vm.RunProgram(b.Program.prg)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return nil, errors.New("compiled module is not a function")
	}
	exports := vm.NewObject()
	module := vm.NewObject()
	_ = module.Set("exports", exports)
	_ = module.Set("id", ".")
	if _, err := fn(goja.Undefined(), exports, ex.requireFunc(vm), module, vm.ToValue("/action.js"), vm.ToValue("/")); err != nil {
		return nil, err
	}
	exp := module.Get("exports")
	if exp == nil || goja.IsUndefined(exp) || goja.IsNull(exp) {
		return nil, errNoExport
	}
	h, ok := goja.AssertFunction(exp.ToObject(vm).Get(export))
	if !ok {
		return nil, errNoExport
	}
	return h, nil
}

// callHandler calls the handler and, when it returns a promise, runs the action's event
// loop until it settles. goja runs the promise job queue when the outermost call returns;
// timers and fetches settle later, on this goroutine, through the loop. A rejection no
// handler took fails the action, as it ends a Node process.
func (ex *execution) callHandler(vm *goja.Runtime, l *loop, h goja.Callable, event, api goja.Value) error {
	ret, err := h(goja.Undefined(), event, api)
	if err != nil {
		return err
	}
	if obj, ok := ret.(*goja.Object); ok {
		if p, ok := obj.Export().(*goja.Promise); ok {
			if err := l.wait(p); err != nil {
				return err
			}
			if p.State() == goja.PromiseStateRejected {
				return &rejection{value: p.Result()}
			}
		}
	}
	if p := l.unhandled(); p != nil {
		return &rejection{value: p.Result(), unhandled: true}
	}
	return nil
}

type rejection struct {
	value     goja.Value
	unhandled bool
}

func (r *rejection) Error() string { return "promise rejected" }

// classify turns an error from the JavaScript side into an *ExecutionError.
func (ex *execution) classify(b Bound, err error) *ExecutionError {
	e := &ExecutionError{Kind: KindException, ActionID: b.ActionID, ActionName: b.Name, Message: err.Error()}
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	var jex *goja.Exception
	var rej *rejection
	var cause *interruptCause
	switch {
	case errors.As(err, &ie):
		if c, ok := ie.Value().(*interruptCause); ok {
			e.Kind, e.Message, e.Err = c.kind, c.msg, c.err
		} else {
			e.Kind, e.Message = KindTimeout, "interrupted"
		}
	case errors.As(err, &so):
		e.Kind, e.Message = KindMemory, "maximum call stack size exceeded"
	case errors.As(err, &jex):
		e.Message = describeThrown(jex.Value())
		e.Stack = jex.String()
	case errors.As(err, &rej):
		e.Message = describeThrown(rej.value)
		if rej.unhandled {
			e.Message = "unhandled promise rejection: " + e.Message
		}
	case errors.As(err, &cause):
		e.Kind, e.Message, e.Err = cause.kind, cause.msg, cause.err
	}
	ex.mu.Lock()
	if c := ex.cause; c != nil && e.Kind == KindException && c.kind != KindException {
		// The deadline or the watchdog fired while the error was being raised.
		e.Kind, e.Message, e.Err = c.kind, c.msg, c.err
	}
	ex.mu.Unlock()
	return e
}

// describeThrown renders a thrown value as Node prints it ("Error: message") without
// calling user code: name and message are read as data properties only.
func describeThrown(v goja.Value) string {
	obj, ok := v.(*goja.Object)
	if !ok {
		if v == nil {
			return "undefined"
		}
		return "Uncaught " + v.String()
	}
	name, msg := "Error", ""
	if n := obj.Get("name"); n != nil {
		if s, ok := n.Export().(string); ok {
			name = s
		}
	}
	if m := obj.Get("message"); m != nil {
		if s, ok := m.Export().(string); ok {
			msg = s
		}
	}
	if msg == "" {
		return name
	}
	return name + ": " + msg
}

// runAction runs one action: fresh runtime, module load, handler call; failures are
// converted to *ExecutionError. The run is recorded in the context's RunLog, when it has one.
func (ex *execution) runAction(b Bound, logs *logSink, build func(vm *goja.Runtime) (event, api goja.Value, err error)) *ExecutionError {
	return ex.runExport(b, logs, b.Program.handler, false, build)
}

// runExport is runAction for the handler called export; with optional set, a module that
// does not export it has nothing to run (onContinuePostLogin of an action that never
// redirects). The run is recorded in the context's RunLog, when it has one.
func (ex *execution) runExport(b Bound, logs *logSink, export string, optional bool, build func(vm *goja.Runtime) (event, api goja.Value, err error)) *ExecutionError {
	start := time.Now()
	e := ex.runOne(b, logs, export, optional, build)
	if l := runLogOf(ex.ctx); l != nil {
		l.add(ActionRun{ActionID: b.ActionID, Name: b.Name, Start: start, End: time.Now(), Err: e})
	}
	return e
}

func (ex *execution) runOne(b Bound, logs *logSink, export string, optional bool, build func(vm *goja.Runtime) (event, api goja.Value, err error)) *ExecutionError {
	vm, err := ex.newVM(b, logs)
	if err != nil {
		return ex.classify(b, err)
	}
	l := newLoop(ex, vm)
	defer l.close()
	if err := ex.installWeb(vm, l, b); err != nil {
		return ex.classify(b, err)
	}
	h, err := ex.loadHandler(vm, b, export)
	if errors.Is(err, errNoExport) {
		if optional {
			return nil
		}
		err = fmt.Errorf("action does not export %s", export)
	}
	if err != nil {
		return ex.classify(b, err)
	}
	event, api, err := build(vm)
	if err != nil {
		return ex.classify(b, err)
	}
	if err := ex.callHandler(vm, l, h, event, api); err != nil {
		return ex.classify(b, err)
	}
	return nil
}
