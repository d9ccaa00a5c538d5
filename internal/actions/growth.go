package actions

import (
	"fmt"

	"github.com/dop251/goja"
)

// Worst-case growth, in UTF-16 units of the result for each unit of the input, of the
// builtins that map a string to one that can be longer (measured over every code point;
// they agree with the maximum expansion factors of Unicode's UAX #15): U+FDFA decomposes
// into 18 letters, U+0390 upper-cases into 3 and U+0130 lower-cases into 2. ASCII never
// grows.
var normalizeGrowth = map[string]int64{"NFC": 3, "NFD": 4, "NFKC": 18, "NFKD": 18}

const (
	upperGrowth = 3
	lowerGrowth = 2
	// grownUnitBytes is what goja allocates for each unit of a non-ASCII result: it maps
	// through UTF-8 copies of the input and of the result, grown as they are written
	// (measured: 14 to 25 bytes). An ASCII string is mapped in one copy of itself.
	grownUnitBytes = 24
)

// grownSize is about how many bytes mapping s would allocate when each non-ASCII unit
// may grow factor times. The units are only counted when the worst case for the whole
// string would not fit the limit anyway.
func grownSize(s goja.String, factor, limit int64) int64 {
	n := int64(s.Length())
	if worst := satMul(satMul(grownUnitBytes, n), factor); worst <= limit {
		return worst
	}
	var wide int64
	for i := 0; i < s.Length(); i++ {
		if s.CharAt(i) >= 0x80 {
			wide++
		}
	}
	return satAdd(satMul(unitBytes, n-wide), satMul(satMul(grownUnitBytes, wide), factor))
}

// installGrowth checks normalize and the case conversions before they run: a string well
// under the memory limit can come back 18 times longer from one native call, which
// allocates several times that on the way. The
// receiver and the form are converted once here and handed to the builtin as strings,
// so a toString that answers differently on each call cannot show the check a short
// string and the builtin a long one.
func (ex *execution) installGrowth(vm *goja.Runtime) error {
	str := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	wrap := func(name string, check func(s goja.String, c goja.FunctionCall) (int64, []goja.Value)) error {
		orig, ok := goja.AssertFunction(str.Get(name))
		if !ok {
			return fmt.Errorf("builtin %s missing", name)
		}
		return defineBuiltin(vm, str, name, func(c goja.FunctionCall) goja.Value {
			this, args := c.This, c.Arguments
			// undefined and null are left to the builtin, which throws its TypeError.
			if this != nil && !goja.IsUndefined(this) && !goja.IsNull(this) {
				s := jsString(vm, this)
				var n int64
				n, args = check(s, c)
				if n > ex.r.memLimit {
					ex.refuse(vm, name, n)
				}
				this = s
			}
			v, err := orig(this, args...)
			if err != nil {
				panic(err)
			}
			return v
		})
	}
	if err := wrap("normalize", func(s goja.String, c goja.FunctionCall) (int64, []goja.Value) {
		form := c.Argument(0)
		if goja.IsUndefined(form) {
			return grownSize(s, normalizeGrowth["NFC"], ex.r.memLimit), nil
		}
		f := jsString(vm, form)
		// An unknown form is left to the builtin, which throws its RangeError.
		return grownSize(s, max(normalizeGrowth[f.String()], 1), ex.r.memLimit), []goja.Value{f}
	}); err != nil {
		return err
	}
	for name, factor := range map[string]int64{"toUpperCase": upperGrowth, "toLocaleUpperCase": upperGrowth,
		"toLowerCase": lowerGrowth, "toLocaleLowerCase": lowerGrowth} {
		factor := factor
		if err := wrap(name, func(s goja.String, c goja.FunctionCall) (int64, []goja.Value) {
			return grownSize(s, factor, ex.r.memLimit), nil
		}); err != nil {
			return err
		}
	}
	return nil
}
