package main

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is what a load run measured.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of every completed request, sorted
	byStatus  map[int]int     // completed requests by HTTP status
	transport int             // requests that got no HTTP answer
}

// newWorkers returns what each load worker runs: over plain HTTP the public documents get a lean
// client of their own per worker (rawget.go); every other scenario is shared by all workers.
func newWorkers(o options) func() (scenario, func()) {
	if leanGet(o) {
		return func() (scenario, func()) {
			g := newRawGetter(o)
			return g.get, g.close
		}
	}
	sc := scenarios[o.scenario](o)
	return func() (scenario, func()) { return sc, func() {} }
}

// load runs o.concurrency workers, each sending requests made by its own scenario from
// newWorker, round-robin over o.urls, until o.count requests were sent (when set) or
// o.duration passed, or ctx ends.
func load(ctx context.Context, c *http.Client, o options, newWorker func() (scenario, func())) result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.count == 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, o.duration)
		defer stop()
	}
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  = result{byStatus: map[int]int{}}
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range o.concurrency {
		wg.Add(1)
		sc, done := newWorker()
		go func() {
			defer wg.Done()
			defer done()
			var lat []time.Duration
			status := map[int]int{}
			failed := 0
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if o.count > 0 && i >= o.count {
					break
				}
				t0 := time.Now()
				code, err := sc(ctx, c, o.urls[i%len(o.urls)], i)
				if err != nil {
					if ctx.Err() == nil {
						failed++
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				status[code]++
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			for k, v := range status {
				res.byStatus[k] += v
			}
			res.transport += failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// percentile of sorted latencies (nearest rank); 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ok counts 2xx answers, and 304: the answer a revalidating client asked for.
func (r result) ok() int {
	n := 0
	for s, v := range r.byStatus {
		if s >= 200 && s < 300 || s == http.StatusNotModified {
			n += v
		}
	}
	return n
}
