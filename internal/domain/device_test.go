package domain_test

import (
	"regexp"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestNewUserCode(t *testing.T) {
	shape := regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)
	seen := map[string]bool{}
	for range 1000 {
		c := domain.NewUserCode()
		if !shape.MatchString(c) {
			t.Fatalf("user code %q is not two groups of four unambiguous letters", c)
		}
		if domain.NormalizeUserCode(c) != c {
			t.Fatalf("%q does not normalize to itself", c)
		}
		seen[c] = true
	}
	if len(seen) < 995 {
		t.Fatalf("only %d distinct codes of 1000", len(seen))
	}
}

func TestNormalizeUserCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"WDJB-MJHT", "WDJB-MJHT"},
		{"wdjb-mjht", "WDJB-MJHT"},
		{" wdjb mjht ", "WDJB-MJHT"},
		{"WDJBMJHT", "WDJB-MJHT"},
		{"WDJB-MJH", ""},   // too short
		{"WDJB-MJHTX", ""}, // too long
		{"WDJB-MJH1", ""},  // a digit
		{"WDJB-MJHA", ""},  // a vowel: never in a code
		{"WDJB_MJHT", ""},  // other punctuation
		{"", ""},           // empty
		{"ŴDJB-MJHT", ""},  // look-alike letter
		{string(make([]byte, 40)), ""},
	} {
		if got := domain.NormalizeUserCode(tc.in); got != tc.want {
			t.Errorf("NormalizeUserCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
