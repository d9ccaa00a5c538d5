package actions

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// removedGlobals are not offered to actions: typed arrays and buffers allocate their
// whole size in one native call that no interrupt can stop, and nothing in the sandbox
// needs them. Without the constructors no instance can be made, so nothing reaches them.
var removedGlobals = []string{"ArrayBuffer", "SharedArrayBuffer", "DataView", "Uint8Array", "Uint8ClampedArray",
	"Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array",
	"BigInt64Array", "BigUint64Array"}

// lockdownPrg closes the doors to run-time code generation: eval and the Function
// constructors (reachable through any function's .constructor). goja's parser
// recurses on nesting, and source built at run time is not bounded by the deploy-time
// size limit, so deeply nested generated code could overflow the Go stack.
var lockdownPrg = mustCompileInternal("lockdown", `(function (deny) {
  var protos = [function () {}, async function () {}, function* () {}]
    .map(function (f) { return Object.getPrototypeOf(f); });
  Object.defineProperty(deny, 'prototype', { value: Function.prototype });
  protos.forEach(function (p) {
    Object.defineProperty(p, 'constructor', { value: deny, writable: false, enumerable: false, configurable: false });
  });
  globalThis.Function = deny;
  globalThis.eval = deny;
})`)

// mustCompileInternal compiles one of the sandbox's own scripts on first use: a node
// that never runs an Action keeps neither the programs nor the compiler's pages
// resident.
func mustCompileInternal(name, src string) func() *goja.Program {
	return sync.OnceValue(func() *goja.Program { return goja.MustCompile(name, src, false) })
}

