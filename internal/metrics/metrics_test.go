package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/internal/metrics"
)

func TestRecorder(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := metrics.New(reg)
	r.TokenIssued("client_credentials", "c1")
	r.TokenIssued("client_credentials", "c1")
	r.TokenIssued("refresh_token", "c2")
	r.SignIn(metrics.SignInWrongPassword)
	r.RateLimited("token_ip")
	r.ChangeNotified("clients")
	r.ChangeListener(true)
	mfs, err := reg.Gather()
	series := 0
	for _, mf := range mfs {
		series += len(mf.GetMetric())
	}
	if err != nil || series != 6 {
		t.Fatalf("%d series (%v), want 6", series, err)
	}
	want := map[string]float64{"gatehouse_tokens_issued_total": 3, "gatehouse_signins_total": 1, "gatehouse_rate_limited_total": 1,
		"gatehouse_change_notifications_total": 1}
	for name, v := range want {
		if got := sum(t, reg, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	var none *metrics.Recorder
	none.TokenIssued("x", "y")
	none.SignIn("x")
	none.RateLimited("x")
	none.ChangeNotified("x")
	none.ChangeListener(false)
	none.ActionRun("post-login", time.Millisecond, true)
	none.StoreCall("read", time.Millisecond)
	none.WatchPools(nil)
	none.WatchMailQueue(nil, nil)
}

func sum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// TestLogStreamMetrics: each stream's depth and lag (the oldest undelivered event's age) at each
// scrape; a stream with nothing behind has lag 0; a failed read is a scrape error, not a zero.
func TestLogStreamMetrics(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var fail error
	backlog := []metrics.LogStreamBacklog{
		{Stream: "lst_a", Status: "active", Depth: 7, Oldest: now.Add(-90 * time.Second)},
		{Stream: "lst_b", Status: "suspended", Depth: 0},
	}
	reg := prometheus.NewRegistry()
	metrics.New(reg).WatchLogStreams(func(context.Context) ([]metrics.LogStreamBacklog, error) { return backlog, fail },
		func() time.Time { return now })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += l.GetName() + "=" + l.GetValue() + ","
			}
			got[mf.GetName()+"{"+labels+"}"] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"gatehouse_log_stream_queue_depth{status=active,stream=lst_a,}":    7,
		"gatehouse_log_stream_lag_seconds{status=active,stream=lst_a,}":    90,
		"gatehouse_log_stream_queue_depth{status=suspended,stream=lst_b,}": 0,
		"gatehouse_log_stream_lag_seconds{status=suspended,stream=lst_b,}": 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v; all: %v", k, g, ok, v, got)
		}
	}
	fail = errors.New("database unreachable")
	if _, err := reg.Gather(); err == nil {
		t.Error("a failed backlog read gathered without an error")
	}
	var none *metrics.Recorder
	none.WatchLogStreams(nil, nil)
}
