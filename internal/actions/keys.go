package actions

import (
	"fmt"

	"github.com/dop251/goja"
)

// What goja allocates for each index key listed by Object.keys and its siblings: the key
// string, its slot in the list gathered first and in the array returned (measured: about
// 110 bytes on a string, 270 on an array), and for Object.entries a two-slot array for
// each (about 800 and 900).
const (
	keyElemBytes   = 256
	entryElemBytes = 1024
)

// indexCount is how many index properties o may have without having allocated a slot
// for each: a string has one for every unit of a few bytes, and an array is counted by
// its length. A huge sparse array costs goja nothing to list (it lists only the indices
// set), but it is refused all the same, as the walking array methods refuse it.
func indexCount(vm *goja.Runtime, v goja.Value) int64 {
	if s, ok := v.(goja.String); ok {
		return int64(s.Length())
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return 0
	}
	switch o.ClassName() {
	case "String", "Array":
		// Both lengths are data properties of the object itself: reading them runs nothing.
		return toLength(o.Get("length"))
	}
	return 0
}

// installKeys checks the builtins that list an object's own keys or values before they
// run. They build a string for every index of a string or an array in one native call,
// over a hundred times the bytes of the string: Object.entries('x'.repeat(1e6)) kept a
// core busy for over ten seconds and allocated close to a gigabyte.
func (ex *execution) installKeys(vm *goja.Runtime) error {
	object := vm.Get("Object").ToObject(vm)
	reflect := vm.Get("Reflect").ToObject(vm)
	for _, m := range []struct {
		obj         *goja.Object
		name, what  string
		bytesPerKey int64
	}{
		{object, "keys", "Object.keys", keyElemBytes},
		{object, "values", "Object.values", keyElemBytes},
		{object, "getOwnPropertyNames", "Object.getOwnPropertyNames", keyElemBytes},
		{object, "entries", "Object.entries", entryElemBytes},
		{reflect, "ownKeys", "Reflect.ownKeys", keyElemBytes},
	} {
		orig, ok := goja.AssertFunction(m.obj.Get(m.name))
		if !ok {
			return fmt.Errorf("builtin %s missing", m.what)
		}
		what, per := m.what, m.bytesPerKey
		if err := defineBuiltin(vm, m.obj, m.name, func(c goja.FunctionCall) goja.Value {
			if n := satMul(per, indexCount(vm, c.Argument(0))); n > ex.r.memLimit {
				ex.refuse(vm, what, n)
			}
			v, err := orig(c.This, c.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		}); err != nil {
			return err
		}
	}
	return nil
}
