package actions_test

import (
	"testing"

	"github.com/dop251/goja"
)

func TestStringifyIsBoundedBeforeItAllocates(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"same string many times", `JSON.stringify(new Array(1e4).fill('x'.repeat(1e4)));`, 100e6},
		{"escapes", `JSON.stringify(new Array(400).fill('\n'.repeat(1e4)));`, 24e6},
		{"deep indentation", `let o = 1; for (let i = 0; i < 2000; i++) o = [o, o, o, o, o, o, o, o]; JSON.stringify(o.slice(0, 1), null, 10);`, 1 << 40},
		{"indentation", `let o = { v: 1 }; for (let i = 0; i < 60; i++) o = { a: o, b: o }; JSON.stringify(o, null, '\t\t\t\t\t\t\t\t\t\t');`, 1 << 40},
		{"replacer function", `const big = 'y'.repeat(1e6); JSON.stringify(new Array(100).fill(0), (k, v) => k === '' ? v : big);`, 100e6},
		// A native replacer runs no JavaScript, so nothing but the count can stop it.
		{"native replacer", `const big = 'y'.repeat(1e6); const table = { '': new Array(100).fill(0) }; for (let i = 0; i < 100; i++) table[i] = big;
JSON.stringify(null, Reflect.get.bind(null, table));`, 100e6},
		{"property list", `const big = { a: 'x'.repeat(1e6), b: 1 }; JSON.stringify(new Array(100).fill(big), ['a']);`, 100e6},
		{"String objects", `const s = new String('x'.repeat(1e6)); JSON.stringify(new Array(100).fill(s));`, 100e6},
		{"rawJSON", `const r = JSON.rawJSON('1'.repeat(1e6)); JSON.stringify(new Array(100).fill(r));`, 100e6},
		{"holes", `JSON.stringify(new Array(1e8));`, 500e6},
		{"console", `const s = 'x'.repeat(1e6); console.log(new Array(100).fill(s));`, 100e6},
		{"catch cannot swallow", `try { JSON.stringify(new Array(1e4).fill('x'.repeat(1e4))); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, 100e6},
	})
}

const stringifyCompat = `(() => {
  const r = [];
  const t = (f) => { try { r.push(f()); } catch (e) { r.push('threw ' + e.name + ': ' + e.message); } };
  const nested = { a: [1, 'two', null, true, { b: [] , c: {} }], d: 'q"\\\n\u0001\u{1F600}\uD800', e: undefined, f() {}, g: Symbol('s'), h: NaN, i: -0, j: 1e21, k: 1.5e-7 };
  t(() => JSON.stringify(nested));
  t(() => JSON.stringify(nested, null, 2));
  t(() => JSON.stringify(nested, null, '--'));
  t(() => JSON.stringify(nested, null, 'abcdefghijklmnop'));
  t(() => JSON.stringify(nested, null, 20));
  t(() => JSON.stringify(nested, null, new Number(3)));
  t(() => JSON.stringify(nested, null, new String('~')));
  t(() => JSON.stringify(nested, null, -1));
  t(() => JSON.stringify(nested, null, 2.7));
  t(() => JSON.stringify(nested, (k, v) => typeof v === 'number' ? v * 2 : v));
  t(() => JSON.stringify(nested, function (k, v) { return k === 'a' ? Object.keys(this).join() : v; }));
  t(() => JSON.stringify([1, [2, 3]], (k, v) => Array.isArray(v) ? v : typeof k + k));
  t(() => JSON.stringify({ b: 1, a: 2, c: { a: 3, z: 4 } }, ['a', 'b', 'a', 1, new String('c'), {}]));
  t(() => JSON.stringify([{ a: 1, b: 2 }, { b: 3 }], ['b']));
  t(() => JSON.stringify({ a: 1 }, ['a'], 2));
  t(() => JSON.stringify(undefined));
  t(() => JSON.stringify(() => 1));
  t(() => JSON.stringify('str'));
  t(() => JSON.stringify(new String('boxed')));
  t(() => JSON.stringify([new Number(4), new Boolean(false), new String('s')]));
  t(() => JSON.stringify({ toJSON(k) { return 'key:' + k; } }));
  t(() => JSON.stringify({ d: new Date(0) }));
  t(() => JSON.stringify({ x: { toJSON() { return { y: 1 }; } } }, (k, v) => k === 'y' ? 'Y' : v));
  t(() => { const c = {}; c.c = c; return JSON.stringify(c); });
  t(() => JSON.stringify({ n: 1n }));
  t(() => JSON.stringify({ r: JSON.rawJSON('12345678901234567890') }));
  t(() => JSON.stringify(new Array(3)));
  t(() => JSON.stringify({ s: new String('a'), get g() { return 'got'; } }));
  t(() => { let n = 0; const o = { toString() { n++; return 'z'; } }; const s = JSON.stringify({ a: 1 }, null, { __proto__: String.prototype, toString: o.toString }); return s + n; });
  t(() => { let n = 0; const s = new String('q'); s.toString = () => { n++; return 'w'; }; return JSON.stringify([s]) + n; });
  return JSON.stringify(r);
})()`

// The bounded JSON.stringify gives what goja's own gives.
func TestStringifyKeepsItsResults(t *testing.T) {
	want, err := goja.New().RunString(stringifyCompat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLogin(t, compatRuntime(), loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+
		"api.idToken.setCustomClaim('r', "+stringifyCompat+");\n};")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims["r"]; got != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
