package logstream_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/logstream"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

var ctx = context.Background()

func engines(t *testing.T) map[string]store.Store {
	t.Helper()
	m := map[string]store.Store{"sqlite": sqlitetest.New(t, sqlite.Options{})}
	if os.Getenv(pgtest.URLEnv) != "" {
		m["postgres"] = pgtest.Open(t, pgtest.SchemaURL(t), postgres.Options{})
	}
	return m
}

// receiver is a log stream endpoint on loopback. It fails while failing > 0 (counting down), and
// records the log ids of every batch it accepted, in the order accepted. It notes any moment when
// two requests for one stream are in flight at once.
type receiver struct {
	srv      *httptest.Server
	failing  atomic.Int64
	fail     atomic.Bool // fail every request
	mu       sync.Mutex
	accepted []string
	headers  http.Header
	inFlight atomic.Int64
	overlaps atomic.Int64
	requests atomic.Int64
}

func newReceiver(t *testing.T, format string) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.requests.Add(1)
		if rc.inFlight.Add(1) > 1 {
			rc.overlaps.Add(1)
		}
		defer rc.inFlight.Add(-1)
		time.Sleep(2 * time.Millisecond) // widen the window a second sender would hit
		var ids []string
		switch format {
		case domain.FormatJSONArray:
			var items []struct {
				LogID string         `json:"log_id"`
				Data  map[string]any `json:"data"`
			}
			if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			for _, it := range items {
				if it.Data["log_id"] != it.LogID {
					http.Error(w, "data does not carry the log id", 400)
					return
				}
				ids = append(ids, it.LogID)
			}
		default:
			sc := bufio.NewScanner(r.Body)
			for sc.Scan() {
				var it struct {
					LogID string `json:"log_id"`
				}
				if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
					http.Error(w, err.Error(), 400)
					return
				}
				ids = append(ids, it.LogID)
			}
		}
		if rc.fail.Load() || rc.failing.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		rc.mu.Lock()
		rc.accepted = append(rc.accepted, ids...)
		rc.headers = r.Header.Clone()
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.accepted...)
}

