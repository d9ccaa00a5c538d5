package mgmt

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter is a token bucket per caller key (spec §4.2 rate-limit headers). Buckets live in this
// node's memory (see doc.go).
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds memory: past it, buckets that have refilled completely are dropped (they hold
// no information a fresh bucket would not).
const maxBuckets = 10000

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket and sets x-ratelimit-limit, x-ratelimit-remaining and
// x-ratelimit-reset (UNIX seconds when a token is next added). When the bucket is empty it returns
// false and the Retry-After value in seconds.
func (l *limiter) take(key string, hdr http.Header) (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	// Time until the bucket holds one more whole token.
	wait := (math.Floor(b.tokens) + 1 - b.tokens) / l.rate
	reset := now.Add(time.Duration(wait * float64(time.Second)))
	hdr.Set("X-Ratelimit-Limit", strconv.Itoa(int(l.burst)))
	hdr.Set("X-Ratelimit-Remaining", strconv.Itoa(int(math.Floor(b.tokens))))
	hdr.Set("X-Ratelimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(reset.UnixNano())/1e9)), 10))
	if ok {
		return true, ""
	}
	return false, strconv.Itoa(int(math.Max(1, math.Ceil(wait))))
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
