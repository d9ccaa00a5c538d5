package actions_test

import (
	"testing"

	"github.com/dop251/goja"
)

func TestReplaceIsBoundedBeforeItAllocates(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"$' per match", `'x'.repeat(1e6).replace(/x{1000}/g, "$'");`, 500e6},
		{"$` per match", `'x'.repeat(1e6).replace(/x{1000}/g, "$` + "`" + `");`, 500e6},
		{"$& many times", `'x'.repeat(1e6).replace(/x+/, '$&'.repeat(100));`, 100e6},
		{"string search", `'x'.repeat(1e6).replace('x', "$'".repeat(100));`, 100e6},
		{"replaceAll string search", `('x'.repeat(1e3) + 'y').repeat(1000).replaceAll('y', "$'");`, 500e6},
		{"replaceAll global regexp", `'x'.repeat(1e6).replaceAll(/x{1000}/g, "$` + "`" + `");`, 500e6},
		{"Symbol.replace directly", `/x{1000}/g[Symbol.replace]('x'.repeat(1e6), "$'");`, 500e6},
		{"function replacer", `const big = 'y'.repeat(1e6); 'x'.repeat(1000).replace(/x/g, () => big);`, 1000e6},
		// A native replacer runs no JavaScript, so nothing but the count can stop it.
		{"native function replacer", `const big = 'y'.repeat(1e6); 'x'.repeat(1000).replace(/x/g, String.prototype.toString.bind(big));`, 1000e6},
		{"native replacer, string search", `const big = 'y'.repeat(1e6); 'x'.repeat(1000).replaceAll('x', String.prototype.toString.bind(big));`, 1000e6},
		{"many matches", `'x'.repeat(1e6).replace(/x/g, '');`, 1400e6},
		{"many occurrences", `'x'.repeat(2e6).replaceAll('x', '');`, 128e6},
		{"global match", `'x'.repeat(1e6).match(/x/g);`, 1400e6},
		{"catch cannot swallow", `try { 'x'.repeat(1e6).replace(/x{1000}/g, "$'"); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, 500e6},
	})
}

// replaceCompat is evaluated by a plain goja runtime and inside the sandbox; the results
// must be the same.
const replaceCompat = `(() => {
  const r = [];
  const t = (f) => { try { r.push(f()); } catch (e) { r.push('threw ' + e.name); } };
  t(() => 'abc'.replace('b', '[$&]'));
  t(() => 'abc'.replace('b', "[$` + "`" + `|$']"));
  t(() => 'abc'.replace('b', '$$|$'));
  t(() => 'abc'.replace('b', '$1$<x>$0$'));
  t(() => 'abc'.replace('z', '$&'));
  t(() => 'aXbXc'.replaceAll('X', '<$&>'));
  t(() => 'aaa'.replaceAll('', '-'));
  t(() => 'aaa'.replaceAll('a', (m, p, s) => m + p + s.length));
  t(() => 'aaa'.replace('a', (...args) => JSON.stringify(args)));
  t(() => 'a1b22c'.replace(/(\d+)/g, '[$1]'));
  t(() => 'a1b22c'.replace(/(\d)(\d)?/g, '[$1|$2|$3|$10|$01|$00|$0|$11]'));
  t(() => '2024-05-06'.replace(/(?<y>\d+)-(?<m>\d+)-(?<d>\d+)/, '$<d>/$<m>/$<y>$<zz>|$<y'));
  t(() => 'ab'.replace(/(?<x>a)|(?<z>q)/, (...args) => JSON.stringify(args)));
  t(() => 'ab'.replace(/(?<x>a)|(?<z>q)/, '[$<x>|$<z>|$2]'));
  t(() => 'abc'.replace(/b/, "$` + "`" + `$'$&"));
  t(() => 'x-y'.replace(/(x)|(z)/g, '[$1$2]'));
  t(() => 'aaaa'.replace(/a/y, 'b'));
  t(() => 'abc'.replace(/(?:)/g, '-'));
  t(() => 'héllo wörld'.replace(/ö/, "$'$` + "`" + `"));
  t(() => '\u{1F600}a\u{1F600}'.replace(/a/u, "$` + "`" + `$'"));
  t(() => '\u{1F600}\u{1F600}'.replace(/(?:)/gu, '.'));
  t(() => 'abc'.replace({ [Symbol.replace]: (s, v) => s + '|' + v }, 'R'));
  t(() => 'abc'.replaceAll({ [Symbol.replace]: (s, v) => typeof v }, () => 1));
  t(() => 'abc'.replaceAll(/b/, 'x'));
  t(() => 'abcb'.replaceAll(/b/g, '[$&]'));
  t(() => String.prototype.replace.call(12321, 2, '$&$&'));
  t(() => String.prototype.replace.call(null, 'a', 'b'));
  t(() => 'abc'.replace('b', { toString: () => '$&!' }));
  t(() => /b/[Symbol.replace]('abc', '[$&]'));
  t(() => RegExp.prototype[Symbol.replace].call('nope', 'abc', 'x'));
  t(() => 'a.b.c'.replace(/\./g, () => ({ toString: () => '!' })));
  t(() => 'aba'.replace(/a/g, '$2'));
  t(() => 'abc'.replace(/(b)/, '$11'));
  t(() => 'abc'.replace(/(b)/, '$<x>'));
  t(() => { const re = /a/g; re.lastIndex = 3; 'aa'.replace(re, 'b'); return re.lastIndex; });
  t(() => { const re = /a/y; re.lastIndex = 1; return 'aa'.replace(re, 'b') + re.lastIndex; });
  t(() => { class R extends RegExp { exec(s) { return super.exec(s); } } return 'abcb'.replace(new R('b', 'g'), '[$&$` + "`" + `]'); });
  t(() => { const log = [];
    const o = (n, v) => ({ toString() { log.push(n); return v; } });
    return String.prototype.replace.call(o('this', 'abc'), o('search', 'b'), o('repl', 'X')) + log.join(); });
  t(() => { const log = [];
    const o = (n, v) => ({ toString() { log.push(n); return v; } });
    return /b/[Symbol.replace](o('subject', 'abc'), o('repl', 'X')) + log.join(); });
  t(() => 'xyz'.match(/./g).join());
  t(() => 'abc'.match(/b/).index);
  t(() => 'abc'.match(/q/g));
  t(() => 'a'.repeat(3000).replaceAll('a', 'b').length);
  t(() => 'ab'.repeat(1000).replaceAll('', '-').length);
  return JSON.stringify(r);
})()`

// The bounded replace, replaceAll, Symbol.replace and match give what goja's own give.
func TestReplaceKeepsItsResults(t *testing.T) {
	want, err := goja.New().RunString(replaceCompat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runLogin(t, compatRuntime(), loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+
		"api.idToken.setCustomClaim('r', "+replaceCompat+");\n};")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.IDTokenClaims["r"]; got != want.String() {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
