package chaos_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// logReceiver is the tenant's SIEM: an http log stream's endpoint that records each event's log_id
// in the order the events arrive (JSONLINES; one POST is one batch).
type logReceiver struct {
	url string
	mu  sync.Mutex
	ids []string
}

func startLogReceiver(t *testing.T) *logReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+portInRange(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &logReceiver{url: "http://" + ln.Addr().String() + "/logs"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var batch []string
		sc := bufio.NewScanner(req.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var it struct {
				LogID string `json:"log_id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &it); err != nil || it.LogID == "" {
				http.Error(w, "bad line", http.StatusBadRequest)
				return
			}
			batch = append(batch, it.LogID)
		}
		if sc.Err() != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.ids = append(r.ids, batch...)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *logReceiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// createLogStream points an http log stream (every category) at the receiver and returns the
// sequence number its delivery starts after.
func createLogStream(t *testing.T, node string, te *tenant, recv *logReceiver, schema string) int64 {
	t.Helper()
	mustOK(t, "create log stream", do(context.Background(), "POST", node+"api/v2/log-streams", te.mgmtToken, nil, map[string]any{
		"name": "chaos SIEM", "type": "http", "sink": map[string]any{"httpEndpoint": recv.url, "httpContentFormat": "JSONLINES"}}))
	var cursor int64
	withDB(t, schema, func(st *postgres.Store) {
		if err := st.DB().QueryRow(`SELECT cursor_seq FROM log_streams`).Scan(&cursor); err != nil {
			t.Fatalf("the stream's cursor: %v", err)
		}
	})
	return cursor
}

func withDB(t *testing.T, schema string, f func(st *postgres.Store)) {
	t.Helper()
	st, err := postgres.Open(context.Background(), schema, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f(st)
}

// checkLogStream: every event the tenant log holds after the stream's start reached the receiver at
// least once, and the first arrival of each came in the log's order (a node killed mid-batch or a
// database outage may repeat a batch, never skip or reorder one). Delivery runs behind the load; it
// has deliveryWait to catch up, then whatever is missing is reported with the stream's state.
func checkLogStream(t *testing.T, nodes []*gatehouseNode, schema string, recv *logReceiver, from int64) {
	t.Helper()
	const deliveryWait = 30 * time.Second
	var (
		want []string
		seq  = map[string]int64{}
	)
	withDB(t, schema, func(st *postgres.Store) {
		rows, err := st.DB().Query(`SELECT log_id, seq FROM log_events WHERE seq > $1 ORDER BY seq`, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var s int64
			if err := rows.Scan(&id, &s); err != nil {
				t.Fatal(err)
			}
			want, seq[id] = append(want, id), s
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
	if len(want) < 100 {
		t.Fatalf("only %d log events under load: too few to prove delivery", len(want))
	}
	missingIn := func(got []string) []string {
		seen := make(map[string]bool, len(got))
		for _, id := range got {
			seen[id] = true
		}
		var missing []string
		for _, id := range want {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		return missing
	}
	start := time.Now()
	for {
		missing := missingIn(recv.received())
		if len(missing) == 0 {
			break
		}
		if time.Since(start) > deliveryWait {
			for i, id := range missing {
				if i == 5 {
					t.Errorf("… and %d more", len(missing)-5)
					break
				}
				t.Errorf("log event %s (seq %d) never reached the receiver", id, seq[id])
			}
			t.Errorf("%d of %d log events missing %v after the checks began; the stream: %s",
				len(missing), len(want), deliveryWait, streamState(t, schema))
			for _, n := range nodes {
				b, _ := os.ReadFile(n.logs)
				var lines []string
				for _, line := range strings.Split(string(b), "\n") {
					if strings.Contains(line, "log stream") {
						lines = append(lines, line)
					}
				}
				for _, line := range lines[max(0, len(lines)-5):] {
					t.Logf("%s: %.300s", n.name, line)
				}
			}
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	caughtUp := time.Since(start)
	got := recv.received()
	first := map[string]bool{}
	var order []string // first arrivals
	repeats := 0
	for _, id := range got {
		if _, ours := seq[id]; !ours {
			continue // before the stream's start, or written after the log was read
		}
		if first[id] {
			repeats++
			continue
		}
		first[id] = true
		order = append(order, id)
	}
	for i := 1; i < len(order); i++ {
		if seq[order[i]] < seq[order[i-1]] {
			t.Errorf("out of order: %s (seq %d) arrived after %s (seq %d)", order[i], seq[order[i]], order[i-1], seq[order[i-1]])
			break
		}
	}
	t.Logf("log stream: %d events delivered in order (caught up %v after the checks began), %d delivered again",
		len(order), caughtUp.Round(100*time.Millisecond), repeats)
}

// streamState describes the stream's delivery state, for a failure message.
func streamState(t *testing.T, schema string) string {
	t.Helper()
	var (
		state string
		err   error
	)
	withDB(t, schema, func(st *postgres.Store) {
		err = st.DB().QueryRow(`SELECT format('status=%s cursor=%s failures=%s last_error=%L lease_owner=%s lease_until=%s next_attempt_at=%s (now %s, µs); log max seq %s',
			status, cursor_seq, failures, last_error, COALESCE(lease_owner, '-'), COALESCE(lease_until, 0), next_attempt_at,
			(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint, (SELECT MAX(seq) FROM log_events)) FROM log_streams`).Scan(&state)
	})
	if err != nil {
		return "unknown: " + err.Error()
	}
	return state
}
