package guard

import (
	"context"
	"sync"
	"time"
)

// maxLeases bounds the leases a RateLimiter holds, so that a flood from many addresses cannot grow
// them without end; past it, requests count one by one in the database.
const maxLeases = 50_000

// leases holds, per counter key, requests this node reserved in the shared counter and has not
// served yet. Reserving several at once (Limit.Lease) is what keeps a limit counted in the database
// off the hot path: one write per Lease requests instead of one per request. The limit still holds
// across nodes, conservatively: a reservation counts in full whether or not it is served, so the
// nodes together never admit more than Max in a window, and at worst admit Max minus the unserved
// reservations (nodes × (Lease-1)). On one node a single reservation per key is in flight at a
// time; requests arriving meanwhile wait for it rather than reserve their own.
type leases struct {
	mu sync.Mutex
	m  map[string]*lease
}

type lease struct {
	left    int           // reserved and not yet served
	count   int64         // the number of the last usable reserved request in the window
	expire  time.Time     // the window's end
	pending chan struct{} // closed when the reservation in flight lands; nil when none is
}

// outcome is what a lease says about one request.
type outcome int

const (
	askDatabase outcome = iota // reserve more: this caller must call land afterwards
	answered                   // n and expire are the request's number and its window's end
)

// take answers one request from key's lease without the database when it can: with the request's
// number when a reservation is left, or with a number past max when the shared count had already
// reached max (a count only grows within its window, so every node would refuse). Otherwise the
// caller is to reserve more and call land.
func (ls *leases) take(ctx context.Context, key string, now time.Time, max int) (o outcome, n int64, expire time.Time, err error) {
	ls.mu.Lock()
	for {
		p := ls.m[key]
		switch {
		case p == nil:
			if ls.m == nil {
				ls.m = map[string]*lease{}
			}
			if len(ls.m) >= maxLeases {
				ls.sweep(now)
			}
			if len(ls.m) >= maxLeases {
				ls.mu.Unlock()
				return askDatabase, 0, time.Time{}, nil // land will not keep it
			}
			ls.m[key] = &lease{pending: make(chan struct{})}
			ls.mu.Unlock()
			return askDatabase, 0, time.Time{}, nil
		case p.pending != nil:
			wait := p.pending
			ls.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return 0, 0, time.Time{}, ctx.Err()
			}
			ls.mu.Lock()
		case now.Before(p.expire) && p.left > 0:
			p.left--
			n, expire = p.count-int64(p.left), p.expire
			ls.mu.Unlock()
			return answered, n, expire, nil
		case now.Before(p.expire) && p.count >= int64(max):
			n, expire = p.count+1, p.expire
			ls.mu.Unlock()
			return answered, n, expire, nil
		default:
			p.pending = make(chan struct{})
			ls.mu.Unlock()
			return askDatabase, 0, time.Time{}, nil
		}
	}
}

// land records the reservation take asked for (ok false: it failed) and wakes whoever waits.
func (ls *leases) land(key string, ok bool, l lease) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	p := ls.m[key]
	if p == nil {
		return
	}
	if p.pending != nil {
		close(p.pending)
	}
	if !ok {
		delete(ls.m, key)
		return
	}
	*p = l
}

// sweep drops leases whose window has ended and that nobody is filling.
func (ls *leases) sweep(now time.Time) {
	for k, p := range ls.m {
		if p.pending == nil && !now.Before(p.expire) {
			delete(ls.m, k)
		}
	}
}
