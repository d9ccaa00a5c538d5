package actions_test

import (
	"testing"

	"github.com/dop251/goja"
)

// Strings whose normalized or case-mapped form is many times longer are refused before
// the builtin builds it. Each payload is what goja's builtin allocated for the case.
func TestGrowingStringsAreBoundedBeforeTheyAllocate(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"NFKD", `'\uFDFA'.repeat(1e6).normalize('NFKD');`, 246e6},
		{"NFKC", `'\uFDFA'.repeat(1e6).normalize({ toString: () => 'NFKC' });`, 246e6},
		{"NFD", `'\u1F82'.repeat(1.5e6).normalize('NFD');`, 110e6},
		{"toUpperCase", `'\u0390'.repeat(1.5e6).toUpperCase();`, 91e6},
		{"toLocaleUpperCase", `'\u0390'.repeat(1.5e6).toLocaleUpperCase();`, 91e6},
		{"toLowerCase", `'\u0130'.repeat(1.5e6).toLowerCase();`, 75e6},
		{"toLocaleLowerCase", `String.prototype.toLocaleLowerCase.call(new String('\u0130'.repeat(1.5e6)));`, 75e6},
		{"catch cannot swallow", `try { '\uFDFA'.repeat(1e6).normalize('NFKD'); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, 246e6},
	})
}

const growthCompat = `(() => {
  const r = [];
  const t = (f) => { try { r.push(JSON.stringify(f())); } catch (e) { r.push('threw ' + e.name + ': ' + e.message); } };
  const mixed = 'Ame\u0301lie \uFDFA \u1F82 \u0390 \u0130 \uFB03 \u00DF \u03A3\u0391\u03A3 \uD835\uDC00 \uD800 ' + 'x'.repeat(300);
  for (const f of [undefined, 'NFC', 'NFD', 'NFKC', 'NFKD']) t(() => mixed.normalize(f));
  t(() => mixed.normalize('nfc'));
  t(() => mixed.normalize(null));
  t(() => 'abc'.normalize({ toString: () => 'NFKD' }));
  t(() => ('x'.repeat(1e6) + '\u00E9').normalize('NFKD').length); // long, but mostly ASCII
  t(() => ('x'.repeat(1e6) + '\u0390').toUpperCase().length);
  for (const m of ['toUpperCase', 'toLowerCase', 'toLocaleUpperCase', 'toLocaleLowerCase']) {
    t(() => mixed[m]());
    t(() => 'ascii Only'[m]());
    t(() => ''[m]());
    t(() => String.prototype[m].call(123));
    t(() => String.prototype[m].call(null));
    t(() => String.prototype[m].call(undefined));
    t(() => String.prototype[m].call(Symbol('s')));
    t(() => { let n = 0; const o = { toString() { n++; return 'Ab'; } }; return String.prototype[m].call(o) + n; });
  }
  t(() => String.prototype.normalize.call(null));
  t(() => { let n = 0; const o = { toString() { n++; return 'e\u0301'; } }; return String.prototype.normalize.call(o, 'NFC') + n; });
  return r.join('\n');
})()`

// The checked builtins give what goja's own give.
func TestGrowingStringsKeepTheirResults(t *testing.T) {
	want, err := goja.New().RunString(growthCompat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLogin(t, compatRuntime(), loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+
		"api.idToken.setCustomClaim('r', "+growthCompat+");\n};")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims["r"]; got != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
