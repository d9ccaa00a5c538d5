package actions_test

import "testing"

// Array methods walking a huge sparse length are refused before they walk or allocate.
func TestArrayWalksAreBoundedByLength(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"map", `new Array(1e8).map((x) => x);`, 1600e6},
		{"slice", `new Array(1e8).slice();`, 1600e6},
		{"array-like slice", `Array.prototype.slice.call({ length: 1e8 });`, 1600e6},
		{"filter", `new Array(1e8).filter(() => true);`, 1600e6},
		{"indexOf", `new Array(1e8).indexOf(1);`, 1600e6},
		{"sort", `const a = new Array(1e8); a[0] = 2; a[1] = 1; a.sort();`, 1600e6},
	})
}
