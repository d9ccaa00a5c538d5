package actions_test

import "testing"

// Array.from of a string makes one string and one slot per character (about 750 bytes each in
// goja), far more than the 16-byte slot an array element costs.
func TestArrayFromStringIsBounded(t *testing.T) {
	runBuilderCases(t, []builderCase{
		{"Array.from", `Array.from('x'.repeat(2e5));`, 150e6},
		{"Array.from with a map function", `Array.from('x'.repeat(2e5), (c) => c);`, 150e6},
	})
}
