package guard_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/guard"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBruteForceBlocksAfterThreshold(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &guard.BruteForce{Now: c.now}
	for i := 1; i < guard.DefaultThreshold; i++ {
		if b.Failed("10.0.0.1", "ada@example.com") {
			t.Fatalf("blocked after %d failures", i)
		}
	}
	if !b.Failed("10.0.0.1", "ada@example.com") || !b.Blocked("10.0.0.1", "ada@example.com") {
		t.Fatal("not blocked after the threshold")
	}
	if b.Blocked("10.0.0.2", "ada@example.com") || b.Blocked("10.0.0.1", "uma@example.com") {
		t.Error("the block reaches beyond its (IP, user) pair")
	}
	c.t = c.t.Add(guard.DefaultBlockFor - time.Second)
	if !b.Blocked("10.0.0.1", "ada@example.com") {
		t.Error("block lifted early")
	}
	c.t = c.t.Add(2 * time.Second)
	if b.Blocked("10.0.0.1", "ada@example.com") {
		t.Error("block not lifted after BlockFor")
	}
	if b.Failed("10.0.0.1", "ada@example.com") {
		t.Error("one failure after a lifted block blocks again")
	}
}

func TestBruteForceCountsOnlyConsecutiveFailures(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &guard.BruteForce{Threshold: 3, Now: c.now}
	b.Failed("ip", "u")
	b.Failed("ip", "u")
	b.Succeeded("ip", "u")
	if b.Failed("ip", "u") || b.Failed("ip", "u") {
		t.Error("failures before a success still counted")
	}
	c.t = c.t.Add(guard.DefaultBlockFor + time.Minute)
	if b.Failed("ip", "u") {
		t.Error("failures older than a block period still counted")
	}
}

func TestBruteForceMemoryIsBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &guard.BruteForce{Threshold: 2, MaxKeys: 100, Now: c.now}
	b.Failed("1.1.1.1", "victim")
	b.Failed("1.1.1.1", "victim") // blocked
	for i := range 10_000 {
		b.Failed("2.2.2.2", fmt.Sprintf("random-%d", i))
	}
	if !b.Blocked("1.1.1.1", "victim") {
		t.Error("a flood of other names evicted an active block")
	}
	var nilGuard *guard.BruteForce
	if nilGuard.Blocked("x", "y") || nilGuard.Failed("x", "y") {
		t.Error("a nil guard blocks")
	}
}

// A user who resets their password is unblocked from every address; others stay blocked.
func TestBruteForceForget(t *testing.T) {
	b := &guard.BruteForce{Threshold: 2}
	for _, ip := range []string{"10.0.0.1", "10.0.0.2"} {
		for _, u := range []string{"ada@example.com", "uma@example.com"} {
			b.Failed(ip, u)
			b.Failed(ip, u)
		}
	}
	b.Forget("ada@example.com")
	if b.Blocked("10.0.0.1", "ada@example.com") || b.Blocked("10.0.0.2", "ada@example.com") {
		t.Error("ada is still blocked after Forget")
	}
	if !b.Blocked("10.0.0.1", "uma@example.com") || !b.Blocked("10.0.0.2", "uma@example.com") {
		t.Error("Forget reached another user")
	}
	var none *guard.BruteForce
	none.Forget("ada@example.com") // brute-force protection off
}
