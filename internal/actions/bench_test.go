package actions_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func BenchmarkPostLoginGuideAction(b *testing.B) {
	rt := actions.NewRuntime(actions.Options{})
	bound := []actions.Bound{{ActionID: "a", Name: "Add roles", Program: MustCompile(b, rt, "Add roles", guideCode(b), actions.TriggerPostLogin)}}
	ev := loginEvent("admin", "user")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RunPostLogin(ctx, bound, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostLoginFetch is what one fetch to a loopback server adds to a post-login Action: each
// iteration runs the guide's Action alone, the same Action with one fetch, and one plain Go request
// to the same server (the server's time and the loopback round trip, the floor). fetch-added-ms is
// the median of (with fetch − without − the plain request); the budget is 2 ms.
func BenchmarkPostLoginFetch(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"id":"auth0|123"}`)
	}))
	defer srv.Close()
	rt := actions.NewRuntime(actions.Options{})
	plain := []actions.Bound{{ActionID: "a", Name: "Add roles", Program: MustCompile(b, rt, "Add roles", guideCode(b), actions.TriggerPostLogin)}}
	sync := MustCompile(b, rt, "Sync", `exports.onExecutePostLogin = async (event, api) => {
  const r = await fetch(event.secrets.URL, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: event.user.user_id, email: event.user.email }) });
  if (!(await r.json()).ok) api.access.deny('sync failed');
};`, actions.TriggerPostLogin)
	withFetch := append(slices.Clone(plain), actions.Bound{ActionID: "s", Name: "Sync", Program: sync,
		Secrets: map[string]string{"URL": srv.URL}, FetchAllowHosts: []string{"127.0.0.1"}})
	ev := loginEvent("admin", "user")
	ctx := context.Background()
	client := &http.Client{}
	var added, floor []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := rt.RunPostLogin(ctx, plain, ev); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := rt.RunPostLogin(ctx, withFetch, ev)
		if err != nil || res.Denied != nil {
			b.Fatal(err, res)
		}
		t2 := time.Now()
		resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"user_id":"auth0|123"}`))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t3 := time.Now()
		floor = append(floor, t3.Sub(t2))
		added = append(added, t2.Sub(t1)-t1.Sub(t0)-t3.Sub(t2))
	}
	slices.Sort(added)
	slices.Sort(floor)
	b.ReportMetric(float64(added[len(added)/2].Microseconds())/1000, "fetch-added-ms")
	b.ReportMetric(float64(floor[len(floor)/2].Microseconds())/1000, "plain-request-ms")
}
