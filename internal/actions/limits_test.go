package actions_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func TestCompileErrors(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	for _, tc := range []struct {
		name, code string
		line, col  int
		contains   string
		module     string
	}{
		{"syntax", "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};", 2, 13, "Unexpected token", ""},
		{"first line", "exports.onExecutePostLogin = async (event, api) => {)", 1, 53, "Unexpected token", ""},
		{"unterminated", "exports.onExecutePostLogin = async (event, api) => {\n  api.x(", 0, 0, "Unexpected", ""},
		{"require", "const _ = require('lodash');\nexports.onExecutePostLogin = async () => {};", 1, 11, `require("lodash")`, "lodash"},
		{"child_process", "const cp = require('child_process');\nexports.onExecutePostLogin = async () => {};", 1, 12, "Actions may require only: axios, crypto, jsonwebtoken", "child_process"},
		{"nested require", "exports.onExecutePostLogin = async () => {\n  const fs = require(\"fs\");\n};", 2, 14, "not available", "fs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.Compile(tc.name, tc.code, actions.TriggerPostLogin)
			var ce *actions.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want *CompileError, got %v", err)
			}
			if !strings.Contains(ce.Error(), tc.contains) || ce.Module != tc.module {
				t.Fatalf("error = %q module %q", ce.Error(), ce.Module)
			}
			if tc.line != 0 && (ce.Line != tc.line || ce.Column != tc.col) {
				t.Fatalf("position = %d:%d, want %d:%d (%s)", ce.Line, ce.Column, tc.line, tc.col, ce.Error())
			}
			if tc.line != 0 && !strings.HasPrefix(ce.Error(), "Line ") {
				t.Fatalf("error text %q", ce.Error())
			}
		})
	}
	if _, err := rt.Compile("big", strings.Repeat(" ", 100*1024+1), actions.TriggerPostLogin); err == nil {
		t.Fatal("oversized code compiled")
	}
}

func TestDynamicRequireThrowsAtRunTime(t *testing.T) {
	rt := fastRuntime()
	_, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => { const m = 'child' + '_process'; require(m); };`)
	ee := mustExecErr(t, err, actions.KindException)
	if !strings.Contains(ee.Message, "Cannot find module 'child_process'") {
		t.Fatalf("message = %q", ee.Message)
	}
}

func TestSandboxHasNoEscapes(t *testing.T) {
	rt := fastRuntime()
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  const probe = (f) => { try { return String(f()); } catch (e) { return 'threw ' + e.name; } };
  api.idToken.setCustomClaim('x', {
    process: typeof process, fetch: typeof fetch, setTimeout: typeof setTimeout, buffer: typeof ArrayBuffer,
    u8: typeof Uint8Array, eval: probe(() => eval('1+1')), fn: probe(() => Function('return 1')()),
    ctor: probe(() => api.idToken.setCustomClaim.constructor('return 1')()),
    asyncCtor: probe(() => (async () => {}).constructor('return 1')),
  });
};`)
	if err != nil {
		t.Fatal(err)
	}
	got := res.IDTokenClaims["x"].(map[string]any)
	// fetch and setTimeout exist (fetch.go, loop.go); what they reach is bounded there.
	for k, want := range map[string]string{"process": "undefined", "fetch": "function", "setTimeout": "function",
		"buffer": "undefined", "u8": "undefined", "eval": "threw EvalError", "fn": "threw EvalError",
		"ctor": "threw EvalError", "asyncCtor": "threw EvalError"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %s", k, got[k], want)
		}
	}
}

func TestExecutionLimits(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		kind       actions.Kind
		contains   string
	}{
		{"infinite loop", `while (true) {}`, actions.KindTimeout, "time limit"},
		{"never resolving promise", `await new Promise(() => {});`, actions.KindTimeout, "never settles"},
		{"repeat", `const s = 'x'.repeat(1e9); api.idToken.setCustomClaim('n', s.length);`, actions.KindMemory, "repeat"},
		{"array fill", `const a = new Array(1e8).fill(0); api.idToken.setCustomClaim('n', a.length);`, actions.KindMemory, "fill"},
		{"push forever", `const a = []; while (true) { a.push({ i: a.length }); }`, actions.KindMemory, "memory limit"},
		{"string doubling", `let s = 'x'; const keep = []; while (true) { s = s + s; keep.push(s); }`, actions.KindMemory, "memory"},
		{"recursion", `const f = (n) => f(n + 1) + 1; f(0);`, actions.KindMemory, "call stack"},
		{"catch cannot swallow", `try { 'x'.repeat(1e9); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, actions.KindMemory, "repeat"},
		{"throw", `throw new TypeError('bad input');`, actions.KindException, "TypeError: bad input"},
		{"reject", `await Promise.reject(new Error('nope'));`, actions.KindException, "Error: nope"},
		{"throw string", `throw 'plain';`, actions.KindException, "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := fastRuntime()
			if tc.kind == actions.KindMemory {
				// Memory cases must end by the memory check, not the clock: the deadline is the longest
				// allowed, so that a loaded machine (slower allocation) cannot turn them into timeouts.
				rt = actions.NewRuntime(actions.Options{DefaultTimeout: 20 * time.Second, MaxTimeout: 20 * time.Second, MemoryLimitBytes: 32 << 20})
			}
			res, err := runLogin(t, rt, loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+tc.body+"\n};")
			ee := mustExecErr(t, err, tc.kind)
			if !strings.Contains(ee.Message, tc.contains) {
				t.Fatalf("message = %q", ee.Message)
			}
			if ee.ActionName != "actionA" {
				t.Fatalf("action name = %q", ee.ActionName)
			}
			if res != nil && res.IDTokenClaims["after"] != nil {
				t.Fatal("code ran after a memory interrupt")
			}
		})
	}
}

func TestContextDeadlineHonoured(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{}) // 5 s default; the context is shorter
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p := MustCompile(t, rt, "loop", `exports.onExecutePostLogin = async () => { for (;;) {} };`, actions.TriggerPostLogin)
	start := time.Now()
	_, err := rt.RunPostLogin(ctx, []actions.Bound{{Name: "loop", Program: p}}, loginEvent())
	mustExecErr(t, err, actions.KindTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error does not wrap the context's: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second { // well under the 5 s default: the context decided
		t.Fatalf("took %s", d)
	}
}

func TestTriggerMismatchRejected(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	p := MustCompile(t, rt, "m2m", `exports.onExecuteCredentialsExchange = async () => {};`, actions.TriggerCredentialsExchange)
	if _, err := rt.RunPostLogin(context.Background(), []actions.Bound{{Name: "m2m", Program: p}}, loginEvent()); err == nil {
		t.Fatal("ran a credentials-exchange program as post-login")
	}
	res, err := runLogin(t, rt, loginEvent(), `exports.somethingElse = 1;`)
	ee := mustExecErr(t, err, actions.KindException)
	if !strings.Contains(ee.Message, "onExecutePostLogin") || res == nil {
		t.Fatalf("message = %q", ee.Message)
	}
}

// TestConcurrentExecutions shares one Program between goroutines; run it with -race.
func TestConcurrentExecutions(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	p := MustCompile(t, rt, "Add roles", guideCode(t), actions.TriggerPostLogin)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			role := []string{"user", "admin"}[i%2]
			for j := 0; j < 10; j++ {
				res, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "a", Name: "Add roles", Program: p}}, loginEvent(role))
				if err != nil {
					errs <- err
					return
				}
				if got := res.AccessTokenClaims["https://yourapp.com/roles"].([]any); len(got) != 1 || got[0] != role {
					errs <- errors.New("wrong roles for " + role)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
