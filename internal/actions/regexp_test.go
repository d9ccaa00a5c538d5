package actions_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/gatehouse/gatehouse/internal/actions"
)

// settledGoroutines polls (bounded, generous for a loaded machine) until the process is
// back to at most want goroutines, and returns the last count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > want; i++ {
		time.Sleep(50 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// A catastrophic pattern must not keep a core busy once the execution is over: the match
// times out, the execution fails (a timed-out match is not "no match"), and its goroutine ends.
func TestRegexpMatchCannotOutliveTheExecution(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"test", `/^(a+)+(?=b)c$/.test('a'.repeat(40) + 'b');`},
		{"caught", `let r = 'untouched'; try { r = /^(a+)+(?=b)c$/.test('a'.repeat(40) + 'b'); } catch (e) {} api.idToken.setCustomClaim('after', String(r));`},
		{"replace", `'a'.repeat(40).concat('b').replace(/^(a+)+(?=b)c$/, 'x');`},
		{"split", `'a'.repeat(40).concat('b').split(/(a+)+(?=b)c/);`},
		{"string search", `'a'.repeat(40).concat('b').search('^(a+)+(?=b)c$');`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			time.Sleep(500 * time.Millisecond) // regexp2's clock goroutine from an earlier case stops
			base := runtime.NumGoroutine()
			rt := actions.NewRuntime(actions.Options{DefaultTimeout: 2 * time.Second})
			res, err := runLogin(t, rt, loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+tc.body+"\n};")
			mustExecErr(t, err, actions.KindTimeout)
			if res != nil && res.IDTokenClaims["after"] != nil {
				t.Fatalf("the script went on after a timed-out match: %v", res.IDTokenClaims["after"])
			}
			if n := settledGoroutines(base); n > base {
				t.Fatalf("%d goroutines still running after the execution returned (baseline %d)", n, base)
			}
		})
	}
}

// Executions that outlive their deadline in a native call are counted until they end;
// at the cap new executions are refused with a clear error, and accepted again after.
func TestAbandonedExecutionsAreCapped(t *testing.T) {
	release := make(chan struct{})
	rt := actions.NewRuntime(actions.Options{DefaultTimeout: 100 * time.Millisecond, MaxAbandoned: 2,
		Modules: map[string]actions.ModuleFunc{"stuck": func(vm *goja.Runtime) (goja.Value, error) {
			return vm.ToValue(func(goja.FunctionCall) goja.Value { <-release; return goja.Undefined() }), nil
		}}})
	stuck := MustCompile(t, rt, "stuck", `const wait = require('stuck'); exports.onExecutePostLogin = async () => { wait(); };`, actions.TriggerPostLogin)
	quick := MustCompile(t, rt, "quick", `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('ok', 1); };`, actions.TriggerPostLogin)
	run := func(p *actions.Program) (*actions.PostLoginResult, error) {
		return rt.RunPostLogin(context.Background(), []actions.Bound{{Name: p.Name(), Program: p}}, loginEvent())
	}
	for i := 0; i < 2; i++ {
		if _, err := run(stuck); err == nil || !strings.Contains(err.Error(), "abandoned") {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if got := rt.Abandoned(); got != 2 {
		t.Fatalf("Abandoned() = %d, want 2", got)
	}
	_, err := run(quick)
	if ee := mustExecErr(t, err, actions.KindTimeout); !strings.Contains(ee.Message, "still running past their deadline") {
		t.Fatalf("message = %q", ee.Message)
	}
	close(release)
	for i := 0; i < 200 && rt.Abandoned() > 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if got := rt.Abandoned(); got != 0 {
		t.Fatalf("Abandoned() = %d after the stuck calls returned", got)
	}
	if res, err := run(quick); err != nil || res.IDTokenClaims["ok"] == nil {
		t.Fatalf("after the abandoned executions ended: %v %v", res, err)
	}
}
