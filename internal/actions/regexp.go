package actions

import (
	"fmt"
	"reflect"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// regexpMatchTimeout bounds one regular-expression match. goja runs the patterns RE2
// cannot (lookaround, backreferences) on regexp2, a backtracking engine where
// /^(a+)+(?=b)c$/ takes exponential time, inside one native call that goja's interrupt
// cannot reach: without a timeout the goroutine runs on long after the deadline. It is
// well under abandonGrace, so an execution stuck in a match stops before it is abandoned.
const regexpMatchTimeout = 200 * time.Millisecond

// goja has no per-runtime hook for the match timeout; regexp2 copies this default into
// each pattern when it compiles it, which goja does lazily, after this package's init.
// Nothing else in the process uses regexp2.
func init() { regexp2.DefaultMatchTimeout = regexpMatchTimeout }

// installRegexpTimeout wraps RegExp.prototype.exec and test (test does not go through
// exec) so that a match that ran into the timeout stops the execution: goja reports a
// timed-out match as "no match", which would let a script (or its attacker-chosen input)
// turn a failing test into a passing one.
//
// Replacing exec also makes goja treat every regexp as modified, so match, matchAll,
// replace, search and split take the specification's generic algorithms, which call exec
// once per match and so come through here.
func (ex *execution) installRegexpTimeout(vm *goja.Runtime) error {
	proto := vm.Get("RegExp").ToObject(vm).Get("prototype").ToObject(vm)
	for _, name := range []string{"exec", "test"} {
		orig, ok := goja.AssertFunction(proto.Get(name))
		if !ok {
			return fmt.Errorf("builtin RegExp.prototype.%s missing", name)
		}
		if err := defineBuiltin(vm, proto, name, ex.timedMatch(vm, orig, name == "exec")); err != nil {
			return err
		}
	}
	return nil
}

// For exec, each match is also counted against the builtin gathering matches, if any
// (see gatheringMatches).
func (ex *execution) timedMatch(vm *goja.Runtime, orig goja.Callable, exec bool) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		start := time.Now()
		v, err := orig(c.This, c.Arguments...)
		if err != nil {
			panic(err)
		}
		// regexp2 gives up only after the timeout, and a match that gave up reports no match,
		// so a shorter call, or one that found a match, never timed out: a slow but successful
		// match on a busy machine is not mistaken for one.
		if time.Since(start) >= regexpMatchTimeout && noMatch(v) {
			msg := fmt.Sprintf("a regular expression match ran past its time limit (%s)", regexpMatchTimeout)
			ex.interrupt(&interruptCause{kind: KindTimeout, msg: msg})
			panic(newError(vm, "RangeError", msg))
		}
		if exec && !goja.IsNull(v) {
			ex.countMatch(vm)
		}
		return v
	}
}

// noMatch is exec's null or test's false: what goja answers for a match that timed out.
func noMatch(v goja.Value) bool {
	return v == nil || goja.IsNull(v) || goja.IsUndefined(v) || (v.ExportType() != nil && v.ExportType().Kind() == reflect.Bool && !v.ToBoolean())
}
