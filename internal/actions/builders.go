package actions

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dop251/goja"
)

// Sizes used to judge, before a builtin allocates, what its result would cost. They are
// upper bounds of goja's representation: a string may be stored as UTF-16, and an array
// slot is an interface value.
const (
	unitBytes = 2
	slotBytes = 16
	// charFromBytes is what Array.from costs for each character of a string source.
	charFromBytes = 768
	// splitElemBytes is what one element of a split result costs: its slot, the boxed
	// string header and goja's intermediate slice (measured: about 47 bytes).
	splitElemBytes = 64
)

// satMul and satAdd are for size estimates from script-controlled numbers: they stick
// at MaxInt64 instead of wrapping to a negative size that would pass every check.
func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// refuse stops the execution because a builtin was asked for about n bytes. The cause is
// recorded first, so the interrupt lands on the next instruction and no catch can swallow
// it; the RangeError unwinds any native builtin between here and the script (a join
// calling toString calling join), which an interrupt alone would not stop.
func (ex *execution) refuse(vm *goja.Runtime, what string, n int64) {
	ex.memoryExceeded(fmt.Sprintf("%s would allocate about %d bytes", what, n))
	panic(newError(vm, "RangeError", "memory limit exceeded"))
}

// checkStopped unwinds a long native loop once the execution has been interrupted: the
// interrupt itself is only seen between JavaScript instructions.
func (ex *execution) checkStopped(vm *goja.Runtime) {
	ex.mu.Lock()
	c := ex.cause
	ex.mu.Unlock()
	if c != nil {
		panic(newError(vm, "Error", c.msg))
	}
}

// jsString converts v with JavaScript's ToString (which may run the script's toString).
// goja's ToString yields a primitive, which is not always a goja.String.
func jsString(vm *goja.Runtime, v goja.Value) goja.String {
	p := v.ToString()
	if s, ok := p.(goja.String); ok {
		return s
	}
	if _, ok := p.(*goja.Symbol); ok {
		panic(vm.NewTypeError("Cannot convert a Symbol value to a string"))
	}
	return vm.ToValue(p.String()).(goja.String)
}

// toLength is ECMAScript's ToLength.
func toLength(v goja.Value) int64 {
	if v == nil {
		return 0
	}
	return min(max(v.ToInteger(), 0), 1<<53-1)
}

// sizedBuilder builds a string while keeping a running total of its size, refusing the
// piece that would take it past the limit before that piece is copied.
type sizedBuilder struct {
	ex   *execution
	vm   *goja.Runtime
	what string
	size int64
	buf  goja.StringBuilder
}

func (b *sizedBuilder) write(s goja.String) {
	b.size = satAdd(b.size, satMul(unitBytes, int64(s.Length())))
	if b.size > b.ex.r.memLimit {
		b.ex.refuse(b.vm, b.what, b.size)
	}
	b.buf.WriteString(s)
}

// joinElements is Array.prototype.join and toLocaleString with the size checked as the
// result grows. goja's own join sizes nothing in advance, and every element may be the
// same large string, so its result is not bounded by anything the action allocated.
// Cyclic arrays join to "", as goja (and V8) do.
func (ex *execution) joinElements(vm *goja.Runtime, this goja.Value, what string, sepArg goja.Value, piece func(goja.Value) goja.String) goja.Value {
	o := this.ToObject(vm)
	for _, seen := range ex.joining {
		if seen == o {
			return vm.ToValue("")
		}
	}
	ex.joining = append(ex.joining, o)
	defer func() { ex.joining = ex.joining[:len(ex.joining)-1] }()

	n := toLength(o.Get("length"))
	sep := jsString(vm, vm.ToValue(","))
	if sepArg != nil && !goja.IsUndefined(sepArg) {
		sep = jsString(vm, sepArg)
	}
	// Checked before the first element: the separators alone, and the slots walked.
	if need := satMul(satMul(unitBytes, int64(sep.Length())), n-1); need > ex.r.memLimit {
		ex.refuse(vm, what, need)
	}
	if need := satMul(slotBytes, n); need > ex.r.memLimit {
		ex.refuse(vm, what, need)
	}
	b := &sizedBuilder{ex: ex, vm: vm, what: what}
	for i := int64(0); i < n; i++ {
		if i%1024 == 1023 {
			ex.checkStopped(vm)
		}
		if i > 0 {
			b.write(sep)
		}
		if e := o.Get(strconv.FormatInt(i, 10)); e != nil && !goja.IsUndefined(e) && !goja.IsNull(e) {
			b.write(piece(e))
		}
	}
	return b.buf.String()
}

// localeString is one element of Array.prototype.toLocaleString.
func localeString(vm *goja.Runtime, v goja.Value) goja.String {
	f, ok := goja.AssertFunction(v.ToObject(vm).Get("toLocaleString"))
	if !ok {
		panic(vm.NewTypeError("Property 'toLocaleString' of object %s is not a function", v.String()))
	}
	r, err := f(v)
	if err != nil {
		panic(err)
	}
	return jsString(vm, r)
}

