package actions_test

import (
	"testing"

	"github.com/dop251/goja"
)

func TestFlatIsBoundedBeforeItAllocates(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"flat", `const big = new Array(1e5).fill(0); new Array(100).fill(big).flat();`, 160e6},
		{"flat deep", `let a = new Array(1e4).fill(0); for (let i = 0; i < 4; i++) a = [a, a, a, a]; a.flat(Infinity);`, 41e6},
		{"flatMap", `const big = new Array(1e5).fill(0); new Array(100).fill(0).flatMap(() => big);`, 160e6},
		{"array-like", `const big = new Array(1e5).fill(0); Array.prototype.flat.call({ length: 100, __proto__: new Array(100).fill(big) });`, 160e6},
		{"catch cannot swallow", `try { new Array(100).fill(new Array(1e5).fill(0)).flat(); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, 160e6},
	})
}

const flatCompat = `(() => {
  const r = [];
  const t = (f) => { try { r.push(JSON.stringify(f())); } catch (e) { r.push('threw ' + e.name + ': ' + e.message); } };
  t(() => [1, [2, [3, [4, [5]]]]].flat());
  t(() => [1, [2, [3, [4, [5]]]]].flat(2));
  t(() => [1, [2, [3, [4, [5]]]]].flat(Infinity));
  t(() => [1, [2, [3]]].flat(0));
  t(() => [1, [2, [3]]].flat(-1));
  t(() => [1, [2, [3]]].flat('1'));
  t(() => [1, [2, [3]]].flat(NaN));
  t(() => [1, [2, [3]]].flat({ valueOf: () => 2 }));
  t(() => [1, , 3, [4, , 6]].flat());
  t(() => [[], [[]], [[], []]].flat(Infinity));
  t(() => Array.prototype.flat.call({ length: 3, 0: [1, 2], 2: 'x' }));
  t(() => Array.prototype.flat.call('ab'));
  t(() => Array.prototype.flat.call(null));
  t(() => [new Proxy([1, [2]], {}), { length: 1, 0: 9 }].flat(2));
  t(() => { class A extends Array {} const a = A.from([1, [2]]).flat(); return [a instanceof A, a.length, a[1]]; });
  t(() => { const a = [1, [2]]; a.constructor = { [Symbol.species]: null }; return a.flat(); });
  t(() => { const a = [1, [2]]; a.constructor = undefined; return a.flat(); });
  t(() => { const a = [1, [2]]; a.constructor = { [Symbol.species]: 5 }; return a.flat(); });
  t(() => { const a = [1, [2]]; a.constructor = 7; return a.flat(); });
  t(() => { const a = [1, [2]]; a.constructor = { [Symbol.species]: function (n) { this.made = n; } }; return a.flat(); });
  t(() => { const log = []; const a = [1, 2]; Object.defineProperty(a, 0, { get() { log.push('get0'); return [7]; } }); a.flat(); return log; });
  t(() => [1, 2, 3].flatMap((x, i, arr) => [x, i, arr.length]));
  t(() => [1, 2].flatMap((x) => [[x]]));
  t(() => [1, 2].flatMap(function (x) { return this.k + x; }, { k: 'k' }));
  t(() => [1, 2].flatMap());
  t(() => [1, 2].flatMap(null));
  t(() => [1, 2].flatMap(5));
  t(() => [1, , 3].flatMap((x) => x));
  t(() => Array.prototype.flatMap.call({ length: 2, 0: 'a', 1: ['b'] }, (x) => x));
  return r.join('\n');
})()`

// The counted flat and flatMap give what goja's own give.
func TestFlatKeepsItsResults(t *testing.T) {
	want, err := goja.New().RunString(flatCompat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLogin(t, compatRuntime(), loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+
		"api.idToken.setCustomClaim('r', "+flatCompat+");\n};")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims["r"]; got != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
