package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

// TestLogQueueKeepsEveryEvent: more events than the queue holds, from many goroutines at once,
// with flushes among them: every event is stored exactly once (an event that finds the queue full
// is written by its request), and so is one added after the queue closed.
func TestLogQueueKeepsEveryEvent(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	q := newLogQueue(st, &audit.Recorder{Store: st}, slog.New(slog.DiscardHandler), time.Now)
	const writers, each = 20, 300 // 6,000 events, above logQueueSize
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q.add(context.Background(), domain.LogEvent{Type: "seccft", ClientID: fmt.Sprintf("w%02d", w), Description: fmt.Sprint(i)})
				if i%100 == 99 {
					q.flush(context.Background())
				}
			}
		}()
	}
	wg.Wait()
	q.close()
	q.add(context.Background(), domain.LogEvent{Type: "seccft", ClientID: "after-close", Description: "0"}) // written at once

	recs, err := st.ListLogsAfter(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != writers*each+1 {
		t.Fatalf("%d events stored, want %d", len(recs), writers*each+1)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		key := r.Event.ClientID + "/" + r.Event.Description
		if seen[key] {
			t.Fatalf("event %s stored twice", key)
		}
		seen[key] = true
	}
}

// TestLogQueueFlushDoesNotWaitForTheBatch: a flush ends the batch being gathered, so what was
// queued before it is readable as soon as it returns.
func TestLogQueueFlushDoesNotWaitForTheBatch(t *testing.T) {
	st := sqlitetest.New(t, sqlite.Options{})
	q := newLogQueue(st, &audit.Recorder{Store: st}, slog.New(slog.DiscardHandler), time.Now)
	defer q.close()
	for i := range 3 {
		q.add(context.Background(), domain.LogEvent{Type: "seccft", ClientID: "c", Description: fmt.Sprint(i)})
		q.flush(context.Background())
		recs, err := st.ListLogsAfter(context.Background(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != i+1 {
			t.Fatalf("after flush %d: %d events stored", i, len(recs))
		}
	}
}
