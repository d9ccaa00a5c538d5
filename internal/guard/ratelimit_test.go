package guard_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/guard"
)

func TestRateLimiterFixedWindow(t *testing.T) {
	for name, counters := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			var hits []string
			l := &guard.RateLimiter{Counters: counters, Now: c.now, Hit: func(n string) { hits = append(hits, n) }}
			lim := guard.Limit{Max: 3, Window: 10 * time.Second}
			start := c.now()
			for i := 1; i <= 3; i++ {
				d, err := l.Take(ctx, "token_ip", "198.51.100.7", lim)
				if err != nil || !d.Allowed || d.Remaining != 3-i {
					t.Fatalf("request %d: %+v %v", i, d, err)
				}
				c.add(time.Second)
			}
			d, err := l.Take(ctx, "token_ip", "198.51.100.7", lim)
			if err != nil || d.Allowed {
				t.Fatalf("request 4: %+v %v, want refused", d, err)
			}
			if !d.Reset.Equal(start.Add(10*time.Second)) || d.RetryAfter != 7 {
				t.Errorf("reset %v retry-after %d, want the window's end 7s away", d.Reset, d.RetryAfter)
			}
			if len(hits) != 1 || hits[0] != "token_ip" {
				t.Errorf("refusals reported: %v", hits)
			}
			h := http.Header{}
			d.SetHeaders(h)
			if h.Get("X-Ratelimit-Limit") != "3" || h.Get("X-Ratelimit-Remaining") != "0" ||
				h.Get("X-Ratelimit-Reset") != strconv.FormatInt(start.Add(10*time.Second).Unix(), 10) || h.Get("Retry-After") != "7" {
				t.Errorf("headers: %v", h)
			}
			if d, _ := l.Take(ctx, "token_ip", "198.51.100.8", lim); !d.Allowed {
				t.Error("another key is limited")
			}
			if d, _ := l.Take(ctx, "mgmt", "198.51.100.7", lim); !d.Allowed {
				t.Error("another limit shares the count")
			}
			c.add(7 * time.Second)
			d, _ = l.Take(ctx, "token_ip", "198.51.100.7", lim)
			if !d.Allowed || d.Remaining != 2 {
				t.Errorf("after the window: %+v, want a fresh count", d)
			}
			h = http.Header{}
			d.SetHeaders(h)
			if h.Get("Retry-After") != "" {
				t.Error("Retry-After on an allowed request")
			}
		})
	}
}

func TestRateLimiterOff(t *testing.T) {
	var l *guard.RateLimiter
	d, err := l.Take(ctx, "x", "y", guard.Limit{Max: 1, Window: time.Second})
	if err != nil || !d.Allowed {
		t.Errorf("nil limiter: %+v %v", d, err)
	}
	h := http.Header{}
	d.SetHeaders(h)
	if len(h) != 0 {
		t.Errorf("headers for no limit: %v", h)
	}
}
