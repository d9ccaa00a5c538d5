package actions

import (
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// execResultBytes is what one match result costs while a global replace or match holds
// it: goja gathers every result of the pattern before it builds anything (measured:
// about 700 bytes retained, 1.4 KB allocated, per match).
const execResultBytes = 768

// foundBytes is what goja keeps per occurrence while replaceAll with a search string
// lists them all before it builds the result: a two-int slice and its entry (64 bytes),
// in a slice that grows by doubling.
const foundBytes = 128

// matchBudget is how many more match results the builtin running now may gather.
type matchBudget struct {
	what string
	left int64
}

// gatheringMatches runs fn, a builtin that keeps every match of a global pattern, with
// at most as many matches as the memory limit allows ('x'.repeat(1e6).replace(/x/g, ”)
// gathers a million results, over a gigabyte, in one native call). The exec wrapper
// (timedMatch) counts them.
func (ex *execution) gatheringMatches(what string, fn func() goja.Value) goja.Value {
	prev := ex.matches
	ex.matches = &matchBudget{what: what, left: ex.r.memLimit / execResultBytes}
	defer func() { ex.matches = prev }()
	return fn()
}

// countMatch is called by exec for each match it returns.
func (ex *execution) countMatch(vm *goja.Runtime) {
	m := ex.matches
	if m == nil {
		return
	}
	if m.left--; m.left < 0 {
		ex.refuse(vm, m.what, satMul(execResultBytes, ex.r.memLimit/execResultBytes+1))
	}
}

// notGathering runs script code called back from a gathering builtin (a replacer
// function) without charging its own exec calls to that builtin.
func (ex *execution) notGathering(fn func() (goja.Value, error)) (goja.Value, error) {
	prev := ex.matches
	ex.matches = nil
	defer func() { ex.matches = prev }()
	return fn()
}

// replaceBudget counts the result of one replace as the builtin assembles it: the parts
// of the subject between matches (at most the subject once) and every replacement
// piece. A piece may be far larger than anything the script allocated ($' and $` copy
// the subject for each match, so 'x'.repeat(1e6).replace(/x/g, "$'") is quadratic), so
// pieces are counted as they are produced, before the builtin copies them.
type replaceBudget struct {
	ex   *execution
	vm   *goja.Runtime
	what string
	size int64
}

func (b *replaceBudget) add(units int) {
	b.size = satAdd(b.size, satMul(unitBytes, int64(units)))
	if b.size > b.ex.r.memLimit {
		b.ex.refuse(b.vm, b.what, b.size)
	}
}

// replacer turns the script's replaceValue into a function the builtin calls once per
// match. A function is called as the builtin would call it, and what it returns is
// counted; anything else is converted to a string (at the point the specification
// converts it) and applied by substitute.
func (ex *execution) replacer(vm *goja.Runtime, what string, subject goja.String, replaceValue goja.Value) goja.Value {
	b := &replaceBudget{ex: ex, vm: vm, what: what}
	b.add(subject.Length())
	if f, ok := goja.AssertFunction(replaceValue); ok {
		return vm.ToValue(func(c goja.FunctionCall) goja.Value {
			r, err := ex.notGathering(func() (goja.Value, error) { return f(goja.Undefined(), c.Arguments...) })
			if err != nil {
				panic(err)
			}
			piece := jsString(vm, r)
			b.add(piece.Length())
			return piece
		})
	}
	tmpl := jsString(vm, replaceValue)
	return vm.ToValue(func(c goja.FunctionCall) goja.Value { return b.substitute(tmpl, c.Arguments) })
}

// substitute is the specification's GetSubstitution, as goja applies it, for the
// arguments a replacer function receives: the match, its captures, the position, the
// subject and, when the pattern has named groups, the groups object. Captures are
// strings or undefined, so the groups object is present exactly when the argument three
// from the end is the position (not a string or undefined).
func (b *replaceBudget) substitute(tmpl goja.String, args []goja.Value) goja.Value {
	n := len(args)
	capEnd := n - 2
	var groups *goja.Object
	if n >= 4 {
		if _, isStr := args[n-3].(goja.String); !isStr && !goja.IsUndefined(args[n-3]) {
			capEnd = n - 3
			groups = args[n-1].ToObject(b.vm)
		}
	}
	captures := args[:capEnd] // the match itself is captures[0]
	capture := func(i int) goja.String {
		if goja.IsUndefined(captures[i]) {
			return jsString(b.vm, b.vm.ToValue(""))
		}
		return jsString(b.vm, captures[i])
	}
	matched := capture(0)
	position := int(args[capEnd].ToInteger())
	subject := jsString(b.vm, args[capEnd+1])
	tail := position + matched.Length()

	var out goja.StringBuilder
	write := func(s goja.String) {
		b.add(s.Length())
		out.WriteString(s)
	}
	lit := 0 // start of the literal text not yet written
	flush := func(end int) {
		b.add(end - lit)
		out.WriteSubstring(tmpl, lit, end)
	}
	rl := tmpl.Length()
	for i := 0; i < rl-1; i++ {
		if tmpl.CharAt(i) != '$' {
			continue
		}
		switch ch := tmpl.CharAt(i + 1); ch {
		case '$':
			flush(i + 1) // keeps one '$'
			lit = i + 2
		case '`':
			flush(i)
			write(subject.Substring(0, min(max(position, 0), subject.Length())))
			lit = i + 2
		case '\'':
			flush(i)
			if tail < subject.Length() {
				write(subject.Substring(max(tail, 0), subject.Length()))
			}
			lit = i + 2
		case '&':
			flush(i)
			write(matched)
			lit = i + 2
		case '<':
			if groups == nil {
				break // "$<" stays as it is
			}
			end := -1
			for j := i + 2; j < rl; j++ {
				if tmpl.CharAt(j) == '>' {
					end = j
					break
				}
			}
			if end < 0 {
				break
			}
			flush(i)
			if v := groups.Get(tmpl.Substring(i+2, end).String()); v != nil && !goja.IsUndefined(v) {
				write(jsString(b.vm, v))
			}
			lit = end + 1
			i = end
			continue
		default:
			// $n or $nn: the longest number of one or two digits naming a capture.
			index, j := 0, i+1
			for lim := min(j+2, rl); j < lim; j++ {
				d := tmpl.CharAt(j)
				if d < '0' || d > '9' {
					break
				}
				m := index*10 + int(d-'0')
				if m >= len(captures) {
					break
				}
				index = m
			}
			if index == 0 {
				break // not a capture: the '$' and the character stay as they are
			}
			flush(i)
			write(capture(index))
			lit = j
			i = j - 1
			continue
		}
		i++ // the character after '$' was consumed
	}
	flush(rl)
	return out.String()
}

// isRegExp is the specification's IsRegExp.
func isRegExp(o *goja.Object) bool {
	if m := o.GetSymbol(goja.SymMatch); m != nil && !goja.IsUndefined(m) {
		return m.ToBoolean()
	}
	return o.ClassName() == "RegExp"
}

// boundedStringReplace is String.prototype.replace or replaceAll. An object with a
// Symbol.replace method (a RegExp among them) is asked to do the work, as the builtin
// would, each property read once; otherwise the builtin gets the converted subject and
// search string and a counting replacer.
func (ex *execution) boundedStringReplace(vm *goja.Runtime, orig, indexOf goja.Callable, what string, all bool) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		call := func(f goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
			v, err := f(this, args...)
			if err != nil {
				panic(err)
			}
			return v
		}
		if c.This == nil || goja.IsUndefined(c.This) || goja.IsNull(c.This) {
			return call(orig, c.This, c.Arguments...) // throws the builtin's TypeError
		}
		search, replaceValue := c.Argument(0), c.Argument(1)
		if o, ok := search.(*goja.Object); ok {
			if all && isRegExp(o) {
				flags := o.Get("flags")
				if flags == nil || goja.IsUndefined(flags) || goja.IsNull(flags) {
					panic(vm.NewTypeError("Cannot convert undefined or null to object"))
				}
				if !strings.Contains(jsString(vm, flags).String(), "g") {
					panic(vm.NewTypeError("String.prototype.replaceAll called with a non-global RegExp argument"))
				}
			}
			if m := o.GetSymbol(goja.SymReplace); m != nil && !goja.IsUndefined(m) && !goja.IsNull(m) {
				f, ok := goja.AssertFunction(m)
				if !ok {
					panic(vm.NewTypeError("%s is not a function", m.String()))
				}
				return call(f, o, c.This, replaceValue)
			}
		}
		s := jsString(vm, c.This)
		searchStr := jsString(vm, search)
		repl := ex.replacer(vm, what, s, replaceValue)
		if all {
			ex.checkOccurrences(vm, indexOf, s, searchStr)
		}
		return call(orig, s, searchStr, repl)
	}
}

