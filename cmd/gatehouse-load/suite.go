package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// The suite runs every figure of the README's Performance section end to end: it starts the
// servers itself (`gatehouse dev` and `gatehouse serve` on SQLite, then on PostgreSQL when given
// a database), measures each scenario with the raw RS256 signing rate of this machine timed just
// before and after it, samples the servers' RSS, and prints one table. Every run's full report is
// printed as it finishes, so the table can be checked against it.
//
//	gatehouse-load suite -gatehouse ./gatehouse -postgres 'postgres://…' -d 15s -soak 10m

type suiteOptions struct {
	bin      string
	postgres string
	work     string
	d        time.Duration
	soak     time.Duration
	flood    time.Duration
	raw      time.Duration
	settle   time.Duration
	nodes    int
	nodeCPU  float64
}

func parseSuite(args []string, out io.Writer) (suiteOptions, error) {
	var s suiteOptions
	fs := flag.NewFlagSet("gatehouse-load suite", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&s.bin, "gatehouse", "", "the gatehouse binary to start (required)")
	fs.StringVar(&s.postgres, "postgres", "", "a PostgreSQL URL: adds the PostgreSQL and three-node figures (a schema of its own is created and dropped)")
	fs.StringVar(&s.work, "work", "", "directory for the servers' data and logs (default: a new temporary directory, removed afterwards)")
	fs.DurationVar(&s.d, "d", 10*time.Second, "duration of each load figure")
	fs.DurationVar(&s.soak, "soak", 10*time.Minute, "duration of the soak (0 skips it)")
	fs.DurationVar(&s.flood, "flood", 15*time.Second, "duration of the wrong-password flood")
	fs.DurationVar(&s.raw, "raw", 2*time.Second, "how long to time raw RS256 signing before and after each figure")
	fs.DurationVar(&s.settle, "settle", 5*time.Second, "wait after a server is ready before reading its idle RSS")
	fs.IntVar(&s.nodes, "nodes", 3, "nodes in the scaling figure")
	fs.Float64Var(&s.nodeCPU, "node-cpu", 0.4, "each serve node's CPU quota in the scaling figures, a fraction of one core (cgroup; 0: GOMAXPROCS=1 alone)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case fs.NArg() > 0:
		return s, fmt.Errorf("unexpected arguments %q", fs.Args())
	case s.bin == "":
		return s, errors.New("suite: -gatehouse is required")
	case s.d <= 0 || s.flood <= 0 || s.raw <= 0 || s.soak < 0 || s.settle < 0:
		return s, errors.New("suite: durations must be positive")
	case s.nodes < 2:
		return s, errors.New("suite: -nodes must be at least 2")
	case s.nodeCPU < 0 || s.nodeCPU > 1:
		return s, errors.New("suite: -node-cpu must be between 0 and 1")
	}
	if s.postgres != "" && !strings.HasPrefix(s.postgres, "postgres://") && !strings.HasPrefix(s.postgres, "postgresql://") {
		return s, errors.New("suite: -postgres must be a postgres:// URL")
	}
	return s, nil
}

// row is one line of the final table.
type row struct {
	figure, target, measured, raw, note string
}

type suite struct {
	suiteOptions
	out    io.Writer
	rows   []row
	failed int
}

func (s *suite) add(r row) {
	s.rows = append(s.rows, r)
	fmt.Fprintf(s.out, "==> %s: %s %s %s\n", r.figure, r.measured, r.raw, r.note)
}

func (s *suite) fail(figure string, err error) {
	s.failed++
	s.add(row{figure: figure, measured: "—", note: "failed: " + err.Error()})
}

