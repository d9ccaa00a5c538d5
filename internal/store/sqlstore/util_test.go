package sqlstore

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestMapErrUnavailable: a read whose connection is lost reports domain.ErrUnavailable (answered 503
// with Retry-After), as a failed transaction does; any other failure does not.
func TestMapErrUnavailable(t *testing.T) {
	lost := errors.New("conn closed")
	s := &Store{d: &Dialect{
		Classify:    func(error) (Violation, string) { return 0, "" },
		Unavailable: func(err error) bool { return errors.Is(err, lost) },
	}}
	err := s.mapErr("get user", lost)
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, lost) {
		t.Fatalf("lost connection: %v, want domain.ErrUnavailable wrapping the cause", err)
	}
	if err := s.mapErr("get user", errors.New("syntax error")); errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("a bad statement reported as unavailable: %v", err)
	}
	if again := s.mapErr("list", err); !errors.Is(again, domain.ErrUnavailable) {
		t.Fatalf("mapped twice: %v", again)
	}
}