func secrets(t *testing.T) *logstream.Secrets {
	s, err := logstream.NewSecrets(bytes.Repeat([]byte{7}, 32), netguard.Policy{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStream(t *testing.T, st store.Store, sec *logstream.Secrets, url, format string, filters ...domain.LogStreamFilter) *domain.LogStream {
	ls := &domain.LogStream{ID: domain.NewLogStreamID(), Name: "siem", Filters: filters,
		Sink: domain.LogStreamSink{HTTPEndpoint: url, HTTPContentFormat: format,
			HTTPCustomHeaders: []domain.HTTPHeader{{Header: "X-Tenant", Value: "acme"}}}}
	ls.ApplyDefaults()
	sealed, err := sec.Seal(ls.ID, "Bearer s3cret")
	if err != nil {
		t.Fatal(err)
	}
	ls.AuthorizationSealed = sealed
	if err := st.CreateLogStream(ctx, ls); err != nil {
		t.Fatal(err)
	}
	return ls
}

func appendEvents(t *testing.T, st store.Store, n int, typ func(i int) string) []string {
	var ids []string
	for i := 0; i < n; i++ {
		e := &domain.LogEvent{Type: typ(i), Description: fmt.Sprint("event ", i)}
		if err := st.AppendLog(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.LogID)
	}
	return ids
}

// TestDeliveryFailsThenRecovers: two nodes deliver one stream while its receiver fails its first
// requests, then recovers: every event arrives once, in order, with the stream's headers, and the
// two nodes never have a request in flight at once.
func TestDeliveryFailsThenRecovers(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			sec := secrets(t)
			rc := newReceiver(t, domain.FormatJSONLines)
			rc.failing.Store(3)
			newStream(t, st, sec, rc.srv.URL+"/in", domain.FormatJSONLines)
			want := appendEvents(t, st, 250, func(int) string { return "s" })
			nodes := []*logstream.Worker{
				{Store: st, Secrets: sec, Owner: "node-a", Batch: 40, Backoff: func(int) time.Duration { return time.Millisecond }},
				{Store: st, Secrets: sec, Owner: "node-b", Batch: 40, Backoff: func(int) time.Duration { return time.Millisecond }},
			}
			// More events arrive while delivery runs.
			var wg sync.WaitGroup
			var more []string
			wg.Add(1)
			go func() {
				defer wg.Done()
				more = appendEvents(t, st, 50, func(int) string { return "fp" })
			}()
			deadline := time.Now().Add(30 * time.Second)
			for _, n := range nodes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) && len(rc.got()) < 300 {
						n.Tick(ctx)
						time.Sleep(2 * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			want = append(want, more...)
			got := rc.got()
			if len(got) != len(want) {
				t.Fatalf("received %d events, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("event %d is %s, want %s: out of order or lost", i, got[i], want[i])
				}
			}
			if n := rc.overlaps.Load(); n != 0 {
				t.Errorf("%d requests overlapped another for the same stream", n)
			}
			if rc.requests.Load() < 4 {
				t.Errorf("only %d requests: the failures were not retried", rc.requests.Load())
			}
			if h := rc.headers; h.Get("Authorization") != "Bearer s3cret" || h.Get("X-Tenant") != "acme" || h.Get("Content-Type") != "application/json" {
				t.Errorf("headers: %v", h)
			}
		})
	}
}

// TestSuspendedAfterRepeatedFailures: a receiver that always fails suspends the stream after
// SuspendAfter attempts; nothing is sent while suspended; made active again, it delivers from
// where it stopped.
func TestSuspendedAfterRepeatedFailures(t *testing.T) {
	st := engines(t)["sqlite"]
	sec := secrets(t)
	rc := newReceiver(t, domain.FormatJSONArray)
	rc.fail.Store(true)
	ls := newStream(t, st, sec, rc.srv.URL, domain.FormatJSONArray)
	want := appendEvents(t, st, 5, func(int) string { return "sapi" })
	var lag time.Duration
	w := &logstream.Worker{Store: st, Secrets: sec, SuspendAfter: 3, Backoff: func(int) time.Duration { return 0 },
		Observe: func(_ string, l time.Duration) { lag = l }}
	for i := 0; i < 10; i++ {
		w.Tick(ctx)
	}
	if lag <= 0 {
		t.Errorf("lag while failing: %v, want the age of the oldest event not delivered", lag)
	}
	got, err := st.GetLogStream(ctx, ls.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.LogStreamSuspended || got.Failures != 3 || got.LastError == "" {
		t.Fatalf("after failures: status %s, failures %d, last error %q", got.Status, got.Failures, got.LastError)
	}
	if n := rc.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (none while suspended)", n)
	}
	rc.fail.Store(false)
	got.Status = domain.LogStreamActive
	if err := st.UpdateLogStream(ctx, got); err != nil {
		t.Fatal(err)
	}
	w.Tick(ctx)
	if g := rc.got(); len(g) != len(want) || g[0] != want[0] || g[4] != want[4] {
		t.Fatalf("after resuming: %v, want %v", g, want)
	}
	if lag != 0 {
		t.Errorf("lag once caught up: %v", lag)
	}
}

// TestFiltersAndGaps: a stream with a category filter receives only its events; a gap in the
// sequence (an event rolled back) holds delivery back until it settles, then delivery goes on.
func TestFiltersAndGaps(t *testing.T) {
	st := engines(t)["sqlite"]
	sec := secrets(t)
	rc := newReceiver(t, domain.FormatJSONLines)
	newStream(t, st, sec, rc.srv.URL, domain.FormatJSONLines, domain.LogStreamFilter{Type: "category", Name: "auth.login.success"})
	ids := appendEvents(t, st, 6, func(i int) string { return []string{"s", "fp", "sapi"}[i%3] })
	// A number not (yet) visible: on PostgreSQL a write in flight or rolled back; here an event
	// taken out of the table.
	gone := appendEvents(t, st, 1, func(int) string { return "s" })
	after := appendEvents(t, st, 1, func(int) string { return "s" })
	if _, err := st.(interface{ DB() *sql.DB }).DB().Exec(`DELETE FROM log_events WHERE log_id = $1`, gone[0]); err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	w := &logstream.Worker{Store: st, Secrets: sec, Settle: time.Minute, Now: func() time.Time { return time.Unix(0, now.Load()) }}
	w.Tick(ctx)
	if g := rc.got(); len(g) != 2 || g[0] != ids[0] || g[1] != ids[3] {
		t.Fatalf("filtered delivery before the gap: %v", g)
	}
	now.Add(int64(2 * time.Minute))
	w.Tick(ctx)
	if g := rc.got(); len(g) != 3 || g[2] != after[0] {
		t.Fatalf("after the gap settled: %v", g)
	}
}

// TestLeaseOfADeadNode: a node that claimed a stream and died (never releasing it) holds delivery
// back only until its lease runs out; then another node delivers everything, in order.
func TestLeaseOfADeadNode(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			sec := secrets(t)
			rc := newReceiver(t, domain.FormatJSONLines)
			ls := newStream(t, st, sec, rc.srv.URL, domain.FormatJSONLines)
			want := appendEvents(t, st, 30, func(int) string { return "s" })
			if _, err := st.ClaimLogStream(ctx, ls.ID, "dead-node", time.Now(), time.Now().Add(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			w := &logstream.Worker{Store: st, Secrets: sec, Owner: "survivor"}
			w.Tick(ctx)
			if n := rc.requests.Load(); n != 0 {
				t.Fatalf("%d requests while another node held the lease", n)
			}
			time.Sleep(400 * time.Millisecond)
			w.Tick(ctx)
			got := rc.got()
			if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
				t.Fatalf("after the lease ran out: %d events, want %d in order", len(got), len(want))
			}
		})
	}
}
