package httpserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthAndReady(t *testing.T) {
	var readyErr error
	srv, logs := MustServer(t, httpserver.Options{
		Ready: func(ctx context.Context) error { return readyErr },
	}, nil)
	tests := []struct {
		name     string
		path     string
		readyErr error
		code     int
		body     string
	}{
		{"healthz", "/healthz", nil, 200, `{"status":"ok"}`},
		{"healthz ignores readiness", "/healthz", errors.New("db down"), 200, `{"status":"ok"}`},
		{"readyz ok", "/readyz", nil, 200, `{"status":"ok"}`},
		{"readyz failing", "/readyz", errors.New("dial tcp db.internal:5432: refused"), 503, `{"status":"unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr = tt.readyErr
			w := serve(srv, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if w.Code != tt.code || strings.TrimSpace(w.Body.String()) != tt.body {
				t.Errorf("%s = %d %q, want %d %q", tt.path, w.Code, w.Body, tt.code, tt.body)
			}
			if strings.Contains(w.Body.String(), "db.internal") {
				t.Error("readiness error detail reached the client")
			}
		})
	}
	if !strings.Contains(logs.String(), "db.internal") {
		t.Error("readiness failure cause not logged")
	}

	always, _ := MustServer(t, httpserver.Options{}, nil)
	if w := serve(always, httptest.NewRequest(http.MethodGet, "/readyz", nil)); w.Code != 200 {
		t.Errorf("readyz without a check = %d, want 200", w.Code)
	}
}

// TestMetricsNotPublicByDefault: without a token the main server has no /metrics; the separate
// handler (for a monitoring-only address) serves it.
func TestMetricsNotPublicByDefault(t *testing.T) {
	srv, _ := MustServer(t, httpserver.Options{}, nil)
	if w := serve(srv, httptest.NewRequest(http.MethodGet, "/metrics", nil)); w.Code != http.StatusNotFound {
		t.Fatalf("/metrics on the main server = %d, want 404", w.Code)
	}
	w := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "go_goroutines") {
		t.Fatalf("metrics handler = %d", w.Code)
	}
}

func TestMetrics(t *testing.T) {
	m := httpserver.NewMetrics()
	issued := prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_tokens_issued_total", Help: "Tokens issued."})
	m.Registry.MustRegister(issued)
	issued.Inc()

	srv, _ := MustServer(t, httpserver.Options{Metrics: m, MetricsToken: "s3cret-metrics-token"}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /api/v2/users/{id}", func(w http.ResponseWriter, r *http.Request) {})
	})
	for _, p := range []string{"/api/v2/users/1", "/api/v2/users/2", "/no/such/path/1", "/no/such/path/2"} {
		serve(srv, httptest.NewRequest(http.MethodGet, p, nil))
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic czNjcmV0", "Bearer s3cret-metrics-token-and-more"} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if w := serve(srv, r); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), "gatehouse_") {
			t.Fatalf("/metrics with %q = %d, want 401 and nothing shown", auth, w.Code)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Authorization", "Bearer s3cret-metrics-token")
	w := serve(srv, r)
	if w.Code != 200 {
		t.Fatalf("/metrics = %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`gatehouse_http_requests_total{code="2xx",route="GET /api/v2/users/{id}"} 2`,
		`gatehouse_http_requests_total{code="4xx",route="unmatched"} 2`,
		`gatehouse_http_request_duration_seconds_bucket{code="2xx",route="GET /api/v2/users/{id}",le="+Inf"} 2`,
		`gatehouse_tokens_issued_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "/api/v2/users/1") || strings.Contains(body, "/no/such/path") {
		t.Error("raw paths used as label values")
	}
	if srv.Metrics() != m {
		t.Error("Server.Metrics() is not the injected registry")
	}
}

// startServer runs s.Serve on a loopback listener and returns its address,
// a cancel function and the channel Serve's result arrives on.
func startServer(t *testing.T, s *httpserver.Server) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		done <- s.Serve(ctx, ln)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Error("server did not stop")
		}
	})
	return ln.Addr().String(), cancel, done
}

func TestGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv, _ := MustServer(t, httpserver.Options{ShutdownTimeout: 5 * time.Second}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "finished")
		})
	})
	addr, cancel, done := startServer(t, srv)

	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	<-entered
	cancel()

	// New connections are refused once shutdown has begun; poll briefly.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}
	close(release)
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request = %q, %v; want it to finish", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil after graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	srv, _ := MustServer(t, httpserver.Options{ShutdownTimeout: 50 * time.Millisecond}, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		})
	})
	addr, cancel, done := startServer(t, srv)
	go func() {
		if resp, err := http.Get("http://" + addr + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve = %v, want a shutdown deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up after ShutdownTimeout")
	}
}

func TestServeTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv, _ := MustServer(t, httpserver.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
	addr, _, _ := startServer(t, srv)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
	}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("status = %d, tls = %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol = %s, want HTTP/2 over TLS", resp.Proto)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent to a loopback host")
	}
}

func TestListenAndServeBadAddr(t *testing.T) {
	srv, _ := MustServer(t, httpserver.Options{Addr: "127.0.0.1:notaport"}, nil)
	if err := srv.ListenAndServe(context.Background()); err == nil {
		t.Fatal("ListenAndServe succeeded on a bad address")
	}
}

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
