package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestGateBoundsAndQueues: slots run at once, the queue holds 8 per slot, the next caller is refused
// at once, a queued caller gets a slot when one is released and gives up after maxWait.
func TestGateBoundsAndQueues(t *testing.T) {
	g := NewGate(128*1024, 64*1024)
	if g.Slots() != 2 {
		t.Fatalf("slots = %d, want 2 (128 MiB / 64 MiB)", g.Slots())
	}
	if NewGate(10, 64*1024).Slots() != 1 {
		t.Fatal("a budget below one computation must still admit one")
	}
	ctx := context.Background()
	var releases []func()
	for range 2 {
		r, err := g.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	g.maxWait = time.Hour // queued callers wait until a slot frees
	got := make(chan error, 16)
	for range 16 {
		go func() {
			r, err := g.acquire(ctx)
			if err == nil {
				r()
			}
			got <- err
		}()
	}
	// Wait until the queue is full: every one of the 16 is either queued or admitted.
	for len(g.waiting) < 16 {
		time.Sleep(time.Millisecond)
	}
	if _, err := g.acquire(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("a caller past the full queue: %v, want ErrBusy at once", err)
	}
	for _, r := range releases {
		r()
	}
	for range 16 {
		if err := <-got; err != nil {
			t.Fatalf("a queued caller: %v", err)
		}
	}
	if len(g.slots) != 0 || len(g.waiting) != 0 {
		t.Fatalf("slots %d, waiting %d after everyone left", len(g.slots), len(g.waiting))
	}

	// A queued caller gives up after maxWait when nothing frees.
	g.maxWait = 10 * time.Millisecond
	hold1, _ := g.acquire(ctx)
	hold2, _ := g.acquire(ctx)
	if _, err := g.acquire(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("after maxWait: %v, want ErrBusy", err)
	}
	hold1()
	hold2()
	var nilGate *Gate
	if r, err := nilGate.acquire(ctx); err != nil {
		t.Fatal(err)
	} else {
		r()
	}
}

// TestHasherUsesGate: a Hasher whose Gate is full refuses Hash, Verify and Dummy with ErrBusy.
func TestHasherUsesGate(t *testing.T) {
	g := NewGate(1, 1)
	g.maxWait = time.Millisecond
	h := Hasher{P: Fast(), Gate: g}
	hash, err := h.Hash("Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	hold, _ := g.acquire(context.Background())
	defer hold()
	if _, err := h.Hash("x"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash: %v", err)
	}
	if _, err := h.Verify(hash, "Correct-Horse-1"); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify: %v", err)
	}
	if err := h.Dummy("x"); !errors.Is(err, ErrBusy) {
		t.Errorf("Dummy: %v", err)
	}
}
