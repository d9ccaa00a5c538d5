package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// startNode runs a node on 127.0.0.1 with a seeded tenant and returns the tenant file's path.
func startNode(t *testing.T, tokenPerIPPerMinute int) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := config.Default()
	cfg.Issuer = "http://" + ln.Addr().String() + "/"
	cfg.Addr = ln.Addr().String()
	cfg.Database = filepath.Join(dir, "gatehouse.db")
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.RateLimits.TokenPerIPPerMinute = tokenPerIPPerMinute
	ctx, cancel := context.WithCancel(context.Background())
	fast := password.Hasher{P: password.Fast()}
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hasher: fast})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dev-tenant.json")
	if _, err := devtenant.Seed(ctx, a.Store, devtenant.Options{Issuer: cfg.Issuer, Path: path,
		ManagementAudience: cfg.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(), Hasher: fast, Now: time.Now}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return path
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestClientCredentialsAndJWKS: a bounded run of each scenario against a real node answers every
// request with 200 and prints the figures with the raw signing rate and the ratio.
func TestClientCredentialsAndJWKS(t *testing.T) {
	tenant := startNode(t, 0)
	out := mustRun(t, "-tenant", tenant, "-scenario", "client_credentials", "-n", "40", "-c", "4", "-raw", "100ms")
	wantLines(t, out, "40 answered", "status       200×40", "errors       0 without an answer, 0 non-2xx",
		"latency      p50 ", "raw RS256 ", "ratio ")
	out = mustRun(t, "-tenant", tenant, "-scenario", "jwks", "-n", "60", "-c", "3", "-raw", "100ms")
	wantLines(t, out, "60 answered", "status       200×60", "errors       0 without an answer, 0 non-2xx")
	if strings.Contains(out, "ratio") {
		t.Error("a ratio to signing printed for JWKS")
	}
	out = mustRun(t, "-tenant", tenant, "-scenario", "discovery", "-n", "30", "-c", "3", "-raw", "100ms")
	wantLines(t, out, "30 answered", "status       200×30", "errors       0 without an answer, 0 non-2xx")
	// One plain GET per worker at most learns the ETag; the rest are revalidations.
	out = mustRun(t, "-tenant", tenant, "-scenario", "jwks_revalidate", "-n", "30", "-c", "1", "-raw", "100ms")
	wantLines(t, out, "30 answered", "status       200×1 304×29", "errors       0 without an answer, 0 non-2xx")
}

// TestSignInFlood: each iteration signs in with a wrong password for a new unknown email, so each
// reaches a password check (400) rather than brute-force protection.
func TestSignInFlood(t *testing.T) {
	tenant := startNode(t, 0)
	out := mustRun(t, "-tenant", tenant, "-scenario", "signin_flood", "-n", "12", "-c", "3", "-raw", "50ms")
	wantLines(t, out, "12 answered", "status       400×12", "errors       0 without an answer, 12 non-2xx")
}

// TestRefusalsAreReported: past the target's per-address limit the 429s are counted by status, not
// hidden in the throughput.
func TestRefusalsAreReported(t *testing.T) {
	tenant := startNode(t, 10)
	out := mustRun(t, "-tenant", tenant, "-n", "25", "-c", "2", "-raw", "50ms")
	wantLines(t, out, "25 answered", "200×10", "429×15", "15 non-2xx")
}

func TestParseRefusesBadInput(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-url", "http://127.0.0.1:1/", "-scenario", "nope"},
		{"-url", "http://127.0.0.1:1/", "-c", "0", "-scenario", "jwks"},
		{"-url", "http://127.0.0.1:1/", "-scenario", "client_credentials"},
		{"-url", "http://127.0.0.1:1/", "-scenario", "jwks", "-n", "0", "-d", "0"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("parse(%v) accepted", args)
		}
	}
	o, err := parse([]string{"-url", "http://a:1, http://b:2/", "-scenario", "jwks"}, io.Discard)
	if err != nil || len(o.urls) != 2 || o.urls[0] != "http://a:1/" || o.urls[1] != "http://b:2/" {
		t.Errorf("urls %v %v", o.urls, err)
	}
}

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	if percentile(l, 50) != 50*time.Millisecond || percentile(l, 99) != 99*time.Millisecond || percentile(nil, 50) != 0 {
		t.Errorf("p50 %v p99 %v", percentile(l, 50), percentile(l, 99))
	}
}

// TestLeanClientFraming: the lean client reads chunked answers, answers that close the connection,
// and 304s, and counts a truncated answer as an error rather than a success.
func TestLeanClientFraming(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1: // chunked: no Content-Length, flushed in two parts
			w.Header().Set("ETag", `"e1"`)
			_, _ = io.WriteString(w, `{"keys":`)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, `[]}`)
		case 2:
			if r.Header.Get("If-None-Match") != `"e1"` {
				t.Errorf("If-None-Match %q", r.Header.Get("If-None-Match"))
			}
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusNotModified)
		case 3: // a new connection after the close; a body cut short
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "short")
			panic(http.ErrAbortHandler)
		default:
			_, _ = io.WriteString(w, "{}")
		}
	}))
	defer srv.Close()
	o := options{scenario: "jwks_revalidate", urls: []string{srv.URL + "/"}}
	if !leanGet(o) {
		t.Fatal("plain HTTP jwks_revalidate not on the lean client")
	}
	g := newRawGetter(o)
	defer g.close()
	ctx := context.Background()
	for i, want := range []int{200, 304, 0, 200} {
		got, err := g.get(ctx, nil, o.urls[0], i)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("answer %d: status %d, error %v; want %d", i+1, got, err, want)
		}
	}
	if leanGet(options{scenario: "jwks", urls: []string{"https://127.0.0.1:1/"}}) || leanGet(options{scenario: "client_credentials", urls: []string{srv.URL}}) {
		t.Error("lean client chosen for HTTPS or for tokens")
	}
}
