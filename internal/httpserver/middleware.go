package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// DefaultContentSecurityPolicy is sent on every response that does not set
// its own. A page that auto-submits a form_post response to an
// application's callback must set a policy whose form-action allows that
// origin; a page meant to be framed (web_message) must relax frame-ancestors
// and clear X-Frame-Options with OmitDefaultHeader.
const DefaultContentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; " +
	"frame-ancestors 'none'; form-action 'self'; img-src 'self' data:"

// hstsValue: one year, as recommended by RFC 6797 §11.2 deployments.
const hstsValue = "max-age=31536000; includeSubDomains"

// maxRequestIDLen bounds an accepted incoming X-Request-Id.
const maxRequestIDLen = 128

// OmitDefaultHeader keeps the security-header middleware from adding its
// default for name (for example X-Frame-Options on a page meant to be
// framed). A key present with no values is written as nothing.
func OmitDefaultHeader(h http.Header, name string) {
	h[http.CanonicalHeaderKey(name)] = nil
}

// statusWriter records the status and size of a response and runs a hook
// just before the header is written, the last moment headers can change.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	beforeWrite func(http.Header)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code) // let net/http report the superfluous call
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: the real header is still to come
		return
	}
	w.wroteHeader = true
	w.status = code
	if w.beforeWrite != nil {
		w.beforeWrite(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps streaming responses working through the wrapper.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusOr200() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// validRequestID accepts 1..128 visible ASCII characters; anything else
// (control characters, spaces, non-ASCII) could forge log lines or headers.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// identify assigns the request id and client IP that every later layer and
// every log line relies on.
func identify(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A request id is taken from the request only when a trusted proxy
		// sent it, so logs can follow a request through the proxy; anyone
		// else could use it to forge or collide with other requests' lines.
		id := ""
		if peer := parseHostPort(r.RemoteAddr); peer.IsValid() && isTrusted(peer, trusted) {
			id = r.Header.Get("X-Request-Id")
		}
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ip := clientIP(r, trusted)
		if !ip.IsValid() {
			// Not an IP peer (never the case on TCP): every request still carries an address, so
			// that handlers read ClientIP without a fallback of their own.
			ip = netip.IPv4Unspecified()
		}
		ri := &requestInfo{id: id, ip: ip}
		next.ServeHTTP(w, r.WithContext(withRequestInfo(r.Context(), ri)))
	})
}

// routeRecorder runs the mux and reports the pattern it matched; ServeMux
// sets r.Pattern on the request it was given, which an outer layer holding
// an earlier copy of the request would not see.
type routeRecorder struct {
	mux *http.ServeMux
}

type routeKey struct{}

func (rr routeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = wellKnownPath(r)
	if p, ok := r.Context().Value(routeKey{}).(*string); ok {
		defer func() { *p = r.Pattern }() // also when the handler panics
	}
	rr.mux.ServeHTTP(w, r)
}

// wellKnownPath answers "//.well-known/…" as "/.well-known/…". Clients that build discovery URLs as
// issuer + "/.well-known/openid-configuration" send the double slash, because the issuer ends with
// "/" (Auth0's, and ours); ServeMux would answer it with a redirect to the clean path, which some of
// them do not follow. Only the well-known paths are rewritten: any other path keeps ServeMux's
// cleaning, so no other route is reachable under a second spelling.
func wellKnownPath(r *http.Request) *http.Request {
	rest, ok := strings.CutPrefix(r.URL.Path, "//.well-known/")
	if !ok {
		return r
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/.well-known/" + rest
	r2.URL.RawPath = ""
	return r2
}

// observe writes one access-log line and the metrics of each request. The
// path is logged without its query string, which may carry authorization
// codes or tokens. Quiet routes (quietRoute) log at debug level to keep logs useful.
func observe(logger *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var route string
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route))
		defer func() {
			d := time.Since(start)
			status := sw.statusOr200()
			m.observe(route, status, d)
			level := slog.LevelInfo
			if quietRoute(route) {
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", d),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

// quietRoute: probes, scrapes and the public well-known documents (discovery, JWKS) are logged at
// debug level. They change nothing, every API and SDK fetches them, and at thousands a second their
// lines would drown the log and cost more than serving them; their metrics still count each one.
func quietRoute(route string) bool {
	return route == healthzPattern || route == readyzPattern || route == metricsPattern ||
		strings.HasPrefix(route, "GET /.well-known/")
}

// recoverPanics turns a handler panic into a logged 500 with a generic body.
// http.ErrAbortHandler is re-raised: it is net/http's way to abort silently.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			logger.ErrorContext(r.Context(), "handler panic",
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if sw.wroteHeader {
				// Too late for a clean error: abort the connection so the
				// client sees a failure rather than a truncated success.
				panic(http.ErrAbortHandler)
			}
			// Drop what the handler prepared (cookies, content type) so
			// none of it rides on the error response.
			h := sw.Header()
			for k := range h {
				if k != "X-Request-Id" {
					delete(h, k)
				}
			}
			protocol.WriteJSON(sw, protocol.ServerError(nil))
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders adds defaults at WriteHeader time for every header the
// handler did not set itself, so a handler can override any of them.
func securityHeaders(csp string, forceHSTS bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// HSTS binds a host name, not a port: sent from localhost it would
		// force https onto every other local app (http://localhost:3000).
		tls := (r.TLS != nil || forceHSTS) && !isLoopbackHost(r.Host)
		sw := &statusWriter{ResponseWriter: w, beforeWrite: func(h http.Header) {
			setDefault(h, "X-Content-Type-Options", "nosniff")
			setDefault(h, "Referrer-Policy", "no-referrer")
			setDefault(h, "X-Frame-Options", "DENY")
			setDefault(h, "Content-Security-Policy", csp)
			if tls {
				// RFC 6797 §7.2: only meaningful over a secure transport.
				setDefault(h, "Strict-Transport-Security", hstsValue)
			}
		}}
		next.ServeHTTP(sw, r)
	})
}

// isLoopbackHost reports whether a Host header names this machine:
// localhost, *.localhost (RFC 6761 §6.3) or a loopback address.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func setDefault(h http.Header, key, value string) {
	if _, present := h[key]; !present {
		h[key] = []string{value}
	}
}

// limitBody caps request bodies. A declared Content-Length over the limit
// is refused at once; a chunked body over it makes the handler's read fail
// with *http.MaxBytesError, which handlers map to 413.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			protocol.WriteJSON(w, protocol.NewError(http.StatusRequestEntityTooLarge, "invalid_request", "Request body too large"))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
