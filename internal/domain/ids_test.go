package domain

import (
	"regexp"
	"testing"
	"time"
)

// TestLogIDsSortByTime: a log id is 56 lowercase hex digits; one made in a later millisecond sorts
// after, and ids of one millisecond still differ.
func TestLogIDsSortByTime(t *testing.T) {
	hex56 := regexp.MustCompile(`^[0-9a-f]{56}$`)
	a, b := NewLogID(), NewLogID()
	time.Sleep(3 * time.Millisecond)
	c := NewLogID()
	for _, id := range []string{a, b, c} {
		if !hex56.MatchString(id) {
			t.Fatalf("log id %q is not 56 hex digits", id)
		}
	}
	if a == b {
		t.Fatal("two log ids are equal")
	}
	if c <= a || c <= b {
		t.Fatalf("a later id %s does not sort after %s and %s", c, a, b)
	}
}
