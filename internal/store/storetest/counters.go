package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// testCounters: a fixed window keeps its expiry, a sliding one moves it, an expired counter starts
// afresh, Delete forgets, and DeleteExpired sweeps only what has expired.
func testCounters(t *testing.T, s store.Store) {
	t0 := now()
	win := t0.Add(time.Minute)

	n, exp, err := s.HitCounter(ctx, "fixed", 1, t0, win, false)
	must(t, err)
	eq(t, "first hit", n, int64(1))
	eq(t, "first expiry", exp, win)
	n, exp, err = s.HitCounter(ctx, "fixed", 2, t0.Add(time.Second), t0.Add(time.Hour), false)
	must(t, err)
	eq(t, "second hit adds", n, int64(3))
	eq(t, "fixed window keeps its expiry", exp, win)

	_, _, err = s.HitCounter(ctx, "slide", 1, t0, win, true)
	must(t, err)
	later := t0.Add(2 * time.Minute)
	n, exp, err = s.HitCounter(ctx, "slide", 1, t0.Add(30*time.Second), later, true)
	must(t, err)
	eq(t, "sliding hit adds", n, int64(2))
	eq(t, "sliding window moves its expiry", exp, later)

	n, exp, err = s.GetCounter(ctx, "fixed", t0.Add(time.Second))
	must(t, err)
	eq(t, "get", n, int64(3))
	eq(t, "get expiry", exp, win)
	n, _, err = s.GetCounter(ctx, "fixed", win)
	must(t, err)
	eq(t, "get at expiry", n, int64(0))
	n, _, err = s.GetCounter(ctx, "never", t0)
	must(t, err)
	eq(t, "get unknown", n, int64(0))

	next := win.Add(time.Minute)
	n, exp, err = s.HitCounter(ctx, "fixed", 1, win, next, false)
	must(t, err)
	eq(t, "hit on an expired counter starts afresh", n, int64(1))
	eq(t, "with a new expiry", exp, next)

	must(t, s.DeleteCounter(ctx, "slide"))
	must(t, s.DeleteCounter(ctx, "slide"))
	n, _, err = s.GetCounter(ctx, "slide", t0)
	must(t, err)
	eq(t, "deleted", n, int64(0))

	_, _, err = s.HitCounter(ctx, "old", 1, t0, t0.Add(time.Second), false)
	must(t, err)
	deleted, err := s.DeleteExpired(ctx, t0.Add(time.Second))
	must(t, err)
	eq(t, "swept", deleted, int64(1))
	n, _, err = s.GetCounter(ctx, "fixed", win)
	must(t, err)
	eq(t, "live counter survives the sweep", n, int64(1))
}

// testRaceHitCounter: 20 concurrent hits on one key, each on its own connection, add up exactly:
// every racer sees a different count, 1 to 20, as a limit checked by count needs.
func testRaceHitCounter(t *testing.T, s store.Store) {
	t0 := now()
	counts := make([]int64, racers)
	errs := race(func(i int) error {
		n, _, err := s.HitCounter(ctx, "race", 1, t0, t0.Add(time.Minute), true)
		counts[i] = n
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	slices.Sort(counts)
	for i, n := range counts {
		if n != int64(i+1) {
			t.Fatalf("counts seen = %v, want 1..%d each once", counts, racers)
		}
	}
	n, _, err := s.GetCounter(ctx, "race", t0)
	must(t, err)
	eq(t, "final count", n, int64(racers))
}
