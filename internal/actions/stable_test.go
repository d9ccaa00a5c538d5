package actions_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// A size check and the builtin it guards read the same length and the same arguments: a
// getter, a proxy trap or a valueOf answering differently on each read must not show the
// check a small size and the builtin a huge one. Lengths that could change between the
// reads are refused with a TypeError; arguments are converted once and the builtin gets
// the result. want is "" when the action should succeed, else a part of its error.
func TestGuardsAndBuiltinsReadTheSameValues(t *testing.T) {
	const growing = `let n = 0; const len = { get length() { return n++ ? 2e6 : 1; } };`
	for _, tc := range []struct {
		name, body, want string
		payload          uint64
	}{
		{"fill length getter", growing + `Array.prototype.fill.call(len, 0);`, "TypeError", 32e6},
		{"from length getter", growing + `Array.from(len);`, "TypeError", 32e6},
		{"map length getter", growing + `Array.prototype.map.call(len, (x) => x);`, "TypeError", 32e6},
		{"inherited length getter", growing + `Array.prototype.map.call(Object.create(len), (x) => x);`, "TypeError", 32e6},
		{"proxy length", `let n = 0; const p = new Proxy({}, { get: (t, k) => k === 'length' ? (n++ ? 2e6 : 1) : undefined });
Array.prototype.map.call(p, (x) => x);`, "TypeError", 32e6},
		{"concat spreadable getter", `let n = 0; const o = { length: 2e6, 0: 1, get [Symbol.isConcatSpreadable]() { return n++ > 0; } }; [].concat(o);`, "TypeError", 32e6},
		{"fill start valueOf", `const a = new Array(2e6); let n = 0; a.fill(0, { valueOf: () => n++ ? 0 : 2e6 });`, "", 32e6},
		{"repeat count valueOf", `let n = 0; 'x'.repeat({ valueOf: () => n++ ? 1e8 : 1 });`, "", 100e6},
		{"padEnd valueOf", `let n = 0; 'x'.padEnd({ valueOf: () => n++ ? 1e8 : 1 });`, "", 200e6},
		{"repeat receiver toString", `const big = 'x'.repeat(1e6); let n = 0; String.prototype.repeat.call({ toString: () => n++ ? big : 'x' }, 100);`, "", 100e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := limitedRuntime()
			var err error
			n := allocatedDuring(func() {
				_, err = runLogin(t, rt, loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+tc.body+"\n};")
			})
			if tc.want == "" && err != nil {
				t.Fatalf("error: %v", err)
			}
			if tc.want != "" {
				if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, tc.want) {
					t.Fatalf("message = %q", ee.Message)
				}
			}
			if n > tc.payload/4 {
				t.Fatalf("allocated %d MB; the builtin was asked for %d MB under a 4 MiB limit", n>>20, tc.payload>>20)
			}
		})
	}
}

// Array-likes whose length is a plain data property, own or inherited, work as before.
func TestGuardedBuiltinsKeepTheirResults(t *testing.T) {
	res, err := runLogin(t, compatRuntime(), loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  const like = { length: 3, 0: 'a', 1: 'b', 2: 'c' };
  const inherited = Object.create(like);
  function args() { return arguments; }
  api.idToken.setCustomClaim('r', JSON.stringify([
    Array.prototype.map.call(like, (x) => x + x), Array.prototype.map.call(inherited, (x) => x), Array.from(like),
    Array.from(args(1, 2)), Array.prototype.slice.call('xyz', 1), Array.prototype.fill.call({ length: 2 }, 7),
    [1, 2, 3, 4].fill(0, { valueOf: () => 1 }, '3'), [1, 2, 3].fill(9, -2), Array.from({ length: 2 }, (_, i) => i * 2),
    'ab'.repeat({ valueOf: () => 2 }), 'x'.padStart(3, 'ab'), 'x'.padEnd(new Number(2)), String.prototype.repeat.call(12, 2),
    [].concat([1], { length: 1, 0: 2, [Symbol.isConcatSpreadable]: true }, 3), Array.prototype.concat.call(1, 2).length,
    Array.from(new Set([1, 2])), Array.from('ab'),
  ]));
  const threw = (f) => { try { f(); return 'no'; } catch (e) { return e.name; } };
  api.idToken.setCustomClaim('e', [threw(() => 'x'.repeat(-1)), threw(() => String.prototype.repeat.call(null, 1)),
    threw(() => Array.prototype.fill.call(null, 0)), threw(() => 'x'.repeat(1n))].join());
};`)
	if err != nil {
		t.Fatal(err)
	}
	want := `[["aa","bb","cc"],["a","b","c"],["a","b","c"],[1,2],["y","z"],{"0":7,"1":7,"length":2},[1,0,0,4],[1,9,9],[0,2],"abab","abx","x ","1212",[1,2,3],2,[1,2],["a","b"]]`
	if got := res.IDTokenClaims["r"]; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := res.IDTokenClaims["e"]; got != "RangeError,TypeError,TypeError,TypeError" {
		t.Fatalf("errors %s", got)
	}
}