// checkOccurrences refuses a replaceAll whose list of occurrences would not fit the
// memory limit ('x'.repeat(1e7).replaceAll('x', ”) lists ten million). When even a
// search that matched everywhere would fit, nothing is counted; otherwise occurrences
// are counted with the original indexOf, stopping as soon as there are too many, so the
// count itself is bounded too.
func (ex *execution) checkOccurrences(vm *goja.Runtime, indexOf goja.Callable, s, search goja.String) {
	most := ex.r.memLimit / foundBytes
	step := max(search.Length(), 1)
	if int64(s.Length()/step)+1 <= most {
		return
	}
	var n int64
	for pos := int64(0); ; n++ {
		if n > most {
			ex.refuse(vm, "replaceAll", satMul(foundBytes, n))
		}
		if n%1024 == 1023 {
			ex.checkStopped(vm)
		}
		v, err := indexOf(s, search, vm.ToValue(pos))
		if err != nil {
			panic(err)
		}
		i := v.ToInteger()
		if i < pos { // -1, or an empty search clamped back to the end
			return
		}
		pos = i + int64(step)
	}
}

// boundedRegexpReplace is RegExp.prototype[Symbol.replace] with a counting replacer and
// the matches it gathers capped.
func (ex *execution) boundedRegexpReplace(vm *goja.Runtime, orig goja.Callable) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		args := c.Arguments
		if _, ok := c.This.(*goja.Object); ok {
			s := jsString(vm, c.Argument(0))
			args = []goja.Value{s, ex.replacer(vm, "replace", s, c.Argument(1))}
		} // else the builtin throws its TypeError before converting anything
		return ex.gatheringMatches("replace", func() goja.Value {
			v, err := orig(c.This, args...)
			if err != nil {
				panic(err)
			}
			return v
		})
	}
}

