package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// process is a gatehouse server the suite started.
type process struct {
	name   string
	cmd    *exec.Cmd
	base   string // http(s)://127.0.0.1:port/
	tenant string // dev-tenant.json, for dev
	exited chan error
	log    *os.File
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for the drain (20 s at most), then kills.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	_ = p.log.Close()
}

// freeAddr is a loopback address with a port free at the time of asking.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs the gatehouse binary with args and env (GATEHOUSE_ADDR is set to a free port) and
// waits until /readyz answers 200. Its output goes to <work>/<name>.log.
func (s *suite) start(ctx context.Context, name string, args, env []string, scheme string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return s.startAt(ctx, name, addr, args, append(env, "GATEHOUSE_ADDR="+addr), scheme, "")
}

func (s *suite) startAt(ctx context.Context, name, addr string, args, env []string, scheme, tenant string) (*process, error) {
	logf, err := os.Create(filepath.Join(s.work, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &process{name: name, cmd: cmd, base: scheme + "://" + addr + "/", tenant: tenant, exited: make(chan error, 1), log: logf}
	go func() { p.exited <- cmd.Wait() }()
	if err := s.waitReady(ctx, p); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w (see %s)", name, err, logf.Name())
	}
	fmt.Fprintf(s.out, "started      %s (pid %d) at %s\n", name, p.pid(), p.base)
	return p, nil
}

// startDev runs `gatehouse dev` on data (plain HTTP when http), on database when given.
func (s *suite) startDev(ctx context.Context, name, data string, http bool, database string, env []string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"dev", "--addr", addr, "--data", data}
	scheme := "https"
	if http {
		args, scheme = append(args, "--http"), "http"
	}
	if database != "" {
		args = append(args, "--database", database)
	}
	return s.startAt(ctx, name, addr, args, env, scheme, filepath.Join(data, "dev-tenant.json"))
}

func (s *suite) waitReady(ctx context.Context, p *process) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		o := options{concurrency: 1}
		if p.tenant != "" {
			if _, err := os.Stat(p.tenant); err != nil {
				continue
			}
			if strings.HasPrefix(p.base, "https:") {
				if err := o.fromTenant(p.tenant, false); err != nil {
					continue
				}
			}
		}
		c, err := o.client()
		if err != nil {
			return err
		}
		if code, err := httpGet(ctx, c, p.base+"readyz"); err == nil && code == 200 {
			return nil
		}
	}
	return errors.New("not ready within 2 minutes")
}

