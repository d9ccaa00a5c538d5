package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// testActionCache: a value is read back until it expires, per trigger; a put replaces its key;
// the count and size caps evict the entries closest to expiry; delete reports a live entry; the
// collector sweeps expired ones.
func testActionCache(t *testing.T, s store.Store) {
	t0 := now()
	put := func(trigger, key, value string, ttl time.Duration) {
		t.Helper()
		must(t, s.PutActionCache(ctx, trigger, domain.ActionCacheEntry{Key: key, Value: value, ExpiresAt: t0.Add(ttl)}, t0, 3, 64))
	}
	get := func(trigger, key string, at time.Time) (string, bool) {
		t.Helper()
		e, err := s.GetActionCache(ctx, trigger, key, at)
		if err != nil {
			wantErr(t, err, store.ErrNotFound)
			return "", false
		}
		return e.Value, true
	}
	put("post-login", "a", "1", time.Minute)
	put("credentials-exchange", "a", "other", time.Minute)
	if v, ok := get("post-login", "a", t0); !ok || v != "1" {
		t.Fatalf("get a = %q, %v", v, ok)
	}
	e, err := s.GetActionCache(ctx, "post-login", "a", t0)
	must(t, err)
	eq(t, "expiry", e.ExpiresAt, t0.Add(time.Minute))
	if v, _ := get("credentials-exchange", "a", t0); v != "other" {
		t.Fatalf("another trigger's value leaked: %q", v)
	}
	if _, ok := get("post-login", "a", t0.Add(time.Minute)); ok {
		t.Fatal("an entry is read at its expiry")
	}
	put("post-login", "a", "2", 2*time.Minute)
	if v, _ := get("post-login", "a", t0.Add(time.Minute)); v != "2" {
		t.Fatalf("put did not replace: %q", v)
	}

	// Count cap (3): b expires first, so it goes when d arrives.
	put("post-login", "b", "x", 30*time.Second)
	put("post-login", "c", "x", 5*time.Minute)
	put("post-login", "d", "x", 5*time.Minute)
	if _, ok := get("post-login", "b", t0); ok {
		t.Fatal("the entry closest to expiry was not evicted at the count cap")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := get("post-login", k, t0); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	// Size cap (64 bytes of keys and values): a 62-byte value (63 bytes with its key) leaves room for itself alone.
	put("post-login", "e", strings.Repeat("v", 62), time.Hour)
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := get("post-login", k, t0); ok {
			t.Fatalf("%s kept past the size cap", k)
		}
	}
	if v, _ := get("post-login", "e", t0); len(v) != 62 {
		t.Fatal("the new entry was not stored")
	}

	live, err := s.DeleteActionCache(ctx, "post-login", "e", t0)
	must(t, err)
	eq(t, "delete live", live, true)
	live, err = s.DeleteActionCache(ctx, "post-login", "e", t0)
	must(t, err)
	eq(t, "delete again", live, false)

	_, err = s.DeleteExpired(ctx, t0.Add(time.Hour))
	must(t, err)
	if _, ok := get("credentials-exchange", "a", t0); ok {
		t.Fatal("an expired entry survived the collector")
	}
}

// testRaceActionCache: writers of one trigger racing (as nodes would) never leave the namespace
// over its count cap.
func testRaceActionCache(t *testing.T, s store.Store) {
	t0 := now()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- s.PutActionCache(ctx, "post-login", domain.ActionCacheEntry{Key: fmt.Sprintf("k%02d", i), Value: "v",
				ExpiresAt: t0.Add(time.Duration(i+1) * time.Minute)}, t0, 5, 8192)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	n := 0
	for i := 0; i < 40; i++ {
		if _, err := s.GetActionCache(ctx, "post-login", fmt.Sprintf("k%02d", i), t0); err == nil {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("%d entries after racing writers, want the cap of 5", n)
	}
}

// testActionExecutions: a batch is stored and read back whole; the collector removes executions
// older than the retention.
func testActionExecutions(t *testing.T, s store.Store) {
	t0 := now()
	old := &domain.ActionExecution{ID: domain.NewActionExecutionID(), TriggerID: "post-login", Status: domain.ExecutionFinal,
		CreatedAt: t0.Add(-domain.ActionExecutionRetention - time.Minute), UpdatedAt: t0.Add(-domain.ActionExecutionRetention)}
	x := &domain.ActionExecution{ID: domain.NewActionExecutionID(), TriggerID: "post-login", Status: domain.ExecutionFinal,
		Results: []domain.ActionExecutionResult{
			{ActionName: "one", StartedAt: t0, EndedAt: t0.Add(time.Millisecond)},
			{ActionName: "two", StartedAt: t0.Add(time.Millisecond), EndedAt: t0.Add(2 * time.Millisecond),
				Error: &domain.ActionExecutionError{ID: "exception", Msg: "Error: boom"}},
		}, CreatedAt: t0, UpdatedAt: t0.Add(2 * time.Millisecond)}
	must(t, s.InsertActionExecutions(ctx, []*domain.ActionExecution{old, x}))
	got, err := s.GetActionExecution(ctx, x.ID)
	must(t, err)
	eq(t, "trigger", got.TriggerID, "post-login")
	eq(t, "results", len(got.Results), 2)
	eq(t, "second's error", got.Results[1].Error.Msg, "Error: boom")
	eq(t, "started", got.Results[0].StartedAt.Equal(t0), true)
	_, err = s.GetActionExecution(ctx, "missing")
	wantErr(t, err, store.ErrNotFound)

	_, err = s.DeleteExpired(ctx, t0)
	must(t, err)
	_, err = s.GetActionExecution(ctx, old.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetActionExecution(ctx, x.ID)
	must(t, err)
}
