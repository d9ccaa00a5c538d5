package actions_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// limitedRuntime is a small memory limit under the longest deadline, so that an oversized
// builtin ends by the memory check and never by the clock, however slow the machine.
func limitedRuntime() *actions.Runtime {
	return actions.NewRuntime(actions.Options{DefaultTimeout: 20 * time.Second, MaxTimeout: 20 * time.Second, MemoryLimitBytes: 4 << 20})
}

// allocatedDuring reports how many bytes the process allocated while fn ran: every
// allocation counts, including those freed since, so a builtin that built a huge result
// and then was stopped still shows.
func allocatedDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// builderCase is JavaScript asking a builtin for a result of about payload bytes from
// inputs of about 1 MB; under a 4 MiB limit it must be refused before it is built.
type builderCase struct {
	name, body string
	payload    uint64
}

func runBuilderCases(t *testing.T, cases []builderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := limitedRuntime()
			var err error
			n := allocatedDuring(func() {
				_, err = runLogin(t, rt, loginEvent(), "exports.onExecutePostLogin = async (event, api) => {\n"+tc.body+"\n};")
			})
			ee := mustExecErr(t, err, actions.KindMemory)
			if !strings.Contains(ee.Message, "memory limit exceeded") {
				t.Fatalf("message = %q", ee.Message)
			}
			if n > tc.payload/4 {
				t.Fatalf("allocated %d MB for a %d MB result under a 4 MiB limit", n>>20, tc.payload>>20)
			}
		})
	}
}

func TestJoinIsBoundedBeforeItAllocates(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"separator", `new Array(100).join('x'.repeat(1e6));`, 100e6},
		{"elements", `const s = 'x'.repeat(1e6); const a = []; for (let i = 0; i < 100; i++) a.push(s); a.join('');`, 100e6},
		{"nested toString", `const s = 'x'.repeat(1e6); const inner = [s, s, s]; const a = []; for (let i = 0; i < 40; i++) a.push(inner); String(a);`, 120e6},
		{"toLocaleString", `const s = 'x'.repeat(1e6); const a = []; for (let i = 0; i < 100; i++) a.push(s); a.toLocaleString();`, 100e6},
		{"String.raw", `const s = 'x'.repeat(1e6); String.raw({ raw: new Array(100).fill(s) });`, 100e6},
		{"catch cannot swallow", `try { new Array(100).join('x'.repeat(1e6)); } catch (e) {} api.idToken.setCustomClaim('after', 1);`, 100e6},
	})
}

func TestSplitIsBoundedBeforeItAllocates(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"every character", `'x'.repeat(1e6).split('');`, 47e6},
		{"separator", `'x,'.repeat(5e5).split(',');`, 23e6},
		{"huge limit", `'x'.repeat(1e6).split('', 2 ** 32 - 1);`, 47e6},
	})
}

func TestConcatAndSizeChecksAreBounded(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"string concat", `const s = 'x'.repeat(1e6); const a = []; for (let i = 0; i < 100; i++) a.push(s); ''.concat(...a);`, 100e6},
		{"array concat", `const a = new Array(1e5).fill(0); const args = []; for (let i = 0; i < 100; i++) args.push(a); [].concat(...args);`, 160e6},
		{"spreadable concat", `const o = { length: 1e7, [Symbol.isConcatSpreadable]: true, 0: 1 }; [].concat(o, o, o, o, o, o, o, o, o, o);`, 1600e6},
		{"repeat overflow", `'xy'.repeat(2 ** 62);`, 1 << 40},
		{"padStart overflow", `'x'.padStart(2 ** 62);`, 1 << 40},
		{"padEnd overflow", `'x'.padEnd(2 ** 63);`, 1 << 40},
	})
}

// The replacements behave as the builtins they replace.
func TestBuildersKeepTheirResults(t *testing.T) {
	res, err := runLogin(t, compatRuntime(), loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  const cyclic = [1]; cyclic.push(cyclic, 2);
  api.idToken.setCustomClaim('r', [
    [1, [2, 3], null, undefined, 'a'].join('-'), [1, 2].join(), [].join(), cyclic.join(),
    String([1, [2, [3]]]), [1, 'x', null].toLocaleString(), Array.prototype.join.call({ length: 2, 0: 'a', 1: 'b' }, '+'),
    String.raw`+"`a${1}b${2}c`"+`, String.raw({ raw: ['x', 'y'] }, 7, 8),
    'a'.concat(1, null, [2, 3]), [1].concat(2, [3, [4]], { length: 1, 0: 5 }).length,
    'a,b,c'.split(',').length, 'a,b,c'.split(',', 2).join('+'), 'abc'.split('', { valueOf: () => 2 }).join('+'),
    'a1b2c'.split(/(\d)/).join('+'), 'a1b2c'.split(/\d/, 2).join('+'), 'abc'.split().length, 'abc'.split('', 0).length,
  ].join('|'));
};`)
	if err != nil {
		t.Fatal(err)
	}
	want := "1-2,3---a|1,2||1,,2|1,2,3|1,x,|a+b|a1b2c|x7y|a1null2,3|5|3|a+b|a+b|a+1+b+2+c|a+b|1|0"
	if got := res.IDTokenClaims["r"]; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