// postgresFigures: client_credentials on PostgreSQL through `gatehouse dev`, then one `serve`
// node and s.nodes of them with GOMAXPROCS=1 each (a core budget of one per node), and one node
// with the per-address token limit counted (the shared limiter's cost).
func (s *suite) postgresFigures(ctx context.Context) {
	dbURL, drop, err := s.schema(ctx)
	if err != nil {
		s.fail("PostgreSQL schema", err)
		return
	}
	defer drop()
	data := filepath.Join(s.work, "postgres")
	noLimit := []string{"GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE=0"}
	dev, err := s.startDev(ctx, "dev-postgres", data, true, dbURL, noLimit)
	if err != nil {
		s.fail("gatehouse dev (PostgreSQL)", err)
		return
	}
	tenant := dev.tenant
	if o, err := tokenOptions(tenant, []string{dev.base}, 16, s.d); err != nil {
		s.fail("client_credentials PostgreSQL", err)
	} else if m, err := s.measure(ctx, o, dev, 250*time.Millisecond); err == nil {
		s.add(row{figure: "client_credentials, PostgreSQL, HTTP, c=16", target: "≥ 0.75× raw, 0 errors", measured: m.figures(), raw: m.rawText(), note: m.ratio()})
	}
	dev.stop()
	if ctx.Err() != nil {
		return
	}

	issuer, err := tenantIssuer(tenant)
	if err != nil {
		s.fail("serve nodes", err)
		return
	}
	nodeEnv := func(limit string) []string {
		return []string{"GOMAXPROCS=1", "GATEHOUSE_DATABASE=" + dbURL, "GATEHOUSE_MASTER_KEY_FILE=" + filepath.Join(data, "master.key"),
			"GATEHOUSE_ISSUER=" + issuer, "GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE=" + limit}
	}
	startNodes := func(n int, limit string) ([]*process, error) {
		var nodes []*process
		for i := range n {
			p, err := s.start(ctx, fmt.Sprintf("serve-postgres-%d-of-%d-limit-%s", i+1, n, limit), []string{"serve"}, nodeEnv(limit), "http")
			if err != nil {
				for _, q := range nodes {
					q.stop()
				}
				return nil, err
			}
			nodes = append(nodes, p)
		}
		return nodes, nil
	}
	stopAll := func(nodes []*process) {
		for _, p := range nodes {
			p.stop()
		}
	}
	bases := func(nodes []*process) []string {
		var u []string
		for _, p := range nodes {
			u = append(u, p.base)
		}
		return u
	}

	one, err := startNodes(1, "0")
	if err != nil {
		s.fail("one serve node", err)
		return
	}
	o, err := tokenOptions(tenant, bases(one), 16, s.d)
	if err != nil {
		stopAll(one)
		s.fail("one serve node", err)
		return
	}
	m1, err := s.measure(ctx, o, nil, 0)
	stopAll(one)
	if err != nil {
		return
	}
	s.add(row{figure: "one `serve` node, GOMAXPROCS=1, PostgreSQL, c=16", measured: m1.figures(), raw: m1.rawText(), note: m1.ratio()})

	many, err := startNodes(s.nodes, "0")
	if err != nil {
		s.fail(fmt.Sprintf("%d serve nodes", s.nodes), err)
		return
	}
	o.urls = bases(many)
	mn, err := s.measure(ctx, o, nil, 0)
	stopAll(many)
	if err != nil {
		return
	}
	scale := "—"
	if m1.okRate > 0 {
		scale = fmt.Sprintf("%.2f× one node", mn.okRate/m1.okRate)
	}
	s.add(row{figure: fmt.Sprintf("%d `serve` nodes, GOMAXPROCS=1 each, c=16 round robin", s.nodes), target: "≥ 1.8× one node",
		measured: mn.figures(), raw: mn.rawText(), note: scale + fmt.Sprintf(" (%d CPUs on this machine)", runtime.NumCPU())})

	// The per-address limit counted in the database (leases of 60), set out of reach.
	limited, err := startNodes(1, "1000000000")
	if err != nil {
		s.fail("one node with the per-address limit", err)
		return
	}
	o.urls = bases(limited)
	ml, err := s.measure(ctx, o, nil, 0)
	stopAll(limited)
	if err != nil {
		return
	}
	s.add(row{figure: "one node, per-address token limit counted (shared limiter)", target: "< 1 ms p50 added",
		measured: ml.figures(), raw: ml.rawText(),
		note: fmt.Sprintf("p50 %+.2f ms against the same node without it", float64(percentile(ml.res.latencies, 50)-percentile(m1.res.latencies, 50))/1e6)})
}

// schema creates a schema of its own in the PostgreSQL database and returns a URL selecting it
// and a function that drops it.
func (s *suite) schema(ctx context.Context) (string, func(), error) {
	admin, err := postgres.Open(ctx, s.postgres, postgres.Options{MaxConns: 1})
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "measure_" + hex.EncodeToString(b)
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		if _, err := admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			fmt.Fprintf(s.out, "drop schema %s: %v\n", name, err)
		}
		admin.Close()
	}
	u, err := url.Parse(s.postgres)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func tenantIssuer(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var f struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Issuer == "" {
		return "", fmt.Errorf("%s: no issuer", path)
	}
	return f.Issuer, nil
}
