package batchq

import (
	"context"
	"sync"
	"testing"
	"time"
)

type sink struct {
	mu       sync.Mutex
	batches  [][]int
	overflow []int
	block    chan struct{} // when set, Write waits for it
}

func (s *sink) config(size, max int, linger time.Duration) Config[int] {
	return Config[int]{Size: size, Max: max, Linger: linger,
		Write: func(b []int) {
			if s.block != nil {
				<-s.block
			}
			s.mu.Lock()
			s.batches = append(s.batches, append([]int(nil), b...))
			s.mu.Unlock()
		},
		Overflow: func(_ context.Context, v int) { s.mu.Lock(); s.overflow = append(s.overflow, v); s.mu.Unlock() },
	}
}

func (s *sink) written() (n int, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		n += len(b)
	}
	return n + len(s.overflow), len(s.batches)
}

// TestEveryRecordWrittenOnce: records added from many goroutines at once are each written exactly
// once, in batches no larger than Max, and Flush returns only when they are.
func TestEveryRecordWrittenOnce(t *testing.T) {
	s := &sink{}
	q := New(s.config(64, 10, time.Hour)) // a batch closes only when full or flushed
	defer q.Close()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range 100 {
				q.Add(context.Background(), g*1000+i)
			}
		}()
	}
	close(start)
	wg.Wait()
	q.Flush(context.Background())
	seen := map[int]int{}
	s.mu.Lock()
	for _, b := range s.batches {
		if len(b) > 10 {
			t.Errorf("a batch of %d, Max is 10", len(b))
		}
		for _, v := range b {
			seen[v]++
		}
	}
	for _, v := range s.overflow {
		seen[v]++
	}
	s.mu.Unlock()
	if len(seen) != 800 {
		t.Fatalf("%d distinct records written, want 800", len(seen))
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("record %d written %d times", v, n)
		}
	}
}

// TestLingerGathersABatch: records added within Linger of each other go out in one batch.
func TestLingerGathersABatch(t *testing.T) {
	s := &sink{}
	q := New(s.config(64, 100, 200*time.Millisecond))
	defer q.Close()
	for i := range 5 {
		q.Add(context.Background(), i)
	}
	q.Flush(context.Background())
	if n, b := s.written(); n != 5 || b != 1 {
		t.Fatalf("%d records in %d batches, want 5 in 1", n, b)
	}
}

// TestFullQueueOverflows: with the writer stuck and the queue full, Add hands records to Overflow
// in the caller instead of blocking or dropping them; Close then writes what was queued.
func TestFullQueueOverflows(t *testing.T) {
	s := &sink{block: make(chan struct{})}
	q := New(s.config(2, 1, time.Millisecond))
	for i := range 10 {
		q.Add(context.Background(), i)
	}
	s.mu.Lock()
	over := len(s.overflow)
	s.mu.Unlock()
	if over == 0 {
		t.Fatal("a full queue blocked or dropped instead of overflowing")
	}
	close(s.block)
	q.Close()
	if n, _ := s.written(); n != 10 {
		t.Fatalf("%d of 10 records written after Close", n)
	}
	q.Add(context.Background(), 99) // closed: straight to Overflow
	q.Flush(context.Background())   // closed: returns at once
	if n, _ := s.written(); n != 11 {
		t.Fatalf("an Add after Close was lost: %d records", n)
	}
}