// stringRaw is String.raw with the size checked as the result grows: its segments come
// from an array-like whose length and elements the script chooses.
func (ex *execution) stringRaw(vm *goja.Runtime, c goja.FunctionCall) goja.Value {
	raw := c.Argument(0).ToObject(vm).Get("raw")
	if raw == nil {
		raw = goja.Undefined()
	}
	ro := raw.ToObject(vm)
	n := toLength(ro.Get("length"))
	b := &sizedBuilder{ex: ex, vm: vm, what: "String.raw"}
	for i := int64(0); i < n; i++ {
		if i%1024 == 1023 {
			ex.checkStopped(vm)
		}
		seg := ro.Get(strconv.FormatInt(i, 10))
		if seg == nil {
			seg = goja.Undefined()
		}
		b.write(jsString(vm, seg))
		if i+1 < n && i+1 < int64(len(c.Arguments)) {
			b.write(jsString(vm, c.Arguments[i+1]))
		}
	}
	return b.buf.String()
}

// concatStrings is String.prototype.concat with the size checked as it grows: the same
// large string may be passed any number of times.
func (ex *execution) concatStrings(vm *goja.Runtime, c goja.FunctionCall) goja.Value {
	if c.This == nil || goja.IsUndefined(c.This) || goja.IsNull(c.This) {
		panic(vm.NewTypeError("String.prototype.concat called on null or undefined"))
	}
	b := &sizedBuilder{ex: ex, vm: vm, what: "concat"}
	b.write(jsString(vm, c.This))
	for _, a := range c.Arguments {
		b.write(jsString(vm, a))
	}
	return b.buf.String()
}

// toUint32 is ECMAScript's ToUint32 (split's limit argument).
func toUint32(v goja.Value) int64 {
	f := v.ToFloat()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(f), 1<<32)
	if m < 0 {
		m += 1 << 32
	}
	return int64(m)
}

// cappedSplit wraps String.prototype.split or RegExp.prototype[Symbol.split]. Each
// element of the result costs far more than the characters it holds ('x'.repeat(8e6)
// .split(”) is about 370 MB), so the builtin is given a limit of one element more than
// the memory limit allows and the execution stops if it uses it. The script's own limit
// is converted once here, so its valueOf runs once, as without the wrapper.
func (ex *execution) cappedSplit(vm *goja.Runtime, orig goja.Callable, what string) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		most := ex.r.memLimit / splitElemBytes
		args := []goja.Value{c.Argument(0), c.Argument(1)}
		capped := false
		if !goja.IsUndefined(args[1]) {
			args[1] = vm.ToValue(toUint32(args[1]))
		}
		if goja.IsUndefined(args[1]) || args[1].ToInteger() > most {
			args[1], capped = vm.ToValue(most+1), true
		}
		v, err := orig(c.This, args...)
		if err != nil {
			panic(err)
		}
		if o, ok := v.(*goja.Object); ok && capped && toLength(o.Get("length")) > most {
			ex.refuse(vm, what, satMul(splitElemBytes, toLength(o.Get("length"))))
		}
		return v
	}
}

// installBuilders replaces the builtins that assemble a string from parts the script
// chooses with versions that count as they go.
func (ex *execution) installBuilders(vm *goja.Runtime) error {
	arr := vm.Get("Array").ToObject(vm).Get("prototype").ToObject(vm)
	strCtor := vm.Get("String").ToObject(vm)
	str := strCtor.Get("prototype").ToObject(vm)
	repl := []struct {
		obj  *goja.Object
		name string
		fn   func(c goja.FunctionCall) goja.Value
	}{
		{arr, "join", func(c goja.FunctionCall) goja.Value {
			return ex.joinElements(vm, c.This, "join", c.Argument(0), func(v goja.Value) goja.String { return jsString(vm, v) })
		}},
		{arr, "toLocaleString", func(c goja.FunctionCall) goja.Value {
			return ex.joinElements(vm, c.This, "toLocaleString", nil, func(v goja.Value) goja.String { return localeString(vm, v) })
		}},
		{strCtor, "raw", func(c goja.FunctionCall) goja.Value { return ex.stringRaw(vm, c) }},
		{str, "concat", func(c goja.FunctionCall) goja.Value { return ex.concatStrings(vm, c) }},
	}
	for _, r := range repl {
		if err := defineBuiltin(vm, r.obj, r.name, r.fn); err != nil {
			return err
		}
	}
	if err := ex.installReplace(vm); err != nil {
		return err
	}
	if err := ex.installStringify(vm); err != nil {
		return err
	}
	if err := ex.installFlat(vm); err != nil {
		return err
	}
	if err := ex.installGrowth(vm); err != nil {
		return err
	}
	if err := ex.installKeys(vm); err != nil {
		return err
	}
	return ex.installSplit(vm)
}

// installSplit caps both ways into a split: the string method, and the regexp method it
// delegates to (which a script can also call directly).
func (ex *execution) installSplit(vm *goja.Runtime) error {
	str := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	orig, ok := goja.AssertFunction(str.Get("split"))
	if !ok {
		return fmt.Errorf("builtin split missing")
	}
	if err := defineBuiltin(vm, str, "split", ex.cappedSplit(vm, orig, "split")); err != nil {
		return err
	}
	rx := vm.Get("RegExp").ToObject(vm).Get("prototype").ToObject(vm)
	origRx, ok := goja.AssertFunction(rx.GetSymbol(goja.SymSplit))
	if !ok {
		return fmt.Errorf("builtin RegExp.prototype[Symbol.split] missing")
	}
	return rx.DefineDataPropertySymbol(goja.SymSplit, vm.ToValue(ex.cappedSplit(vm, origRx, "split")), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// defineBuiltin installs fn as obj[name] with the attributes builtins have (writable,
// configurable, not enumerable).
func defineBuiltin(vm *goja.Runtime, obj *goja.Object, name string, fn func(goja.FunctionCall) goja.Value) error {
	return obj.DefineDataProperty(name, vm.ToValue(fn), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}
