package passwordreset

import (
	"strings"
	"testing"
)

func TestCleanState(t *testing.T) {
	for in, want := range map[string]string{
		"ZMw4ERV1aHnY0HG6Mob1hEZSPF2BRT32": "ZMw4ERV1aHnY0HG6Mob1hEZSPF2BRT32",
		"":                                 "",
		"a b":                              "",
		`"><script>`:                       "",
		strings.Repeat("a", 129):           "",
	} {
		if got := cleanState(in); got != want {
			t.Errorf("cleanState(%q) = %q, want %q", in, got, want)
		}
	}
}
