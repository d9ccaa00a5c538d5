package actions

import (
	"encoding/json"
	"errors"
	"sort"

	"github.com/dop251/goja"
)

// toGeneric turns an event struct into the JSON data model (map[string]any, []any,
// string, float64, bool, nil) using its json tags, so the script sees Auth0's names.
func toGeneric(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// toJS builds plain JavaScript objects and arrays from the JSON data model, with keys
// in sorted order so scripts see the same event every time.
func toJS(vm *goja.Runtime, v any) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case map[string]any:
		o := vm.NewObject()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = o.Set(k, toJS(vm, x[k]))
		}
		return o
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = toJS(vm, e)
		}
		return vm.NewArray(items...)
	case map[string]string:
		o := vm.NewObject()
		for k, s := range x {
			_ = o.Set(k, s)
		}
		return o
	default:
		return vm.ToValue(x)
	}
}

// stringify calls the runtime's own JSON.stringify, so values serialise exactly as
// they would in Node (toJSON, dropped functions, errors on cycles and BigInt).
func stringify(vm *goja.Runtime, v goja.Value) (string, error) {
	fn, ok := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("stringify"))
	if !ok {
		return "", errors.New("JSON.stringify missing")
	}
	out, err := fn(goja.Undefined(), v)
	if err != nil {
		return "", err
	}
	if out == nil || goja.IsUndefined(out) {
		return "", nil
	}
	return out.String(), nil
}

// errNotJSON marks a value JSON cannot represent (undefined, a function, a symbol).
var errNotJSON = errors.New("value is not JSON-serialisable")

// exportJSON converts a JavaScript value to the JSON data model and reports its
// serialised size. A catchable JavaScript error (cycle, BigInt) is rethrown to the
// script; interrupts propagate.
func exportJSON(vm *goja.Runtime, v goja.Value) (any, int, error) {
	if v == nil || goja.IsUndefined(v) {
		return nil, 0, errNotJSON
	}
	if goja.IsNull(v) {
		return nil, 4, nil
	}
	switch x := v.Export().(type) {
	case string:
		return x, len(x) + 2, nil
	case bool:
		return x, 5, nil
	case int64:
		return float64(x), 8, nil
	case float64:
		b, err := json.Marshal(x)
		if err != nil { // NaN and Infinity become null, as in JSON.stringify
			return nil, 4, nil
		}
		return x, len(b), nil
	}
	s, err := stringify(vm, v)
	if err != nil {
		panic(err)
	}
	if s == "" {
		return nil, 0, errNotJSON
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, 0, err
	}
	return out, len(s), nil
}