// boundedRegexpMatch is RegExp.prototype[Symbol.match] with the matches a global
// pattern gathers capped.
func (ex *execution) boundedRegexpMatch(vm *goja.Runtime, orig goja.Callable) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		return ex.gatheringMatches("match", func() goja.Value {
			v, err := orig(c.This, c.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		})
	}
}

// installReplace bounds every way into a replace: the two string methods and the regexp
// method they delegate to (which a script can also call directly), and caps the matches
// RegExp.prototype[Symbol.match] gathers, which has the same cost.
func (ex *execution) installReplace(vm *goja.Runtime) error {
	str := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	indexOf, ok := goja.AssertFunction(str.Get("indexOf"))
	if !ok {
		return fmt.Errorf("builtin indexOf missing")
	}
	for _, name := range []string{"replace", "replaceAll"} {
		orig, ok := goja.AssertFunction(str.Get(name))
		if !ok {
			return fmt.Errorf("builtin %s missing", name)
		}
		if err := defineBuiltin(vm, str, name, ex.boundedStringReplace(vm, orig, indexOf, name, name == "replaceAll")); err != nil {
			return err
		}
	}
	rx := vm.Get("RegExp").ToObject(vm).Get("prototype").ToObject(vm)
	for _, m := range []struct {
		sym  *goja.Symbol
		wrap func(*goja.Runtime, goja.Callable) func(goja.FunctionCall) goja.Value
	}{{goja.SymReplace, ex.boundedRegexpReplace}, {goja.SymMatch, ex.boundedRegexpMatch}} {
		orig, ok := goja.AssertFunction(rx.GetSymbol(m.sym))
		if !ok {
			return fmt.Errorf("builtin RegExp.prototype[%s] missing", m.sym)
		}
		if err := rx.DefineDataPropertySymbol(m.sym, vm.ToValue(m.wrap(vm, orig)), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return err
		}
	}
	return nil
}
