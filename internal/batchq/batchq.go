// Package batchq writes records in batches from one goroutine: what a request produces and nobody
// waits for (the token endpoint's tenant-log events, Actions execution records) is queued in
// memory and written one transaction per batch, so a request pays no commit (an fsync with
// SQLite's synchronous=FULL) of its own and the writes stop serialising requests on the database's
// writer.
//
// A batch is held open for up to Linger after its first record (less when it fills or someone
// waits on a Flush), so the commits are at most about 1/Linger a second whatever the request rate.
// A full or closed queue hands the record to Overflow in the request instead: records are delayed,
// never dropped. Close writes what is queued.
//
// What a kill can lose: a queue closed cleanly writes every record it took; a process killed
// outright loses the records still in memory, those queued in the last Linger and those of the
// batch being written, never more than Size + Max.
package batchq

import (
	"context"
	"sync"
	"time"
)

// Config describes a Queue.
type Config[T any] struct {
	Size   int           // records held in memory before Overflow takes over
	Max    int           // records in one batch
	Linger time.Duration // how long a batch stays open after its first record
	// Write writes one batch (never empty); its failures are its own to report. It runs on the
	// queue's goroutine, one batch at a time.
	Write func(batch []T)
	// Overflow takes a record the queue cannot: full, or closed. It runs in the caller.
	Overflow func(ctx context.Context, v T)
}

// Queue is a batching writer; see the package comment.
type Queue[T any] struct {
	c Config[T]
	// The channel holds pointers: a channel's buffer is allocated whole when it is made, and
	// Size records by value (a tenant-log event is some 240 bytes) would be a megabyte held from
	// the start, and resident when its memory is reused and zeroed; a record is allocated as it
	// is queued instead.
	ch     chan *item[T]
	done   chan struct{}
	closed sync.Once
	mu     sync.RWMutex // held for writing by Close, so no send races the channel's close
	stop   bool
}

type item[T any] struct {
	v     T
	flush chan struct{} // set for a flush marker
}

// New starts a Queue's writer.
func New[T any](c Config[T]) *Queue[T] {
	q := &Queue[T]{c: c, ch: make(chan *item[T], c.Size), done: make(chan struct{})}
	go q.run()
	return q
}

// Add queues v, or hands it to Overflow when the queue is full or closed.
func (q *Queue[T]) Add(ctx context.Context, v T) {
	q.mu.RLock()
	if !q.stop {
		select {
		case q.ch <- &item[T]{v: v}:
			q.mu.RUnlock()
			return
		default:
		}
	}
	q.mu.RUnlock()
	q.c.Overflow(ctx, v)
}

// Flush waits until everything queued before it is written, or ctx ends.
func (q *Queue[T]) Flush(ctx context.Context) {
	done := make(chan struct{})
	q.mu.RLock()
	if q.stop {
		q.mu.RUnlock()
		return
	}
	q.ch <- &item[T]{flush: done}
	q.mu.RUnlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Close writes what is queued and stops the writer; later Adds go to Overflow.
func (q *Queue[T]) Close() {
	q.closed.Do(func() {
		q.mu.Lock()
		q.stop = true
		close(q.ch)
		q.mu.Unlock()
		<-q.done
	})
}

func (q *Queue[T]) run() {
	defer close(q.done)
	batch := make([]T, 0, q.c.Max)
	var flushes []chan struct{}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for first := range q.ch {
		batch, flushes = batch[:0], flushes[:0]
		take := func(it *item[T]) {
			if it.flush != nil {
				flushes = append(flushes, it.flush)
			} else {
				batch = append(batch, it.v)
			}
		}
		take(first)
		linger.Reset(q.c.Linger)
	more:
		for len(batch) < q.c.Max && len(flushes) == 0 {
			select {
			case it, ok := <-q.ch:
				if !ok {
					break more
				}
				take(it)
			case <-linger.C:
				break more
			}
		}
		linger.Stop()
		if len(batch) > 0 {
			q.c.Write(batch)
		}
		for _, f := range flushes {
			close(f)
		}
	}
}