func runSuite(ctx context.Context, args []string, out io.Writer) error {
	so, err := parseSuite(args, out)
	if err != nil {
		return err
	}
	if so.bin, err = filepath.Abs(so.bin); err != nil {
		return err
	}
	if so.work == "" {
		if so.work, err = os.MkdirTemp("", "gatehouse-suite-"); err != nil {
			return err
		}
		defer os.RemoveAll(so.work)
	} else if err := os.MkdirAll(so.work, 0o700); err != nil {
		return err
	}
	s := &suite{suiteOptions: so, out: out}
	fmt.Fprintf(out, "suite        %s, %d CPUs, GOMAXPROCS %d, load average at start %s\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOMAXPROCS(0), loadavg())
	s.sqlite(ctx)
	if s.postgres != "" {
		s.postgresFigures(ctx)
	}
	fmt.Fprintf(out, "\nload average at the end %s\n\n", loadavg())
	s.table()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.failed > 0 {
		return fmt.Errorf("%d figure(s) failed", s.failed)
	}
	return nil
}

// loadavg is /proc/loadavg's first three fields, or "unknown".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func (s *suite) table() {
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Figure\tTarget\tMeasured\tRaw RS256 (same run)\tNote")
	fmt.Fprintln(tw, "------\t------\t--------\t--------------------\t----")
	for _, r := range s.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.figure, r.target, r.measured, r.raw, r.note)
	}
	_ = tw.Flush()
}

// measurement is one load run with its raw signing rate.
type measurement struct {
	res      result
	raw      float64
	rss      rssStats
	sampled  bool
	okRate   float64
	failures int
}

// measure runs one load the way the command does (raw rate before and after), printing its full
// report, and samples proc's RSS every rssEvery when proc is set.
func (s *suite) measure(ctx context.Context, o options, proc *process, rssEvery time.Duration) (measurement, error) {
	o.rawFor = s.raw
	c, err := o.client()
	if err != nil {
		return measurement{}, err
	}
	var sampler *rssSampler
	if proc != nil {
		sampler = sampleRSS(ctx, procRSS(proc.pid()), rssEvery)
	}
	workers := runtime.GOMAXPROCS(0)
	before := rawSignRate(ctx, o.rawFor, workers)
	res := load(ctx, c, o, newWorkers(o))
	after := rawSignRate(ctx, o.rawFor, workers)
	fmt.Fprintln(s.out)
	report(s.out, o, res, before, after, workers)
	m := measurement{res: res, raw: (before + after) / 2, okRate: float64(res.ok()) / res.elapsed.Seconds(),
		failures: res.transport + len(res.latencies) - res.ok()}
	if sampler != nil {
		m.rss, m.sampled = sampler.stop(), true
		fmt.Fprintf(s.out, "server RSS   %s\n", m.rss)
	}
	return m, ctx.Err()
}

func (m measurement) figures() string {
	r := m.res
	return fmt.Sprintf("%.0f req/s, p50 %s p99 %s, %d errors", m.okRate, ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)), m.failures)
}

func (m measurement) rawText() string {
	return fmt.Sprintf("%.0f/s (load %s)", m.raw, loadavg())
}

func (m measurement) ratio() string {
	if m.raw <= 0 {
		return "no raw rate"
	}
	return fmt.Sprintf("%.2f× raw", m.okRate/m.raw)
}

// tokenOptions are the client_credentials options for a tenant file and target URLs.
func tokenOptions(tenant string, urls []string, c int, d time.Duration) (options, error) {
	o := options{scenario: "client_credentials", concurrency: c, duration: d}
	if err := o.fromTenant(tenant, false); err != nil {
		return o, err
	}
	o.urls = urls
	return o, nil
}

// idleRSS reads a server's RSS once it has been ready for s.settle.
func (s *suite) idleRSS(ctx context.Context, p *process) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(s.settle):
	}
	return procRSS(p.pid())(ctx)
}

// idle reports a server's idle RSS as a figure.
func (s *suite) idle(ctx context.Context, figure string, p *process) {
	v, err := s.idleRSS(ctx, p)
	if err != nil {
		s.fail(figure, err)
		return
	}
	s.add(row{figure: figure, target: "≤ 40 MiB", measured: mb(v), note: fmt.Sprintf("%s after ready", s.settle)})
}