// harden installs the sandbox limits on a fresh runtime.
func (ex *execution) harden(vm *goja.Runtime) error {
	g := vm.GlobalObject()
	for _, n := range removedGlobals {
		if err := g.Delete(n); err != nil {
			return err
		}
	}
	lock, err := vm.RunProgram(lockdownPrg())
	if err != nil {
		return err
	}
	fn, _ := goja.AssertFunction(lock)
	deny := vm.ToValue(func(goja.FunctionCall) goja.Value {
		panic(newError(vm, "EvalError", "code generation from strings is not available in Actions"))
	})
	if _, err := fn(goja.Undefined(), deny); err != nil {
		return err
	}

	limit := ex.r.memLimit
	str := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	arrCtor := vm.Get("Array").ToObject(vm)
	arr := arrCtor.Get("prototype").ToObject(vm)
	strLen := func(v goja.Value) int64 {
		if s, ok := v.ToString().(goja.String); ok {
			return int64(s.Length())
		}
		return int64(len(v.String()))
	}
	gopd, ok := goja.AssertFunction(vm.Get("Object").ToObject(vm).Get("getOwnPropertyDescriptor"))
	if !ok {
		return fmt.Errorf("builtin Object.getOwnPropertyDescriptor missing")
	}
	st := &stableReader{vm: vm, gopd: gopd}
	lengthOf := st.length
	// Each check returns the size (bytes) the call would produce; over the limit the
	// execution is interrupted before the builtin runs.
	guards := []struct {
		obj   *goja.Object
		name  string
		check func(call *goja.FunctionCall) int64
	}{
		// Every number or string a check reads is converted once and handed to the builtin
		// converted: a valueOf or toString answering differently on each call could show
		// the check a small size and the builtin a huge one.
		{str, "repeat", func(c *goja.FunctionCall) int64 {
			if c.This != nil && !goja.IsUndefined(c.This) && !goja.IsNull(c.This) {
				c.This = jsString(vm, c.This)
			}
			c.Arguments = numbersAt(c.Arguments, 0)
			return satMul(satMul(unitBytes, strLen(c.This)), max(c.Argument(0).ToInteger(), 0))
		}},
		{str, "padStart", func(c *goja.FunctionCall) int64 {
			c.Arguments = numbersAt(c.Arguments, 0)
			return satMul(unitBytes, c.Argument(0).ToInteger())
		}},
		{str, "padEnd", func(c *goja.FunctionCall) int64 {
			c.Arguments = numbersAt(c.Arguments, 0)
			return satMul(unitBytes, c.Argument(0).ToInteger())
		}},
		{arr, "fill", func(c *goja.FunctionCall) int64 {
			// start and end are converted before the length is read, so that their valueOf
			// cannot grow the array between the check and the builtin either.
			c.Arguments = numbersAt(c.Arguments, 1, 2)
			return satMul(slotBytes, fillCount(lengthOf(c.This), *c))
		}},
		{arrCtor, "from", func(c *goja.FunctionCall) int64 {
			// A string source becomes one string value and one slot per character: measured at
			// about 750 bytes each, not the 16 of a plain slot.
			if src := c.Argument(0); src.ExportType() == reflect.TypeOf("") {
				return satMul(charFromBytes, strLen(src))
			}
			return satMul(slotBytes, lengthOf(c.Argument(0)))
		}},
		{arr, "concat", func(c *goja.FunctionCall) int64 { return satMul(slotBytes, concatCount(st, *c)) }},
	}
	// Array methods that walk 0..length in one native call: on a sparse array (or an
	// array-like) whose length is far beyond anything allocated, the walk alone keeps a
	// core busy past the deadline (the interrupt cannot land while no JavaScript runs),
	// and map and slice first allocate a slot for every index. A length no dense array
	// under the memory limit could have is refused before the walk starts.
	for _, name := range walkingArrayMethods {
		guards = append(guards, struct {
			obj   *goja.Object
			name  string
			check func(call *goja.FunctionCall) int64
		}{arr, name, func(c *goja.FunctionCall) int64 { return satMul(slotBytes, lengthOf(c.This)) }})
	}
	for _, gd := range guards {
		orig, ok := goja.AssertFunction(gd.obj.Get(gd.name))
		if !ok {
			return fmt.Errorf("builtin %s missing", gd.name)
		}
		name, check := gd.name, gd.check
		wrapped := vm.ToValue(func(c goja.FunctionCall) goja.Value {
			if n := check(&c); n > limit {
				ex.refuse(vm, name, n)
			}
			v, err := orig(c.This, c.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		})
		if err := gd.obj.DefineDataProperty(gd.name, wrapped, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return err
		}
	}
	if err := ex.installRegexpTimeout(vm); err != nil {
		return err
	}
	return ex.installBuilders(vm)
}

// walkingArrayMethods visit every index up to length natively (see harden). flat and
// flatMap walk nested arrays too and are replaced by counted walks (see flattener).
var walkingArrayMethods = []string{"map", "filter", "slice", "splice", "forEach", "every", "some", "reduce",
	"reduceRight", "indexOf", "lastIndexOf", "includes", "find", "findIndex", "findLast", "findLastIndex",
	"reverse", "sort", "copyWithin", "toReversed", "toSorted", "toSpliced", "with"}

// concatCount is how many slots Array.prototype.concat would fill: the length of each
// spreadable argument (arrays, or objects that ask to be spread), one for anything else.
// The same array may be passed any number of times, so the result is not bounded by
// what the action has allocated. Both properties are read so that the builtin sees the
// same values (see stableReader).
func concatCount(st *stableReader, c goja.FunctionCall) int64 {
	var n int64
	for i, v := range append([]goja.Value{c.This}, c.Arguments...) {
		o, ok := v.(*goja.Object)
		if i == 0 && !ok && v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			o, ok = v.ToObject(st.vm), true // the builtin spreads this as an object
		}
		if !ok {
			n = satAdd(n, 1)
			continue
		}
		spread := o.ClassName() == "Array"
		if s := st.get(o, goja.SymIsConcatSpreadable); s != nil && !goja.IsUndefined(s) {
			spread = s.ToBoolean()
		}
		if spread {
			n = satAdd(n, st.length(o))
		} else {
			n = satAdd(n, 1)
		}
	}
	return n
}

// numbersAt is args with the arguments at the given positions converted to numbers (as
// the builtin converts them first thing), so that their valueOf runs once.
func numbersAt(args []goja.Value, at ...int) []goja.Value {
	out := append([]goja.Value(nil), args...)
	for _, i := range at {
		if i < len(out) && !goja.IsUndefined(out[i]) {
			out[i] = out[i].ToNumber()
		}
	}
	return out
}

