package actions

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// watchdogTick is how often a running execution's memory is sampled. Executions that
// finish sooner (nearly all) never sample at all.
const watchdogTick = 10 * time.Millisecond

// watchdog enforces Options.MemoryLimitBytes. Go cannot attribute heap memory to a
// goroutine, so it works from process-wide runtime/metrics in two stages:
//
//  1. Suspicion: since the execution's first sample, the process allocated at least
//     the limit and the heap in use rose by at least the limit above its lowest sample.
//     The action's code runs without pause (the sandbox has no timers or I/O), so an
//     action that allocates fast shows up here quickly.
//  2. Confirmation: one forced GC (one at a time per Runtime), then the live heap is
//     compared with the live heap before the execution. Garbage-heavy but bounded code
//     passes and its counters restart; code that keeps what it allocates is stopped.
//
// Concurrent work that retains the limit's worth of memory in the same window can be
// mistaken for the action; the limit is a safety net, not an accounting quota.
// Builtins that can allocate a huge block in one native call are checked before they
// run (see harden), because an interrupt only lands between JavaScript instructions.
type watchdog struct {
	ex    *execution
	timer *time.Timer
	done  chan struct{}

	sampled                 bool
	allocs0, heapMin, live0 uint64
}

var watchdogMetrics = []string{"/gc/heap/allocs:bytes", "/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes"}

func (w *watchdog) start(ex *execution) {
	w.ex = ex
	w.done = make(chan struct{})
	// Created stopped and armed after the assignment, so sample never sees a nil timer.
	w.timer = time.AfterFunc(time.Hour, w.sample)
	w.timer.Stop()
	w.timer.Reset(watchdogTick)
}

func (w *watchdog) stop() {
	close(w.done)
	w.timer.Stop()
}

func (w *watchdog) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func readMemory() (allocs, heap, live uint64) {
	s := make([]metrics.Sample, len(watchdogMetrics))
	for i, n := range watchdogMetrics {
		s[i].Name = n
	}
	metrics.Read(s)
	get := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	return get(0), get(1), get(2)
}

func (w *watchdog) sample() {
	if w.finished() {
		return
	}
	limit := uint64(w.ex.r.memLimit)
	allocs, heap, live := readMemory()
	if !w.sampled {
		w.sampled = true
		w.allocs0, w.heapMin, w.live0 = allocs, heap, live
	}
	if heap < w.heapMin {
		w.heapMin = heap
	}
	if allocs-w.allocs0 >= limit && heap-w.heapMin >= limit {
		if w.confirm(limit) {
			w.ex.memoryExceeded("the action keeps allocating")
			return
		}
		w.allocs0, w.heapMin, _ = readMemory()
	}
	if !w.finished() {
		w.timer.Reset(watchdogTick)
	}
}

// confirm forces a collection and reports whether the live heap grew by the limit.
func (w *watchdog) confirm(limit uint64) bool {
	r := w.ex.r
	if !r.gcInFlight.CompareAndSwap(false, true) {
		return false // another execution is confirming; look again next tick
	}
	defer r.gcInFlight.Store(false)
	runtime.GC()
	_, _, live := readMemory()
	exceeded := live > w.live0 && live-w.live0 >= limit
	// live0 came from the last collection before the action started and may still count garbage of
	// an earlier execution; the live figure just measured is exact, so the baseline never stays above it.
	if live < w.live0 {
		w.live0 = live
	}
	return exceeded
}