// firstStarts reads the idle RSS of three first starts of `gatehouse dev`, each on a new data
// directory (migrations, keys, the seeded tenant and its password hashes), and reports the median.
func (s *suite) firstStarts(ctx context.Context, env []string) {
	const figure = "idle RSS, first `gatehouse dev` (SQLite), median of 3 new data directories"
	var got []int64
	for i := range 3 {
		p, err := s.startDev(ctx, fmt.Sprintf("dev-sqlite-first-%d", i+1), filepath.Join(s.work, fmt.Sprintf("first-%d", i+1)), true, "", env)
		if err != nil {
			s.fail(figure, err)
			return
		}
		v, err := s.idleRSS(ctx, p)
		p.stop()
		if err != nil {
			s.fail(figure, err)
			return
		}
		got = append(got, v)
	}
	each := make([]string, len(got))
	for i, v := range got {
		each[i] = mb(v)
	}
	s.add(row{figure: figure, target: "≤ 40 MiB", measured: mb(median(got)), note: fmt.Sprintf("%s after ready; each: %s", s.settle, strings.Join(each, ", "))})
}

// sqlite runs the figures on a `gatehouse dev` data directory with SQLite.
func (s *suite) sqlite(ctx context.Context) {
	data := filepath.Join(s.work, "sqlite")
	noLimit := []string{"GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE=0"}
	s.firstStarts(ctx, noLimit)
	dev, err := s.startDev(ctx, "dev-sqlite", data, true, "", noLimit)
	if err != nil {
		s.fail("gatehouse dev (SQLite)", err)
		return
	}
	s.tokenFigures(ctx, dev, data)
	s.publicDocuments(ctx, dev)
	s.signinFlood(ctx, dev)
	dev.stop()
	if ctx.Err() != nil {
		return
	}

	if dev, err = s.startDev(ctx, "dev-sqlite-restart", data, true, "", noLimit); err != nil {
		s.fail("gatehouse dev restart", err)
	} else {
		s.idle(ctx, "idle RSS, `gatehouse dev` restarted", dev)
		dev.stop()
	}

	serve, err := s.start(ctx, "serve-sqlite", []string{"serve", "--data", data}, noLimit, "http", nil)
	if err != nil {
		s.fail("gatehouse serve (SQLite)", err)
	} else {
		s.idle(ctx, "idle RSS, `gatehouse serve` (SQLite)", serve)
		serve.stop()
	}

	if dev, err = s.startDev(ctx, "dev-sqlite-https", data, false, "", noLimit); err != nil {
		s.fail("gatehouse dev over HTTPS", err)
	} else {
		if o, err := tokenOptions(dev.tenant, []string{dev.base}, 16, s.d); err != nil {
			s.fail("client_credentials HTTPS c=16", err)
		} else if m, err := s.measure(ctx, o, dev, 250*time.Millisecond); err == nil {
			s.add(row{figure: "client_credentials, SQLite, HTTPS, c=16", target: "≥ 0.7× raw, 0 errors", measured: m.figures(), raw: m.rawText(), note: m.ratio()})
		}
		dev.stop()
	}

	if s.soak > 0 && ctx.Err() == nil {
		if dev, err = s.startDev(ctx, "dev-sqlite-soak", data, true, "", noLimit); err != nil {
			s.fail("soak", err)
			return
		}
		defer dev.stop()
		o, err := tokenOptions(dev.tenant, []string{dev.base}, 16, s.soak)
		if err != nil {
			s.fail("soak", err)
			return
		}
		m, err := s.measure(ctx, o, dev, 5*time.Second)
		if err != nil {
			s.fail("soak", err)
			return
		}
		s.add(row{figure: fmt.Sprintf("soak: client_credentials c=16 for %s, RSS every 5 s", s.soak), target: "flat ±10%, ≤ 100 MiB",
			measured: fmt.Sprintf("RSS min %s median %s max %s, drift %+.1f%%", mb(m.rss.min), mb(m.rss.median), mb(m.rss.max), 100*m.rss.drift()),
			raw:      m.rawText(), note: fmt.Sprintf("%s; within ±10%% of the median: %v", m.figures(), m.rss.flat())})
	}
}

