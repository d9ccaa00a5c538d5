package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSource reads a server's resident memory in bytes: from /proc/<pid>/status (VmRSS) for a
// process on this machine, or from process_resident_memory_bytes on its /metrics.
type rssSource func(ctx context.Context) (int64, error)

func procRSS(pid int) rssSource {
	path := fmt.Sprintf("/proc/%d/status", pid)
	return func(context.Context) (int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return parseVmRSS(f)
	}
}

// parseVmRSS reads the VmRSS line of a /proc/<pid>/status ("VmRSS:	  31520 kB").
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (a kernel thread, or the process has ended)")
}

func metricsRSS(c *http.Client, url, token string) rssSource {
	return func(ctx context.Context) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s: %s", url, resp.Status)
		}
		return parseMetricsRSS(resp.Body)
	}
}

// parseMetricsRSS reads process_resident_memory_bytes from the Prometheus text format.
func parseMetricsRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, err
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no process_resident_memory_bytes in the metrics")
}

// rssSampler samples a server's RSS every interval until stopped.
type rssSampler struct {
	mu      sync.Mutex
	samples []int64
	errs    int
	cancel  context.CancelFunc
	done    chan struct{}
}

func sampleRSS(ctx context.Context, src rssSource, every time.Duration) *rssSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &rssSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			v, err := src(ctx)
			s.mu.Lock()
			if err == nil {
				s.samples = append(s.samples, v)
			} else if ctx.Err() == nil {
				s.errs++
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns what it saw.
func (s *rssSampler) stop() rssStats {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return newRSSStats(s.samples, s.errs)
}

// rssStats summarises samples taken in order. The first tenth of them is the warm-up (a server
// grows from idle to its working set as the load starts): drift compares the median of the second
// tenth with the median of the last tenth, and flat judges the samples after the warm-up. min,
// median and max are over every sample.
type rssStats struct {
	n                int
	errors           int
	min, median, max int64
	first, final     int64 // medians of the second and the last tenth
	steadyMin        int64 // after the warm-up
	steadyMax        int64
	steadyMedian     int64
}

func newRSSStats(samples []int64, errs int) rssStats {
	st := rssStats{n: len(samples), errors: errs}
	if len(samples) == 0 {
		return st
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	st.min, st.max, st.median = sorted[0], sorted[len(sorted)-1], median(sorted)
	tenth := len(samples) / 10
	steady := samples[tenth:]
	if tenth == 0 {
		tenth = 1
	}
	st.first = median(steady[:min(tenth, len(steady))])
	st.final = median(samples[len(samples)-tenth:])
	st.steadyMedian = median(steady)
	st.steadyMin, st.steadyMax = slices.Min(steady), slices.Max(steady)
	return st
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func (st rssStats) drift() float64 {
	if st.first == 0 {
		return 0
	}
	return float64(st.final-st.first) / float64(st.first)
}

// flat reports whether every sample after the warm-up stayed within ±10% of their median.
func (st rssStats) flat() bool {
	m := float64(st.steadyMedian)
	return st.n > 0 && float64(st.steadyMax) <= 1.1*m && float64(st.steadyMin) >= 0.9*m
}

// mb is a size in MiB (2^20 bytes), the unit of the memory targets.
func mb(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func (st rssStats) String() string {
	if st.n == 0 {
		return fmt.Sprintf("no samples (%d failed reads)", st.errors)
	}
	return fmt.Sprintf("min %s  median %s  max %s  drift %+.1f%% (second tenth %s, last tenth %s), %d samples, after the first tenth within ±10%% of their median: %v",
		mb(st.min), mb(st.median), mb(st.max), 100*st.drift(), mb(st.first), mb(st.final), st.n, st.flat())
}