// fillCount is how many slots Array.prototype.fill(value, start, end) would write.
func fillCount(length int64, c goja.FunctionCall) int64 {
	rel := func(v goja.Value, def int64) int64 {
		if v == nil || goja.IsUndefined(v) {
			return def
		}
		n := v.ToInteger()
		if n < 0 {
			return max(length+n, 0)
		}
		return min(n, length)
	}
	start, end := rel(c.Argument(1), 0), rel(c.Argument(2), length)
	return max(end-start, 0)
}

// newError builds a JavaScript error of the named constructor with msg.
func newError(vm *goja.Runtime, ctor, msg string) *goja.Object {
	o, err := vm.New(vm.Get(ctor), vm.ToValue(msg))
	if err != nil {
		return vm.NewTypeError(msg)
	}
	return o
}

// requireFunc is the module's require: the built-in modules (BuiltinModules) and those
// the Runtime was given; anything else is refused with the list.
func (ex *execution) requireFunc(vm *goja.Runtime) goja.Value {
	loaded := map[string]goja.Value{}
	return vm.ToValue(func(c goja.FunctionCall) goja.Value {
		name := c.Argument(0).String()
		if v, ok := loaded[name]; ok {
			return v
		}
		var v goja.Value
		if slices.Contains(builtinModules, name) && ex.loadBuiltins != nil {
			if ex.builtins == nil {
				t, err := ex.loadBuiltins()
				if err != nil {
					panic(err)
				}
				ex.builtins = t
			}
			factory, ok := goja.AssertFunction(ex.builtins.Get(name))
			if !ok {
				panic(newError(vm, "Error", fmt.Sprintf("module '%s' failed to load", name)))
			}
			m, err := factory(goja.Undefined())
			if err != nil {
				panic(err)
			}
			v = m
		} else if load, ok := ex.r.modules[name]; ok {
			m, err := load(vm)
			if err != nil {
				panic(newError(vm, "Error", fmt.Sprintf("module '%s' failed to load", name)))
			}
			v = m
		} else {
			panic(newError(vm, "Error", fmt.Sprintf("Cannot find module '%s': %s", name, ex.r.allowListText())))
		}
		loaded[name] = v
		return v
	})
}

// Log limits: Auth0 persists 256 characters per line; a line budget keeps a chatty
// action from growing the result without bound.
const (
	maxLogLine  = 256
	maxLogLines = 100
)

// LogLine is one console line an action wrote.
type LogLine struct {
	ActionName string
	Level      string // log, info, warn, error, debug
	Line       string
}

type logSink struct {
	lines   []LogLine
	perName map[string]int
}

func (s *logSink) add(action, level, line string) {
	if s.perName == nil {
		s.perName = map[string]int{}
	}
	n := s.perName[action]
	s.perName[action] = n + 1
	switch {
	case n == maxLogLines:
		s.lines = append(s.lines, LogLine{ActionName: action, Level: "warn", Line: "further console output dropped"})
		return
	case n > maxLogLines:
		return
	}
	s.lines = append(s.lines, LogLine{ActionName: action, Level: level, Line: truncateRunes(line, maxLogLine)})
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i]
}

// installConsole captures console.* into the execution's logs.
func installConsole(vm *goja.Runtime, action string, logs *logSink) {
	console := vm.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		level := level
		_ = console.Set(level, func(c goja.FunctionCall) goja.Value {
			parts := make([]string, 0, len(c.Arguments))
			for _, a := range c.Arguments {
				parts = append(parts, formatLogArg(vm, a))
			}
			logs.add(action, level, strings.Join(parts, " "))
			return goja.Undefined()
		})
	}
	_ = vm.Set("console", console)
}

// formatLogArg renders a console argument roughly as Node does: strings as they are,
// objects as JSON.
func formatLogArg(vm *goja.Runtime, v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if _, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(v); !isFn {
			if s, err := stringify(vm, v); err == nil && s != "" {
				return truncateRunes(s, maxLogLine)
			}
		}
		return truncateRunes(describeThrown(v), maxLogLine)
	}
	return v.String()
}
