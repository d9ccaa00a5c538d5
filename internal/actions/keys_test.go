package actions_test

import (
	"testing"

	"github.com/dop251/goja"
)

// Listing the keys of a long string builds a string for every index, a hundred times the
// bytes of the string; it is refused before it starts. Each payload is what goja's builtin
// allocated for the case.
func TestKeyListsAreBoundedBeforeTheyAllocate(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"keys of a string", `Object.keys('x'.repeat(1e6));`, 106e6},
		{"values of a string", `Object.values('x'.repeat(1e6));`, 167e6},
		{"entries of a string", `Object.entries('x'.repeat(2e5));`, 147e6},
		{"names of a String", `Object.getOwnPropertyNames(new String('x'.repeat(1e6)));`, 106e6},
		{"Reflect.ownKeys", `Reflect.ownKeys(new String('x'.repeat(1e6)));`, 106e6},
	})
}

const keysCompat = `(() => {
  const r = [];
  const t = (f) => { try { r.push(JSON.stringify(f())); } catch (e) { r.push('threw ' + e.name + ': ' + e.message); } };
  const sparse = []; sparse[5] = 'five'; sparse.extra = 1;
  const inputs = ['ab', new String('cd'), [1, , 3], sparse, { b: 1, a: 2, 1: 'one' }, 5, true, Symbol.iterator,
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }), new Proxy({ p: 1 }, {})];
  for (const f of [Object.keys, Object.values, Object.entries, Object.getOwnPropertyNames]) {
    for (const v of inputs) t(() => f(v));
    t(() => f(null));
    t(() => f());
  }
  for (const v of inputs) t(() => Reflect.ownKeys(v).map(String));
  t(() => Object.keys(new Array(100)).length);
  return r.join('\n');
})()`

// The checked builtins give what goja's own give.
func TestKeyListsKeepTheirResults(t *testing.T) {
	want, err := goja.New().RunString(keysCompat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLogin(t, compatRuntime(), loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+
		"api.idToken.setCustomClaim('r', "+keysCompat+");\n};")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims["r"]; got != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