// tokenFigures: client_credentials at c=16 (with the RSS peak and the database's growth per
// token) and at c=4 (latency).
func (s *suite) tokenFigures(ctx context.Context, dev *process, data string) {
	o, err := tokenOptions(dev.tenant, []string{dev.base}, 16, s.d)
	if err != nil {
		s.fail("client_credentials", err)
		return
	}
	db := filepath.Join(data, "gatehouse.db")
	before := fileSizes(db, db+"-wal")
	m, err := s.measure(ctx, o, dev, 250*time.Millisecond)
	if err != nil {
		return
	}
	// Let the batched tenant-log writer finish before reading the files.
	time.Sleep(time.Second)
	grown := fileSizes(db, db+"-wal") - before
	s.add(row{figure: "client_credentials, SQLite, HTTP, c=16", target: "≥ 0.7× raw, 0 errors", measured: m.figures(), raw: m.rawText(), note: m.ratio()})
	s.add(row{figure: "RSS peak at the c=16 token load", target: "≤ 100 MiB", measured: mb(m.rss.max), note: fmt.Sprintf("%d samples every 250 ms", m.rss.n)})
	if ok := m.res.ok(); ok > 0 {
		s.add(row{figure: "SQLite growth per token (database + WAL)", measured: fmt.Sprintf("%.0f bytes", float64(grown)/float64(ok)), note: fmt.Sprintf("%d tokens", ok)})
	}
	o.concurrency = 4
	if m, err = s.measure(ctx, o, nil, 0); err == nil {
		s.add(row{figure: "client_credentials, SQLite, HTTP, c=4", target: "p99 < 25 ms", measured: m.figures(), raw: m.rawText(), note: m.ratio()})
	}
}

func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (s *suite) publicDocuments(ctx context.Context, dev *process) {
	for _, sc := range []string{"jwks", "discovery", "jwks_revalidate"} {
		o := options{scenario: sc, urls: []string{dev.base}, concurrency: 16, duration: s.d}
		m, err := s.measure(ctx, o, nil, 0)
		if err != nil {
			return
		}
		s.add(row{figure: sc + ", c=16", target: "≥ 20,000 req/s", measured: m.figures(), raw: m.rawText()})
	}
}

// signinFlood: 200 concurrent wrong passwords with client_credentials at c=4 beside them; the
// server's RSS sampled every 250 ms.
func (s *suite) signinFlood(ctx context.Context, dev *process) {
	flood := options{scenario: "signin_flood", urls: []string{dev.base}, concurrency: 200, duration: s.flood}
	if err := flood.fromTenant(dev.tenant, false); err != nil {
		s.fail("sign-in flood", err)
		return
	}
	tokens, err := tokenOptions(dev.tenant, []string{dev.base}, 4, s.flood)
	if err != nil {
		s.fail("sign-in flood", err)
		return
	}
	fc, err := flood.client()
	if err != nil {
		s.fail("sign-in flood", err)
		return
	}
	tc, err := tokens.client()
	if err != nil {
		s.fail("sign-in flood", err)
		return
	}
	sampler := sampleRSS(ctx, procRSS(dev.pid()), 250*time.Millisecond)
	done := make(chan result, 1)
	go func() { done <- load(ctx, tc, tokens, newWorkers(tokens)) }()
	fr := load(ctx, fc, flood, newWorkers(flood))
	tr := <-done
	rss := sampler.stop()
	fmt.Fprintln(s.out)
	report(s.out, flood, fr, 0, 0, runtime.GOMAXPROCS(0))
	report(s.out, tokens, tr, 0, 0, runtime.GOMAXPROCS(0))
	fmt.Fprintf(s.out, "server RSS   %s\n", rss)
	s.add(row{figure: "200 concurrent wrong passwords: server RSS peak", target: "< 300 MiB", measured: mb(rss.max),
		note: fmt.Sprintf("answers %s, %d without an answer", statusText(fr.byStatus), fr.transport)})
	s.add(row{figure: "client_credentials c=4 during the flood", target: "keeps serving", measured: fmt.Sprintf("%d answered, p99 %s", len(tr.latencies), ms(percentile(tr.latencies, 99))),
		note: fmt.Sprintf("answers %s, %d without an answer", statusText(tr.byStatus), tr.transport)})
}

func statusText(by map[int]int) string {
	var parts []string
	for code := 100; code < 600; code++ {
		if n := by[code]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d×%d", code, n))
		}
	}
	return strings.Join(parts, " ")
}

// httpGet is a GET whose status is all that matters.
func httpGet(ctx context.Context, c *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
