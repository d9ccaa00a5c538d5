package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report prints one run: the load's figures and, for a token scenario, the ratio of 2xx answers a
// second to the raw signing rate measured just before and just after it.
func report(w io.Writer, o options, r result, before, after float64, workers int) {
	rate := float64(len(r.latencies)) / r.elapsed.Seconds()
	okRate := float64(r.ok()) / r.elapsed.Seconds()
	fmt.Fprintf(w, "scenario     %s against %d node(s) over %s, c=%d, %s\n", o.scenario, len(o.urls), transport(o.urls), o.concurrency, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "requests     %d answered, %.0f req/s (%.0f 2xx/s)\n", len(r.latencies), rate, okRate)
	fmt.Fprintf(w, "latency      p50 %s  p95 %s  p99 %s\n", ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 95)), ms(percentile(r.latencies, 99)))
	statuses := make([]int, 0, len(r.byStatus))
	for s := range r.byStatus {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	fmt.Fprint(w, "status      ")
	for _, s := range statuses {
		fmt.Fprintf(w, " %d×%d", s, r.byStatus[s])
	}
	fmt.Fprintf(w, "\nerrors       %d without an answer, %d non-2xx\n", r.transport, len(r.latencies)-r.ok())
	raw := (before + after) / 2
	fmt.Fprintf(w, "raw RS256    %.0f signatures/s on %d cores (%.0f before, %.0f after)\n", raw, workers, before, after)
	if o.scenario == "client_credentials" && raw > 0 {
		fmt.Fprintf(w, "ratio        %.2f× the raw signing rate\n", okRate/raw)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// transport names what the requests travel over: HTTPS and plain HTTP are reported apart.
func transport(urls []string) string {
	https := 0
	for _, u := range urls {
		if strings.HasPrefix(strings.ToLower(u), "https:") {
			https++
		}
	}
	switch https {
	case 0:
		return "HTTP"
	case len(urls):
		return "HTTPS"
	}
	return "HTTP and HTTPS"
}
