package actions

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/dop251/goja"
)

// flatStepBytes is what flat costs for each index it visits (measured: about 110 bytes
// an element of a flat array: the index key, the result slot as it grows, and the array
// made from the slots).
const flatStepBytes = 128

// proxyType is what a Proxy exports as; Array.isArray looks through proxies.
var proxyType = reflect.TypeOf(goja.Proxy{})

// flattener is Array.prototype.flat and flatMap with every index they visit counted as
// they go. Their result is bounded by nothing the action allocated: a hundred slots
// holding the same large array flatten into a hundred copies of it, in one native call.
// An up-front count would read every element twice (once to count, once in the builtin),
// and a getter or proxy could answer the count with an empty array and the builtin with
// a huge one, so the walk itself is done here, reading each element once, as the
// specification orders it.
type flattener struct {
	ex      *execution
	vm      *goja.Runtime
	what    string
	arrCtor *goja.Object
	isArray goja.Callable

	steps  int64
	target *goja.Object // nil while the result is a plain array gathered in out
	out    []any
	n      int64
}

// array is the specification's IsArray: genuine arrays, and proxies of them.
func (f *flattener) array(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	if !ok {
		return false
	}
	if o.ClassName() == "Array" {
		return true
	}
	if o.ExportType() != proxyType {
		return false
	}
	r, err := f.isArray(goja.Undefined(), o)
	if err != nil {
		panic(err)
	}
	return r.ToBoolean()
}

// create is ArraySpeciesCreate(o, 0), in the order goja's builtin reads and calls.
func (f *flattener) create(o *goja.Object) {
	if !f.array(o) {
		return
	}
	v := o.Get("constructor")
	if c, ok := v.(*goja.Object); ok {
		v = c.GetSymbol(goja.SymSpecies)
		if goja.IsNull(v) {
			v = nil
		}
	}
	if v == nil || goja.IsUndefined(v) || v == goja.Value(f.arrCtor) {
		return
	}
	ctor, ok := goja.AssertConstructor(v)
	if !ok {
		panic(f.vm.NewTypeError("Species is not a constructor"))
	}
	t, err := ctor(v.(*goja.Object), f.vm.ToValue(0))
	if err != nil {
		panic(err)
	}
	f.target = t
}

func (f *flattener) write(v goja.Value) {
	if f.target == nil {
		f.out = append(f.out, v)
	} else if err := f.target.DefineDataProperty(strconv.FormatInt(f.n, 10), v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		panic(err)
	}
	f.n++
}

// walk is FlattenIntoArray. Every index visited counts, holes included: before a
// source is walked its whole length is counted, so a huge length is refused before the
// walk starts rather than part way through it.
func (f *flattener) walk(src *goja.Object, length, depth int64, mapper goja.Callable, thisArg goja.Value) {
	f.steps = satAdd(f.steps, length)
	if need := satMul(flatStepBytes, f.steps); need > f.ex.r.memLimit {
		f.ex.refuse(f.vm, f.what, need)
	}
	for i := int64(0); i < length; i++ {
		if i%1024 == 1023 {
			f.ex.checkStopped(f.vm)
		}
		key := strconv.FormatInt(i, 10)
		e := src.Get(key) // nil: no such property (HasProperty false)
		if e == nil {
			continue
		}
		if mapper != nil {
			var err error
			if e, err = mapper(thisArg, e, f.vm.ToValue(i), src); err != nil {
				panic(err)
			}
		}
		if depth > 0 && f.array(e) {
			eo := e.(*goja.Object)
			f.walk(eo, toLength(eo.Get("length")), depth-1, nil, nil)
			continue
		}
		f.write(e)
	}
}

func (f *flattener) result() goja.Value {
	if f.target != nil {
		return f.target
	}
	return f.vm.NewArray(f.out...)
}

// installFlat replaces Array.prototype.flat and flatMap with counted walks.
func (ex *execution) installFlat(vm *goja.Runtime) error {
	arrCtor := vm.Get("Array").ToObject(vm)
	arr := arrCtor.Get("prototype").ToObject(vm)
	isArray, ok := goja.AssertFunction(arrCtor.Get("isArray"))
	if !ok {
		return fmt.Errorf("builtin Array.isArray missing")
	}
	start := func(c goja.FunctionCall, what string) (*flattener, *goja.Object, int64) {
		o := c.This.ToObject(vm)
		return &flattener{ex: ex, vm: vm, what: what, arrCtor: arrCtor, isArray: isArray}, o, toLength(o.Get("length"))
	}
	if err := defineBuiltin(vm, arr, "flat", func(c goja.FunctionCall) goja.Value {
		f, o, length := start(c, "flat")
		depth := int64(1)
		if d := c.Argument(0); !goja.IsUndefined(d) {
			depth = d.ToInteger()
		}
		f.create(o)
		f.walk(o, length, depth, nil, nil)
		return f.result()
	}); err != nil {
		return err
	}
	return defineBuiltin(vm, arr, "flatMap", func(c goja.FunctionCall) goja.Value {
		f, o, length := start(c, "flatMap")
		if _, ok := c.Argument(0).(*goja.Object); !ok {
			panic(vm.NewTypeError("Value is not an object: %s", c.Argument(0).String()))
		}
		mapper, ok := goja.AssertFunction(c.Argument(0))
		if !ok {
			panic(vm.NewTypeError("Value is not callable: %s", c.Argument(0).String()))
		}
		f.create(o)
		f.walk(o, length, 1, mapper, c.Argument(1))
		return f.result()
	})
}
