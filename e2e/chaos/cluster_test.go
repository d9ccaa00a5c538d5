package chaos_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// portInRange returns a free 127.0.0.1 port in 5500–5599 not handed out before.
var usedPorts sync.Map

func portInRange(t *testing.T) string {
	t.Helper()
	for p := 5500; p <= 5599; p++ {
		if _, taken := usedPorts.Load(p); taken {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		usedPorts.Store(p, true)
		return fmt.Sprint(p)
	}
	t.Fatal("no free port in 5500–5599")
	return ""
}

// buildGatehouse builds the binary once for the test.
func buildGatehouse(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gatehouse")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gatehouse")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build gatehouse: %v\n%s", err, out)
	}
	return bin
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// dbProxy forwards TCP connections to PostgreSQL until cut: cutting closes the listener and every
// connection it carries, as a network partition or a database restart would; restore listens again.
type dbProxy struct {
	addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func startProxy(t *testing.T, addr, target string) *dbProxy {
	t.Helper()
	p := &dbProxy{addr: addr, target: target, conns: map[net.Conn]bool{}}
	if err := p.restore(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.cut)
	return p
}

func (p *dbProxy) restore() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return nil
}

func (p *dbProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// gatehouseNode is one `gatehouse serve` process; restart starts it again on the same address.
type gatehouseNode struct {
	t    *testing.T
	name string
	bin  string
	env  []string
	base string // http://127.0.0.1:port/
	logs string

	mu   sync.Mutex
	cmd  *exec.Cmd
	up   atomic.Bool // believed to be serving (as a load balancer's health check believes)
	wait chan error
}

func (n *gatehouseNode) start() {
	n.t.Helper()
	f, err := os.OpenFile(n.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(n.bin, "serve", "--config", filepath.Join(repoRoot(n.t), "deploy", "gatehouse.yaml"))
	cmd.Env = append(os.Environ(), n.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	wait := make(chan error, 1)
	go func() { wait <- cmd.Wait(); f.Close() }()
	n.mu.Lock()
	n.cmd, n.wait = cmd, wait
	n.mu.Unlock()
	n.waitReady(60 * time.Second)
	n.up.Store(true)
}

func (n *gatehouseNode) waitReady(within time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(n.base + "readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-n.wait:
			b, _ := os.ReadFile(n.logs)
			n.t.Fatalf("%s exited before it was ready: %v\n%s", n.name, err, tail(b))
		case <-time.After(100 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(n.logs)
	n.t.Fatalf("%s not ready within %v\n%s", n.name, within, tail(b))
}

// kill sends SIGKILL: no graceful shutdown, in-flight requests lost.
func (n *gatehouseNode) kill() {
	n.up.Store(false)
	n.mu.Lock()
	cmd, wait := n.cmd, n.wait
	n.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-wait
}

// stop ends the process gracefully (SIGTERM), then by force.
func (n *gatehouseNode) stop() {
	n.up.Store(false)
	n.mu.Lock()
	cmd, wait := n.cmd, n.wait
	n.mu.Unlock()
	if cmd == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-wait:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-wait
	}
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// loadBalancer is the cluster's public address (the issuer): round robin over the nodes believed
// up, as the example's Caddy does with its health checks, passing the client address on in
// X-Forwarded-For.
func startLoadBalancer(t *testing.T, addr string, nodes []*gatehouseNode) {
	t.Helper()
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			for range len(nodes) {
				n := nodes[next.Add(1)%uint64(len(nodes))]
				if n.up.Load() {
					u, _ := url.Parse(n.base)
					r.SetURL(u)
					r.SetXForwarded()
					r.Out.Host = r.In.Host
					return
				}
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = fmt.Fprintf(w, `{"error":"bad_gateway"}`)
		},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// startCluster starts the database proxy, three nodes on it and the load balancer.
func startCluster(t *testing.T, schemaURL string) (nodes []*gatehouseNode, issuer string, proxy *dbProxy, bin string, env []string) {
	t.Helper()
	bin = buildGatehouse(t)
	dir := t.TempDir()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 3)
	}
	keyFile := filepath.Join(dir, "master.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy = startProxy(t, "127.0.0.1:"+portInRange(t), u.Host)
	u.Host = proxy.addr
	lbAddr := "127.0.0.1:" + portInRange(t)
	issuer = "http://" + lbAddr + "/"
	// What differs from deploy/gatehouse.yaml on this machine: addresses, the key file, and the
	// limits a load from one address would hit (the example's are per client address).
	env = []string{
		"GATEHOUSE_ISSUER=" + issuer,
		"GATEHOUSE_DATABASE=" + u.String(),
		"GATEHOUSE_MASTER_KEY_FILE=" + keyFile,
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32",
		"GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE=0",
		"GATEHOUSE_RATE_LIMITS_MANAGEMENT_PER_CLIENT=100000",
		"GATEHOUSE_LOG_LEVEL=warn",
		"GOMAXPROCS=1",
		// The test's log-stream receiver is on loopback, as a SIEM on the internal network would be
		// on a private address.
		"GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS=true",
	}
	for i := range 3 {
		port := portInRange(t)
		n := &gatehouseNode{t: t, name: fmt.Sprintf("node%d", i+1), bin: bin,
			env:  append(append([]string{}, env...), "GATEHOUSE_ADDR=127.0.0.1:"+port, "GATEHOUSE_METRICS_ADDR=127.0.0.1:"+portInRange(t)),
			base: "http://127.0.0.1:" + port + "/", logs: filepath.Join(dir, fmt.Sprintf("node%d.log", i+1))}
		nodes = append(nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	nodes[0].start() // migrates the fresh schema
	for _, n := range nodes[1:] {
		n.start()
	}
	startLoadBalancer(t, lbAddr, nodes)
	return nodes, issuer, proxy, bin, env
}

var errNoNode = errors.New("no node up")

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
