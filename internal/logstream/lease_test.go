package logstream_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/logstream"
)

// TestManyGapsSettleTogether: a burst of gaps (a rolled-back batch whose numbers were interleaved
// with other nodes' events) holds delivery back for one Settle, not one Settle per gap.
func TestManyGapsSettleTogether(t *testing.T) {
	st := engines(t)["sqlite"]
	sec := secrets(t)
	rc := newReceiver(t, domain.FormatJSONLines)
	newStream(t, st, sec, rc.srv.URL, domain.FormatJSONLines)
	ids := appendEvents(t, st, 40, func(int) string { return "s" })
	var kept []string
	for i, id := range ids {
		if i%2 == 1 && i < 30 { // 15 gaps
			if _, err := st.(interface{ DB() *sql.DB }).DB().Exec(`DELETE FROM log_events WHERE log_id = $1`, id); err != nil {
				t.Fatal(err)
			}
			continue
		}
		kept = append(kept, id)
	}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	w := &logstream.Worker{Store: st, Secrets: sec, Settle: time.Minute, Now: func() time.Time { return time.Unix(0, now.Load()) }}
	w.Tick(ctx)
	if g := rc.got(); len(g) != 1 || g[0] != kept[0] {
		t.Fatalf("before the gaps settled: %v, want only the event before the first gap", g)
	}
	now.Add(int64(time.Minute + time.Second))
	w.Tick(ctx)
	got := rc.got()
	if len(got) != len(kept) {
		t.Fatalf("one Settle later: %d events delivered, want all %d", len(got), len(kept))
	}
	for i := range kept {
		if got[i] != kept[i] {
			t.Fatalf("event %d is %s, want %s", i, got[i], kept[i])
		}
	}
}

// TestLeaseRenewedWhileSending: a receiver slower than the whole lease keeps its sender's claim
// renewed, so a second node never sends the stream's batch at the same time, and the batch is
// delivered once.
func TestLeaseRenewedWhileSending(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			sec := secrets(t)
			var (
				inFlight, overlaps, requests atomic.Int64
				mu                           sync.Mutex
				bodies                       int
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if inFlight.Add(1) > 1 {
					overlaps.Add(1)
				}
				defer inFlight.Add(-1)
				time.Sleep(1500 * time.Millisecond) // longer than the 600 ms lease
				mu.Lock()
				bodies++
				mu.Unlock()
			}))
			t.Cleanup(srv.Close)
			delivered := func() int {
				mu.Lock()
				defer mu.Unlock()
				return bodies
			}
			newStream(t, st, sec, srv.URL, domain.FormatJSONLines)
			appendEvents(t, st, 5, func(int) string { return "s" })
			var wg sync.WaitGroup
			for _, owner := range []string{"node-a", "node-b"} {
				w := &logstream.Worker{Store: st, Secrets: sec, Owner: owner, Lease: 600 * time.Millisecond, Timeout: 5 * time.Second}
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Both nodes try all the time the one request is in flight (2.5 leases).
					for i := 0; i < 100 && requests.Load() < 2 && delivered() == 0; i++ {
						w.Tick(ctx)
						time.Sleep(50 * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			if n := overlaps.Load(); n != 0 {
				t.Errorf("%d requests overlapped: the lease lapsed while its holder was sending", n)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want the one batch sent once", n)
			}
		})
	}
}

// unrenewable is a store on which a claim cannot be renewed: the database became unreachable
// for this node after it claimed the stream.
type unrenewable struct {
	logstream.Store
	claims atomic.Int64
}

func (u *unrenewable) ClaimLogStream(ctx context.Context, id, owner string, now, until time.Time) (*domain.LogStream, error) {
	if u.claims.Add(1) > 1 {
		return nil, errors.New("connection refused")
	}
	return u.Store.ClaimLogStream(ctx, id, owner, now, until)
}

// TestLostLeaseStopsTheRequest: when the claim cannot be renewed, the request in flight is cut
// before the lease ends (another node may send the batch next), and it is not counted as the
// receiver's failure.
func TestLostLeaseStopsTheRequest(t *testing.T) {
	st := engines(t)["sqlite"]
	sec := secrets(t)
	cut := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
		select {
		case <-r.Context().Done():
			cut <- true
		case <-time.After(5 * time.Second):
			cut <- false
		}
	}))
	t.Cleanup(srv.Close)
	ls := newStream(t, st, sec, srv.URL, domain.FormatJSONLines)
	appendEvents(t, st, 3, func(int) string { return "s" })
	w := &logstream.Worker{Store: &unrenewable{Store: st}, Secrets: sec, Owner: "node-a", Lease: 600 * time.Millisecond, Timeout: 10 * time.Second}
	w.Tick(ctx)
	if !<-cut {
		t.Fatal("the request went on after the lease could not be renewed")
	}
	got, err := st.GetLogStream(ctx, ls.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Failures != 0 || got.Status != domain.LogStreamActive {
		t.Errorf("a lost lease counted as a failure: failures %d, status %s", got.Failures, got.Status)
	}
}
