package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tgatehouse\nVmPeak:\t  900000 kB\nVmRSS:\t   31520 kB\nThreads:\t9\n"
	if v, err := parseVmRSS(strings.NewReader(status)); err != nil || v != 31520<<10 {
		t.Errorf("VmRSS = %d, %v", v, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseMetricsRSS(t *testing.T) {
	m := "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 3.3259520e+07\n"
	if v, err := parseMetricsRSS(strings.NewReader(m)); err != nil || v != 33259520 {
		t.Errorf("RSS = %d, %v", v, err)
	}
	if _, err := parseMetricsRSS(strings.NewReader("go_goroutines 9\n")); err == nil {
		t.Error("metrics without the RSS accepted")
	}
}

// TestRSSStats: min, median, max over every sample; the first tenth is the warm-up, and drift
// compares the second tenth with the last.
func TestRSSStats(t *testing.T) {
	s := []int64{50, 50} // warm-up: from idle
	for i := range 18 {
		s = append(s, int64(100+i)) // 100..117
	}
	st := newRSSStats(s, 1)
	if st.n != 20 || st.min != 50 || st.max != 117 || st.median != 108 || st.first != 101 || st.final != 117 || st.errors != 1 {
		t.Errorf("%+v", st)
	}
	if d := st.drift(); d < 0.158 || d > 0.159 {
		t.Errorf("drift %v", d)
	}
	if !st.flat() {
		t.Error("100..117 after the warm-up is within ±10% of its median")
	}
	var grows []int64
	for i := range 20 {
		grows = append(grows, int64(100+10*i))
	}
	if newRSSStats(grows, 0).flat() {
		t.Error("a steady climb counted as flat")
	}
	if newRSSStats(nil, 3).String() != "no samples (3 failed reads)" {
		t.Error(newRSSStats(nil, 3).String())
	}
	if one := newRSSStats([]int64{7}, 0); one.first != 7 || one.final != 7 || !one.flat() {
		t.Errorf("one sample: %+v", one)
	}
}

// TestRunSamplesRSS: a run given -rss-pid prints the server's RSS; the node runs in this process.
func TestRunSamplesRSS(t *testing.T) {
	tenant := startNode(t, 0)
	out := mustRun(t, "-tenant", tenant, "-scenario", "jwks", "-n", "200", "-c", "2", "-raw", "50ms",
		"-rss-pid", strconv.Itoa(os.Getpid()), "-rss-every", "10ms")
	wantLines(t, out, "over HTTP, c=2", "server RSS   min ", " median ", " drift ", " samples")
	self, err := procRSS(os.Getpid())(context.Background())
	if err != nil || self < 1<<20 {
		t.Errorf("own RSS %d, %v", self, err)
	}
	if _, err := procRSS(1 << 30)(context.Background()); err == nil {
		t.Error("RSS of a process that does not exist")
	}
}

func TestSuiteParse(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-gatehouse", "gh", "-d", "0s"},
		{"-gatehouse", "gh", "-nodes", "1"},
		{"-gatehouse", "gh", "-postgres", "mysql://x"},
		{"-gatehouse", "gh", "extra"},
	} {
		if _, err := parseSuite(args, io.Discard); err == nil {
			t.Errorf("parseSuite(%v) accepted", args)
		}
	}
	s, err := parseSuite([]string{"-gatehouse", "gh", "-postgres", "postgres://u@h/db", "-soak", "0"}, io.Discard)
	if err != nil || s.soak != 0 || s.d != 10*time.Second || s.nodes != 3 {
		t.Errorf("%+v %v", s, err)
	}
}
