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
	budget *cpuBudget // its CPU quota, when it has one
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
	if p.budget != nil {
		p.budget.remove()
	}
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

// start runs the gatehouse binary with args and env (GATEHOUSE_ADDR is set to a free port), inside
// budget when one is given, and waits until /readyz answers 200. Its output goes to
// <work>/<name>.log.
func (s *suite) start(ctx context.Context, name string, args, env []string, scheme string, budget *cpuBudget) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return s.startAt(ctx, name, addr, args, append(env, "GATEHOUSE_ADDR="+addr), scheme, "", budget)
}

func (s *suite) startAt(ctx context.Context, name, addr string, args, env []string, scheme, tenant string, budget *cpuBudget) (*process, error) {
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
	p := &process{name: name, cmd: cmd, base: scheme + "://" + addr + "/", tenant: tenant, exited: make(chan error, 1), log: logf, budget: budget}
	go func() { p.exited <- cmd.Wait() }()
	if budget != nil {
		if err := budget.add(p.pid()); err != nil {
			p.stop()
			return nil, fmt.Errorf("%s: CPU budget: %w", name, err)
		}
	}
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
	return s.startAt(ctx, name, addr, args, env, scheme, filepath.Join(data, "dev-tenant.json"), nil)
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
// node and s.nodes of them with GOMAXPROCS=1 each and, where the machine allows, the same CPU
// quota each (cpubudget.go), and one node with the per-address token limit counted (the shared
// limiter's cost).
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
	// Each node's budget: GOMAXPROCS=1 and, when a quota can be set, s.nodeCPU of a core.
	budgetText := "GOMAXPROCS=1"
	if s.nodeCPU > 0 {
		if b, err := newCPUBudget("probe", s.nodeCPU); err != nil {
			fmt.Fprintf(s.out, "cpu budget   none (%v): GOMAXPROCS=1 alone, the nodes share the machine's cores\n", err)
			s.nodeCPU = 0
		} else {
			b.remove()
			budgetText = fmt.Sprintf("GOMAXPROCS=1 and %.2f of a core (cgroup quota)", s.nodeCPU)
		}
	}
	var throttled float64 // seconds the nodes' quotas held them back, per figure
	startNodes := func(n int, limit string, budgeted bool) ([]*process, error) {
		var nodes []*process
		throttled = 0
		for i := range n {
			name := fmt.Sprintf("serve-postgres-%d-of-%d-limit-%s", i+1, n, limit)
			var budget *cpuBudget
			if budgeted && s.nodeCPU > 0 {
				var err error
				if budget, err = newCPUBudget(fmt.Sprintf("node%d", i+1), s.nodeCPU); err != nil {
					stopAllNodes(nodes)
					return nil, err
				}
			}
			p, err := s.start(ctx, name, []string{"serve"}, nodeEnv(limit), "http", budget)
			if err != nil {
				if budget != nil {
					budget.remove()
				}
				stopAllNodes(nodes)
				return nil, err
			}
			nodes = append(nodes, p)
		}
		return nodes, nil
	}
	stopAll := func(nodes []*process) {
		for _, p := range nodes {
			if p.budget != nil {
				throttled += p.budget.throttled()
			}
		}
		stopAllNodes(nodes)
	}
	bases := func(nodes []*process) []string {
		var u []string
		for _, p := range nodes {
			u = append(u, p.base)
		}
		return u
	}

	one, err := startNodes(1, "0", true)
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
	throttledOne := throttled
	s.add(row{figure: "one `serve` node, " + budgetText + ", PostgreSQL, c=16", measured: m1.figures(), raw: m1.rawText(),
		note: m1.ratio() + throttledText(s.nodeCPU, throttledOne, 1)})

	many, err := startNodes(s.nodes, "0", true)
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
	s.add(row{figure: fmt.Sprintf("%d `serve` nodes, %s each, c=16 round robin", s.nodes, budgetText), target: "≥ 1.8× one node",
		measured: mn.figures(), raw: mn.rawText(), note: scale + fmt.Sprintf(" (%d CPUs on this machine)", runtime.NumCPU()) + throttledText(s.nodeCPU, throttled, s.nodes)})

	// The per-address limit counted in the database (leases of 60), set out of reach, against the
	// same node without it: one node without a quota, at c=4, where p50 is a request's own time
	// rather than its wait in a saturated queue.
	limiterRun := func(limit string) (measurement, error) {
		nodes, err := startNodes(1, limit, false)
		if err != nil {
			return measurement{}, err
		}
		defer stopAll(nodes)
		lo, err := tokenOptions(tenant, bases(nodes), 4, s.d)
		if err != nil {
			return measurement{}, err
		}
		return s.measure(ctx, lo, nil, 0)
	}
	m0, err := limiterRun("0")
	if err != nil {
		s.fail("one node without the per-address limit", err)
		return
	}
	ml, err := limiterRun("1000000000")
	if err != nil {
		s.fail("one node with the per-address limit", err)
		return
	}
	s.add(row{figure: "one node, GOMAXPROCS=1, c=4, without / with the per-address token limit counted (shared limiter)", target: "< 1 ms p50 added",
		measured: m0.figures() + " / " + ml.figures(), raw: ml.rawText(),
		note: fmt.Sprintf("p50 %+.2f ms with the limiter", float64(percentile(ml.res.latencies, 50)-percentile(m0.res.latencies, 50))/1e6)})
}

func stopAllNodes(nodes []*process) {
	for _, p := range nodes {
		p.stop()
	}
}

// throttledText says how long, per node, the quota held the nodes back during a figure: a quota
// that never bit budgeted nothing.
func throttledText(share, seconds float64, nodes int) string {
	if share <= 0 {
		return ""
	}
	return fmt.Sprintf("; quota held each node back %.1f s", seconds/float64(nodes))
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
