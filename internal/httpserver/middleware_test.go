package httpserver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustServer builds a Server whose JSON logs go to the returned buffer.
func MustServer(tb testing.TB, opts httpserver.Options, routes func(mux *http.ServeMux)) (*httpserver.Server, *syncBuffer) {
	tb.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = httpserver.NewLogger("json", "debug", logs)
	}
	if routes == nil {
		routes = func(*http.ServeMux) {}
	}
	return httpserver.New(opts, httpserver.MounterFunc(routes)), logs
}

func serve(s *httpserver.Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	var seen string
	// httptest requests come from 192.0.2.1: the proxy here.
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	srv, logs := MustServer(t, httpserver.Options{TrustedProxies: proxy}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) { seen = httpserver.RequestID(r.Context()) })
	})
	tests := []struct {
		name     string
		incoming []string
		keep     bool
	}{
		{"none: generated", nil, false},
		{"sane: propagated", []string{"abc-123_XYZ.4:5"}, true},
		{"max length: propagated", []string{strings.Repeat("a", 128)}, true},
		{"too long: replaced", []string{strings.Repeat("a", 129)}, false},
		{"space: replaced", []string{"abc 123"}, false},
		{"control char: replaced", []string{"abc\x01"}, false},
		{"non-ASCII: replaced", []string{"abcé"}, false},
		{"empty: replaced", []string{""}, false},
	}
	ids := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			for _, v := range tt.incoming {
				r.Header.Set("X-Request-Id", v)
			}
			w := serve(srv, r)
			got := w.Header().Get("X-Request-Id")
			if got != seen {
				t.Errorf("response id %q != context id %q", got, seen)
			}
			if tt.keep {
				if got != tt.incoming[0] {
					t.Errorf("id = %q, want incoming %q", got, tt.incoming[0])
				}
				return
			}
			if !hexID.MatchString(got) {
				t.Errorf("generated id %q is not 32 hex characters", got)
			}
			if ids[got] {
				t.Errorf("generated id %q repeated", got)
			}
			ids[got] = true
		})
	}
	if !strings.Contains(logs.String(), `"request_id":"abc-123_XYZ.4:5"`) {
		t.Errorf("access log lacks the propagated request id:\n%s", logs)
	}
}

// TestRequestIDFromUntrustedPeerIgnored: a client that is not a trusted proxy cannot choose the id
// its request is logged under.
func TestRequestIDFromUntrustedPeerIgnored(t *testing.T) {
	srv, logs := MustServer(t, httpserver.Options{}, nil)
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("X-Request-Id", "forged-id-1")
	w := serve(srv, r)
	got := w.Header().Get("X-Request-Id")
	if got == "forged-id-1" || !hexID.MatchString(got) {
		t.Errorf("id %q, want a generated one", got)
	}
	if strings.Contains(logs.String(), "forged-id-1") || !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
		t.Errorf("access log:\n%s", logs)
	}
}

