package metrics_test

import (
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
