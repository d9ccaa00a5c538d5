package protocol_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// TestUnavailableIsA503: a database that cannot be reached is a 503 temporarily_unavailable with
// Retry-After; any other internal failure stays a 500 server_error.
func TestUnavailableIsA503(t *testing.T) {
	down := []error{
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		fmt.Errorf("get client: %w", syscall.ECONNRESET),
		fmt.Errorf("commit: %w", driver.ErrBadConn),
		fmt.Errorf("rotate refresh token: %w: conn closed", domain.ErrUnavailable), // as a store backend wraps it
	}
	for _, cause := range down {
		e := protocol.ServerError(cause)
		w := httptest.NewRecorder()
		protocol.WriteJSON(w, e)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" ||
			w.Body.String() != `{"error":"temporarily_unavailable","error_description":"The service is temporarily unavailable. Try again shortly."}` {
			t.Errorf("%v: %d %v %s", cause, w.Code, w.Header(), w.Body)
		}
	}
	e := protocol.ServerError(errors.New("encode claims: bad value"))
	if e.Status != http.StatusInternalServerError || e.Code != "server_error" || protocol.Unavailable(nil) {
		t.Errorf("an internal error became %d %s", e.Status, e.Code)
	}
}
