package protocol

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Unavailable reports whether cause means that something this node depends on — the database —
// cannot be reached right now (a refused, reset or timed-out connection, a connection lost
// mid-statement), rather than that the request or the code is wrong. Such a failure is answered
// 503 with Retry-After, the clean answer a load balancer and a client retry on, never a 500.
func Unavailable(cause error) bool {
	if cause == nil {
		return false
	}
	var ne net.Error
	return errors.Is(cause, domain.ErrUnavailable) || errors.As(cause, &ne) ||
		errors.Is(cause, syscall.ECONNREFUSED) || errors.Is(cause, syscall.ECONNRESET) || errors.Is(cause, syscall.EPIPE) ||
		errors.Is(cause, io.ErrUnexpectedEOF) || errors.Is(cause, io.EOF) ||
		errors.Is(cause, driver.ErrBadConn) || errors.Is(cause, sql.ErrConnDone)
}

// RetryAfterSeconds is the Retry-After sent with an Unavailable answer.
const RetryAfterSeconds = "2"

// unavailable is the error a request gets while a dependency is down (RFC 6749 §4.1.2.1's
// temporarily_unavailable, here for every endpoint).
func unavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
		Description: "The service is temporarily unavailable. Try again shortly.", Cause: cause,
		Heading: "Temporarily unavailable."}
}