func TestPanicRecovery(t *testing.T) {
	srv, logs := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Set-Cookie", "session=abc")
			panic("secret database detail")
		})
	})
	w := serve(srv, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not JSON: %q", w.Body)
	}
	if body["error"] != "server_error" || body["error_description"] != "Internal error" || len(body) != 2 {
		t.Errorf("body = %v", body)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Error("panic text reached the client")
	}
	if w.Header().Get("Set-Cookie") != "" {
		t.Error("headers prepared before the panic leaked into the error response")
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("X-Request-Id") == "" {
		t.Errorf("error response lacks standard headers: %v", w.Header())
	}
	l := logs.String()
	if !strings.Contains(l, "secret database detail") || !strings.Contains(l, "goroutine") {
		t.Errorf("panic and stack not logged:\n%s", l)
	}
	if !strings.Contains(l, `"status":500`) || !strings.Contains(l, `"route":"GET /boom"`) {
		t.Errorf("access log does not record the 500 on its route:\n%s", l)
	}
	mw := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(mw, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	m := mw.Body.String()
	if !strings.Contains(m, `gatehouse_http_requests_total{code="5xx",route="GET /boom"} 1`) {
		t.Errorf("metrics do not count the 500 on its route:\n%s", m)
	}
}

func TestBodyLimit(t *testing.T) {
	srv, _ := MustServer(t, httpserver.Options{MaxBodyBytes: 16}, func(mux *http.ServeMux) {
		mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			_, _ = w.Write(b)
		})
	})
	tests := []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{
		{"under limit", "0123456789", false, http.StatusOK},
		{"at limit", "0123456789abcdef", false, http.StatusOK},
		{"declared over limit", "0123456789abcdefg", false, http.StatusRequestEntityTooLarge},
		{"chunked over limit", "0123456789abcdefg", true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/echo", strings.NewReader(tt.body))
			if tt.chunked {
				r.ContentLength = -1
			}
			w := serve(srv, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == http.StatusOK && w.Body.String() != tt.body {
				t.Errorf("body = %q", w.Body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv, _ := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hi") })
		mux.HandleFunc("GET /form-post", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action https://app.example.com")
			w.WriteHeader(http.StatusOK)
		})
		mux.HandleFunc("GET /framed", func(w http.ResponseWriter, r *http.Request) {
			httpserver.OmitDefaultHeader(w.Header(), "X-Frame-Options")
			_, _ = io.WriteString(w, "framed")
		})
	})
	w := serve(srv, httptest.NewRequest(http.MethodGet, "/plain", nil))
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": httpserver.DefaultContentSecurityPolicy,
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(httpserver.DefaultContentSecurityPolicy, "frame-ancestors 'none'") ||
		!strings.Contains(httpserver.DefaultContentSecurityPolicy, "form-action 'self'") {
		t.Errorf("default CSP is not strict: %s", httpserver.DefaultContentSecurityPolicy)
	}
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}

	w = serve(srv, httptest.NewRequest(http.MethodGet, "/form-post", nil))
	if got := w.Header().Values("Content-Security-Policy"); len(got) != 1 || !strings.Contains(got[0], "https://app.example.com") {
		t.Errorf("handler CSP not kept as the only policy: %q", got)
	}

	w = serve(srv, httptest.NewRequest(http.MethodGet, "/framed", nil))
	if _, ok := w.Header()["X-Frame-Options"]; ok && w.Header().Get("X-Frame-Options") != "" {
		t.Errorf("X-Frame-Options = %q, want omitted", w.Header().Get("X-Frame-Options"))
	}

	hsts, _ := MustServer(t, httpserver.Options{HSTS: true}, nil)
	for _, tt := range []struct {
		srv  *httpserver.Server
		url  string
		want bool
	}{
		{srv, "https://auth.example.com/plain", true},
		{srv, "https://auth.example.com:8443/plain", true},
		{srv, "http://auth.example.com/plain", false},
		{hsts, "http://auth.example.com/healthz", true}, // behind a TLS proxy
		// Loopback hosts never get HSTS: it would bind every local port.
		{srv, "https://localhost:4433/plain", false},
		{srv, "https://app.localhost/plain", false},
		{srv, "https://127.0.0.1:4433/plain", false},
		{srv, "https://[::1]:4433/plain", false},
		{hsts, "http://localhost/healthz", false},
	} {
		w := serve(tt.srv, httptest.NewRequest(http.MethodGet, tt.url, nil))
		got := strings.HasPrefix(w.Header().Get("Strict-Transport-Security"), "max-age=")
		if got != tt.want {
			t.Errorf("%s: HSTS sent = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestAccessLog(t *testing.T) {
	srv, logs := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
			httpserver.WithClientID(r.Context(), "client-abc")
			w.WriteHeader(http.StatusFound)
		})
	})
	r := httptest.NewRequest(http.MethodGet, "/authorize?code=SECRETCODE&state=x", nil)
	r.RemoteAddr = "192.0.2.7:1234"
	serve(srv, r)
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"msg":"http request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no access log line:\n%s", logs)
	}
	want := map[string]any{
		"method": "GET", "path": "/authorize", "route": "GET /authorize", "status": float64(302),
		"ip": "192.0.2.7", "client_id": "client-abc",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("access log lacks duration")
	}
	if id, _ := line["request_id"].(string); !hexID.MatchString(id) {
		t.Errorf("access log request_id = %v", line["request_id"])
	}
	if strings.Contains(logs.String(), "SECRETCODE") {
		t.Error("query string reached the log")
	}
}

func TestContextLogHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(httpserver.NewContextLogHandler(slog.NewJSONHandler(&buf, nil)))
	var ctxLine map[string]any
	srv, _ := MustServer(t, httpserver.Options{}, func(mux *http.ServeMux) {
		mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
			ctx := httpserver.WithClientID(r.Context(), "c1")
			logger.With("component", "token").InfoContext(ctx, "issued")
		})
	})
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	serve(srv, r)
	reqID := ""
	if err := json.Unmarshal(buf.Bytes(), &ctxLine); err == nil {
		reqID, _ = ctxLine["request_id"].(string)
	}
	if !hexID.MatchString(reqID) {
		t.Fatalf("request_id %q is not a generated id", reqID)
	}
	buf.Reset()
	// From a trusted proxy, the proxy's id is the request's.
	srv, _ = MustServer(t, httpserver.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("2001:db8::1/128")}}, func(mux *http.ServeMux) {
		mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
			ctx := httpserver.WithClientID(r.Context(), "c1")
			logger.With("component", "token").InfoContext(ctx, "issued")
		})
	})
	r = httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	r.Header.Set("X-Request-Id", "req-1")
	serve(srv, r)
	if err := json.Unmarshal(buf.Bytes(), &ctxLine); err != nil {
		t.Fatalf("log line: %v: %q", err, buf.String())
	}
	for k, v := range map[string]any{"request_id": "req-1", "ip": "2001:db8::1", "client_id": "c1", "component": "token"} {
		if ctxLine[k] != v {
			t.Errorf("%s = %v, want %v", k, ctxLine[k], v)
		}
	}

	buf.Reset()
	logger.Info("outside a request")
	if strings.Contains(buf.String(), "request_id") {
		t.Errorf("request attributes added without a request: %s", buf.String())
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		debugShown    bool
		json          bool
	}{
		{"text", "debug", true, false},
		{"json", "info", false, true},
		{"JSON", "warn", false, true},
		{"", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			l := httpserver.NewLogger(tt.format, tt.level, &buf)
			l.Debug("dbg")
			l.Error("err")
			out := buf.String()
			if strings.Contains(out, "dbg") != tt.debugShown {
				t.Errorf("debug shown = %v, want %v: %q", !tt.debugShown, tt.debugShown, out)
			}
			if strings.HasPrefix(out, "{") != tt.json {
				t.Errorf("json = %v, want %v: %q", !tt.json, tt.json, out)
			}
		})
	}
}
