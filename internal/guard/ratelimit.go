package guard

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limit is a number of requests allowed per fixed window.
type Limit struct {
	Max    int
	Window time.Duration
	// Lease, above 1, lets a node reserve that many requests at once in the shared counter and
	// serve them from memory (see leases): for limits on hot paths, where a database write per
	// request would cost more than the request. The limit still never admits more than Max.
	Lease int
}

// RateLimiter counts requests per key in fixed windows in the shared Counters: the window starts at
// a key's first request and the count starts afresh when it ends. A nil *RateLimiter allows
// everything.
type RateLimiter struct {
	Counters Counters
	Now      func() time.Time
	// Hit, when set, is called with the limit's name each time a request is refused (metrics).
	Hit func(name string)

	leases leases
}

// Decision is the outcome of one request against a limit, with what Auth0's headers say.
type Decision struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Time // when the window ends and the count starts afresh
	// RetryAfter is the whole number of seconds until Reset, at least one (for a refusal).
	RetryAfter int
}

// Take counts one request for key under lim; name says which limit it is, for Hit. An error from
// the database is returned with an allowing Decision: callers choose to fail open (a rate limit
// protects capacity, and the database being down already fails what it protects) and log it.
func (l *RateLimiter) Take(ctx context.Context, name, key string, lim Limit) (Decision, error) {
	if l == nil || lim.Max <= 0 || lim.Window <= 0 {
		return Decision{Allowed: true}, nil
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	ck := counterKey("rl", name, key)
	size := min(max(lim.Lease, 1), lim.Max)
	if size > 1 {
		o, n, reset, err := l.leases.take(ctx, ck, now, lim.Max)
		if err != nil {
			return Decision{Allowed: true}, fmt.Errorf("rate limit %s: %w", name, err)
		}
		if o == answered {
			return l.decide(name, lim, now, n, reset), nil
		}
	}
	n, reset, err := l.Counters.HitCounter(ctx, ck, int64(size), now, now.Add(lim.Window), false)
	if err != nil {
		if size > 1 {
			l.leases.land(ck, false, lease{})
		}
		return Decision{Allowed: true}, fmt.Errorf("rate limit %s: %w", name, err)
	}
	if size > 1 {
		// Of the reservation, only what fits under Max may be served; this request is its first.
		usable := min(int64(size), int64(lim.Max)-(n-int64(size)))
		l.leases.land(ck, true, lease{left: int(max(usable-1, 0)), count: n - int64(size) + usable, expire: reset})
		n = n - int64(size) + 1
	}
	return l.decide(name, lim, now, n, reset), nil
}

// decide turns the request's number in its window into a Decision.
func (l *RateLimiter) decide(name string, lim Limit, now time.Time, n int64, reset time.Time) Decision {
	d := Decision{Allowed: n <= int64(lim.Max), Limit: lim.Max, Remaining: max(lim.Max-int(n), 0), Reset: reset,
		RetryAfter: retryAfter(now, reset)}
	if !d.Allowed && l.Hit != nil {
		l.Hit(name)
	}
	return d
}

// SetHeaders writes Auth0's x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset (UNIX
// seconds) and, for a refusal, Retry-After (RFC 9110 §10.2.3, in seconds). A Decision that counted
// nothing (no limit configured) writes nothing.
func (d Decision) SetHeaders(h http.Header) {
	if d.Limit == 0 {
		return
	}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(d.Remaining))
	reset := d.Reset.Unix()
	if d.Reset.After(time.Unix(reset, 0)) {
		reset++ // round up: a client waiting until reset must find the window over
	}
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
}
