package httpserver

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync/atomic"
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

// exchange is everything the edge keeps about one request, in one allocation: the response
// writer that records the status and size and adds the default headers at WriteHeader time, the
// request's identity (id, client address, client id, route), the context carrying it and the
// X-Request-Id value. The public documents are served thousands of times a second; each of these
// used to be an allocation of its own (three writer wrappers, two contexts, two request copies).
type exchange struct {
	http.ResponseWriter
	edge        *edge
	status      int
	bytes       int64
	wroteHeader bool
	hsts        bool
	info        requestInfo
	ctx         infoContext // the request's context, carrying &info
	idValue     [1]string
	served      *http.Request // the request the mux saw, which carries the matched pattern
}

func (w *exchange) WriteHeader(code int) {
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
	w.edge.defaultHeaders(w.Header(), w.hsts)
	w.ResponseWriter.WriteHeader(code)
}

func (w *exchange) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps streaming responses working through the wrapper.
func (w *exchange) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *exchange) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *exchange) statusOr200() int {
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

// Request ids are 32 hex characters: a random 64-bit prefix drawn once per process (so two nodes
// do not collide) and a per-request counter passed through a keyed bijective mix, so ids are unique
// within the process, do not count the node's requests in the open, and cost no system call.
var (
	requestIDPrefix [8]byte
	requestIDKey    uint64
	requestIDSeq    atomic.Uint64
)

func init() {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	copy(requestIDPrefix[:], b[:8])
	requestIDKey = binary.LittleEndian.Uint64(b[8:])
}

func newRequestID() string {
	// splitmix64's finaliser: a bijection of uint64, so distinct counters give distinct ids.
	x := requestIDSeq.Add(1) + requestIDKey
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	var raw [16]byte
	copy(raw[:8], requestIDPrefix[:])
	binary.BigEndian.PutUint64(raw[8:], x)
	var out [32]byte
	hex.Encode(out[:], raw[:])
	return string(out[:])
}

// edge is the middleware chain as one handler, outermost first: identity (request id and client
// address) before anything logs; the access log and metrics see the final status, including the
// 500 of a recovered panic; default security headers on every answer, error answers included; the
// body limit; then the mux.
type edge struct {
	mux      *http.ServeMux
	logger   *slog.Logger
	metrics  *Metrics
	trusted  []netip.Prefix
	limit    int64
	forceTLS bool
	// Default header values, built once. A header map may share them: net/http and handlers
	// replace or append to a value slice (append copies, the capacity is the length), never
	// write into one.
	nosniff, noReferrer, frameDeny, csp, hstsVal []string
}

func newEdge(mux *http.ServeMux, logger *slog.Logger, m *Metrics, opts Options) *edge {
	one := func(v string) []string { return []string{v}[:1:1] }
	return &edge{mux: mux, logger: logger, metrics: m, trusted: opts.TrustedProxies, limit: opts.MaxBodyBytes,
		forceTLS: opts.HSTS, nosniff: one("nosniff"), noReferrer: one("no-referrer"), frameDeny: one("DENY"),
		csp: one(opts.ContentSecurityPolicy), hstsVal: one(hstsValue)}
}

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{ResponseWriter: w, edge: e}
	e.identify(x, r)
	// HSTS binds a host name, not a port: sent from localhost it would
	// force https onto every other local app (http://localhost:3000).
	x.hsts = (r.TLS != nil || e.forceTLS) && !isLoopbackHost(r.Host)
	x.ctx = infoContext{Context: r.Context(), info: &x.info}
	r = r.WithContext(&x.ctx)
	defer e.finish(x, r, start)
	if r.ContentLength > e.limit {
		protocol.WriteJSON(x, protocol.NewError(http.StatusRequestEntityTooLarge, "invalid_request", "Request body too large"))
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(x, r.Body, e.limit)
	}
	r = wellKnownPath(r)
	x.served = r
	e.mux.ServeHTTP(x, r)
}

// identify assigns the request id and client IP that every later layer and every log line
// relies on.
func (e *edge) identify(x *exchange, r *http.Request) {
	peer := parseHostPort(r.RemoteAddr)
	trustedPeer := peer.IsValid() && isTrusted(peer, e.trusted)
	// A request id is taken from the request only when a trusted proxy
	// sent it, so logs can follow a request through the proxy; anyone
	// else could use it to forge or collide with other requests' lines.
	id := ""
	if trustedPeer {
		id = r.Header.Get("X-Request-Id")
	}
	if !validRequestID(id) {
		id = newRequestID()
	}
	x.idValue[0] = id
	x.Header()["X-Request-Id"] = x.idValue[:1:1]
	ip := peer
	if trustedPeer {
		ip = forwardedClient(r, peer, e.trusted)
	}
	if !ip.IsValid() {
		// Not an IP peer (never the case on TCP): every request still carries an address, so
		// that handlers read ClientIP without a fallback of their own.
		ip = netip.IPv4Unspecified()
	}
	x.info.id, x.info.ip = id, ip
}

// finish recovers a handler's panic (a logged 500 with a generic body; http.ErrAbortHandler is
// re-raised: it is net/http's way to abort silently), then records the request's metrics and
// writes its access-log line. The path is logged without its query string, which may carry
// authorization codes or tokens. Quiet routes (quietRoute) log at debug level.
func (e *edge) finish(x *exchange, r *http.Request, start time.Time) {
	var abort any
	if v := recover(); v != nil {
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			abort = v
		} else {
			e.logger.ErrorContext(r.Context(), "handler panic",
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if x.wroteHeader {
				// Too late for a clean error: abort the connection so the
				// client sees a failure rather than a truncated success.
				abort = http.ErrAbortHandler
			} else {
				// Drop what the handler prepared (cookies, content type) so
				// none of it rides on the error response.
				h := x.Header()
				for k := range h {
					if k != "X-Request-Id" {
						delete(h, k)
					}
				}
				protocol.WriteJSON(x, protocol.ServerError(nil))
			}
		}
	}
	route := ""
	if x.served != nil {
		route = x.served.Pattern
	}
	d := time.Since(start)
	status := x.statusOr200()
	e.metrics.observe(route, status, d)
	level := slog.LevelInfo
	if quietRoute(route) {
		level = slog.LevelDebug
	}
	if e.logger.Enabled(r.Context(), level) {
		e.logger.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", x.bytes),
			slog.Duration("duration", d),
		)
	}
	if abort != nil {
		panic(abort)
	}
}

// defaultHeaders adds, at WriteHeader time, every default security header the handler did not
// set itself, so a handler can override any of them.
func (e *edge) defaultHeaders(h http.Header, hsts bool) {
	setDefault(h, "X-Content-Type-Options", e.nosniff)
	setDefault(h, "Referrer-Policy", e.noReferrer)
	setDefault(h, "X-Frame-Options", e.frameDeny)
	setDefault(h, "Content-Security-Policy", e.csp)
	if hsts {
		// RFC 6797 §7.2: only meaningful over a secure transport.
		setDefault(h, "Strict-Transport-Security", e.hstsVal)
	}
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

// quietRoute: probes, scrapes and the public well-known documents (discovery, JWKS) are logged at
// debug level. They change nothing, every API and SDK fetches them, and at thousands a second their
// lines would drown the log and cost more than serving them; their metrics still count each one.
func quietRoute(route string) bool {
	return route == healthzPattern || route == readyzPattern || route == metricsPattern ||
		strings.HasPrefix(route, "GET /.well-known/")
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

func setDefault(h http.Header, key string, value []string) {
	if _, present := h[key]; !present {
		h[key] = value
	}
}
