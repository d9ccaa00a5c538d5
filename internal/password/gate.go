package password

import (
	"context"
	"errors"
	"time"
)

// ErrBusy is returned when the memory budget for password hashing is spent and the queue for it is
// full, or a caller waited too long: the caller should answer 503 with a Retry-After, not hash.
var ErrBusy = errors.New("password hashing is at capacity")

// Gate bounds the memory password hashing takes: each argon2id computation holds its Memory
// parameter (64 MiB by default) until it ends, so a flood of sign-ins, left alone, takes as many
// times that as there are requests in flight. A Gate lets at most Slots computations run at once,
// queues at most Queue more for at most MaxWait, and refuses the rest with ErrBusy at once, so the
// memory a node spends on passwords is at most Slots × Memory whatever arrives.
type Gate struct {
	slots   chan struct{}
	waiting chan struct{}
	maxWait time.Duration
}

// NewGate returns a Gate admitting budgetKiB / memoryKiB computations at once (at least one), with a
// queue of 8 per slot and a 2-second wait at most: past that, a sign-in is better refused than left
// hanging while the queue grows.
func NewGate(budgetKiB, memoryKiB uint32) *Gate {
	n := 1
	if memoryKiB > 0 && budgetKiB/memoryKiB > 1 {
		n = int(budgetKiB / memoryKiB)
	}
	return &Gate{slots: make(chan struct{}, n), waiting: make(chan struct{}, 8*n), maxWait: 2 * time.Second}
}

// Slots is how many computations may run at once.
func (g *Gate) Slots() int { return cap(g.slots) }

// acquire takes a slot, waiting in the queue when there is room in it; release gives it back. A nil
// Gate admits everything.
func (g *Gate) acquire(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	default:
	}
	select {
	case g.waiting <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-g.waiting }()
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

func (g *Gate) release() { <-g.slots }

// TryAcquire takes a slot if one is free now, without queueing: for work that would rather be
// refused than wait (and for tests that fill the gate).
func (g *Gate) TryAcquire() (release func(), ok bool) {
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	default:
		return nil, false
	}
}
