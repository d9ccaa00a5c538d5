package actions

import (
	"github.com/dop251/goja"
)

// stableReader reads the properties a guard sizes a builtin by (length, and concat's
// Symbol.isConcatSpreadable) so that the builtin, reading them again just after, sees
// the same values. A getter, or a proxy's trap, could answer the guard with a small
// length and the builtin with a huge one; so along the prototype chain the property
// must be a data property and no object a proxy, and anything else is refused with a
// TypeError before the builtin runs. Nothing the guard reads this way runs the script's
// code, so nothing can change the value between the two reads.
type stableReader struct {
	vm   *goja.Runtime
	gopd goja.Callable // Object.getOwnPropertyDescriptor, as it was before the script ran
}

// get is o[key], or nil when no object on the chain has key.
func (st *stableReader) get(o *goja.Object, key goja.Value) goja.Value {
	for p := o; p != nil; p = p.Prototype() {
		if p.ExportType() == proxyType {
			panic(st.vm.NewTypeError("Actions do not accept a proxy here"))
		}
		d, err := st.gopd(goja.Undefined(), p, key)
		if err != nil {
			panic(err)
		}
		if goja.IsUndefined(d) {
			continue
		}
		do := d.ToObject(st.vm)
		if do.Get("writable") == nil { // an accessor: its getter could answer anything
			panic(st.vm.NewTypeError("Actions do not accept a %s computed by a getter here", key.String()))
		}
		return do.Get("value")
	}
	return nil
}

// length is ToLength(ToObject(v).length), as the builtin called next will read it; 0 for
// undefined and null, which the builtin refuses.
func (st *stableReader) length(v goja.Value) int64 {
	if s, ok := v.(goja.String); ok {
		return int64(s.Length())
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	o := v.ToObject(st.vm)
	switch o.ClassName() {
	case "Array", "String":
		// Their length is their own data property, which cannot be redefined as a getter.
		return toLength(o.Get("length"))
	}
	return toLength(st.get(o, st.vm.ToValue("length")))
}
