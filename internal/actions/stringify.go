package actions

import (
	"fmt"

	"github.com/dop251/goja"
)

// jsonNumberChars is the longest number JSON.stringify writes ("-1.7976931348623157e+308").
const jsonNumberChars = 24

// jsonBudget counts the text JSON.stringify writes as it goes. The builtin sizes nothing
// in advance and the same large string or object may appear any number of times
// (JSON.stringify(new Array(1e5).fill('x'.repeat(1e4))) is 2 GB), so it is handed a
// replacer function that sees every key and value just before it is written and
// counts what writing it costs: the key, its quotes and punctuation, the indentation
// and either the primitive or the brackets of an object.
type jsonBudget struct {
	ex    *execution
	vm    *goja.Runtime
	gap   int64                  // characters of indentation per level
	depth map[*goja.Object]int64 // nesting level of each object being written
	size  int64
}

// count charges writing value under key in holder, and returns the value the builtin is
// to write: a String object is converted here (once, as the builtin would) so that its
// text can be counted.
func (j *jsonBudget) count(holder, key, value goja.Value, list []string, isArray func(goja.Value) bool) goja.Value {
	var d int64
	if h, ok := holder.(*goja.Object); ok {
		d = j.depth[h]
	}
	n := int64(jsString(j.vm, key).Length()) + 4 // quotes, colon, comma
	if j.gap > 0 {
		n = satAdd(n, satAdd(2, satMul(j.gap, d))) // newline, indentation, space after the colon
	}
	switch v := value.(type) {
	case goja.String:
		n = satAdd(n, quotedLen(v))
	case *goja.Object:
		switch v.ClassName() {
		case "String":
			s := jsString(j.vm, v)
			value = s
			n = satAdd(n, quotedLen(s))
		case "RawJSON":
			n = satAdd(n, int64(jsString(j.vm, v.Get("rawJSON")).Length()))
		case "Number", "Boolean":
			n += jsonNumberChars
		default:
			n += 2 // brackets
			if j.gap > 0 {
				n = satAdd(n, satAdd(1, satMul(j.gap, d)))
			}
			if list != nil && !isArray(v) {
				v = pickProperties(j.vm, v, list)
				value = v
			}
			j.depth[v] = d + 1
		}
	default:
		n += jsonNumberChars // numbers, booleans, null; undefined writes nothing
	}
	j.size = satAdd(j.size, satMul(unitBytes, n))
	if j.size > j.ex.r.memLimit {
		j.ex.refuse(j.vm, "JSON.stringify", j.size)
	}
	return value
}

// quotedLen is how many characters JSON.stringify writes for s: the quotes, and escapes
// for quotes, backslashes, control characters and unpaired surrogates.
func quotedLen(s goja.String) int64 {
	l := s.Length()
	n := int64(l) + 2
	for i := 0; i < l; i++ {
		c := s.CharAt(i)
		switch {
		case c == '"' || c == '\\':
			n++
		case c < 0x20:
			n += 5
		case c >= 0xD800 && c <= 0xDBFF && i+1 < l && s.CharAt(i+1) >= 0xDC00 && s.CharAt(i+1) <= 0xDFFF:
			i++ // a pair is written as it is
		case c >= 0xD800 && c <= 0xDFFF:
			n += 5
		}
	}
	return n
}

// pickProperties is the object JSON.stringify writes for o when the script's replacer
// is a property list: the listed properties in list order, each read once. The builtin
// is given a replacer function instead of the list, so the list is applied here.
// (Properties whose names are array indices come first in the copy, where the list
// may have put them later.)
func pickProperties(vm *goja.Runtime, o *goja.Object, list []string) *goja.Object {
	picked := vm.NewObject()
	for _, k := range list {
		if v := o.Get(k); v != nil {
			if err := picked.Set(k, v); err != nil {
				panic(err)
			}
		}
	}
	return picked
}

// propertyList is JSON.stringify's property list from an array replacer: its string and
// number elements (and String and Number objects), as strings, without repeats.
func propertyList(vm *goja.Runtime, arr *goja.Object) []string {
	n := toLength(arr.Get("length"))
	list := []string{}
	seen := map[string]bool{}
	for i := int64(0); i < n; i++ {
		v := arr.Get(fmt.Sprint(i))
		if v == nil {
			continue
		}
		switch x := v.(type) {
		case goja.String:
		case *goja.Object:
			if c := x.ClassName(); c != "String" && c != "Number" {
				continue
			}
		default:
			if _, num := v.Export().(int64); !num {
				if _, num = v.Export().(float64); !num {
					continue
				}
			}
		}
		name := jsString(vm, v).String()
		if !seen[name] {
			seen[name] = true
			list = append(list, name)
		}
	}
	return list
}

// jsonSpace converts JSON.stringify's space argument as the builtin does (a Number or
// String object to its primitive, once) and returns it with the indentation it asks for.
func jsonSpace(space goja.Value) (goja.Value, int64) {
	if o, ok := space.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			space = o.ToNumber()
		case "String":
			space = o.ToString()
		}
	}
	switch x := space.Export().(type) {
	case int64, float64:
		return space, min(max(space.ToInteger(), 0), 10)
	case string:
		return space, int64(min(len(x), 10))
	}
	return space, 0
}

// boundedStringify is JSON.stringify with its output counted as it is produced (see
// jsonBudget). The script's own replacer function still runs first for every key, and a
// property list is applied by pickProperties.
func (ex *execution) boundedStringify(vm *goja.Runtime, orig goja.Callable, isArray func(goja.Value) bool) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		var user goja.Callable
		var list []string
		if o, ok := c.Argument(1).(*goja.Object); ok {
			if isArray(o) {
				list = propertyList(vm, o)
			} else if f, ok := goja.AssertFunction(o); ok {
				user = f
			}
		}
		space, gap := jsonSpace(c.Argument(2))
		j := &jsonBudget{ex: ex, vm: vm, gap: gap, depth: map[*goja.Object]int64{}}
		replacer := vm.ToValue(func(rc goja.FunctionCall) goja.Value {
			key, value := rc.Argument(0), rc.Argument(1)
			if user != nil {
				v, err := user(rc.This, key, value)
				if err != nil {
					panic(err)
				}
				value = v
			}
			return j.count(rc.This, key, value, list, isArray)
		})
		v, err := orig(c.This, c.Argument(0), replacer, space)
		if err != nil {
			panic(err)
		}
		return v
	}
}

// installStringify replaces JSON.stringify (which console output and claim values use
// too) with the counting version.
func (ex *execution) installStringify(vm *goja.Runtime) error {
	json := vm.Get("JSON").ToObject(vm)
	orig, ok := goja.AssertFunction(json.Get("stringify"))
	if !ok {
		return fmt.Errorf("builtin JSON.stringify missing")
	}
	arrayIsArray, ok := goja.AssertFunction(vm.Get("Array").ToObject(vm).Get("isArray"))
	if !ok {
		return fmt.Errorf("builtin Array.isArray missing")
	}
	isArray := func(v goja.Value) bool {
		r, err := arrayIsArray(goja.Undefined(), v)
		if err != nil {
			panic(err)
		}
		return r.ToBoolean()
	}
	return defineBuiltin(vm, json, "stringify", ex.boundedStringify(vm, orig, isArray))
}
