package guard_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// engines returns a fresh store per engine the test can reach: SQLite always, PostgreSQL when
// GATEHOUSE_TEST_POSTGRES_URL is set.
func engines(t *testing.T) map[string]guard.Counters {
	t.Helper()
	m := map[string]guard.Counters{"sqlite": sqlitetest.New(t, sqlite.Options{})}
	if os.Getenv(pgtest.URLEnv) != "" {
		m["postgres"] = pgtest.Open(t, pgtest.SchemaURL(t), postgres.Options{})
	}
	return m
}

func attempt(t *testing.T, b *guard.BruteForce, ip, user string) guard.Attempt {
	t.Helper()
	a, err := b.Attempt(ctx, ip, user)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBruteForceBlocksAfterThreshold(t *testing.T) {
	for name, counters := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			b := &guard.BruteForce{Counters: counters, Now: c.now}
			for i := 1; i <= guard.DefaultThreshold; i++ {
				a := attempt(t, b, "10.0.0.1", "ada@example.com")
				if !a.Allowed || a.Count != i {
					t.Fatalf("attempt %d: %+v, want allowed with count %d", i, a, i)
				}
				if b.Blocks(a) != (i == guard.DefaultThreshold) {
					t.Fatalf("attempt %d: Blocks = %v", i, b.Blocks(a))
				}
			}
			a := attempt(t, b, "10.0.0.1", "ada@example.com")
			if a.Allowed || a.RetryAfter != guard.DefaultBlockFor {
				t.Fatalf("attempt 11: %+v, want refused for %v", a, guard.DefaultBlockFor)
			}
			if !attempt(t, b, "10.0.0.2", "ada@example.com").Allowed || !attempt(t, b, "10.0.0.1", "uma@example.com").Allowed {
				t.Error("the block reaches beyond its (IP, user) pair")
			}
			// A refused attempt is the attacker's latest try: the block lasts BlockFor after it.
			c.add(guard.DefaultBlockFor - time.Second)
			if attempt(t, b, "10.0.0.1", "ada@example.com").Allowed {
				t.Error("block lifted early")
			}
			c.add(guard.DefaultBlockFor + time.Second)
			if a := attempt(t, b, "10.0.0.1", "ada@example.com"); !a.Allowed || a.Count != 1 {
				t.Errorf("after the block: %+v, want a fresh count", a)
			}
		})
	}
}

func TestBruteForceCountsOnlyConsecutiveFailures(t *testing.T) {
	for name, counters := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			b := &guard.BruteForce{Counters: counters, Threshold: 3, Now: c.now}
			attempt(t, b, "ip", "u")
			attempt(t, b, "ip", "u")
			if err := b.Succeeded(ctx, "ip", "u"); err != nil {
				t.Fatal(err)
			}
			attempt(t, b, "ip", "u")
			if a := attempt(t, b, "ip", "u"); a.Count != 2 {
				t.Errorf("count after a success = %d, want 2", a.Count)
			}
			c.add(guard.DefaultBlockFor + time.Minute)
			if a := attempt(t, b, "ip", "u"); a.Count != 1 {
				t.Errorf("failures older than a block period still counted: %d", a.Count)
			}
		})
	}
}

// TestBruteForceRace: 30 attempts for one pair at once, each on its own goroutine and database
// connection, let exactly Threshold through to a password check.
func TestBruteForceRace(t *testing.T) {
	for name, counters := range engines(t) {
		t.Run(name, func(t *testing.T) {
			b := &guard.BruteForce{Counters: counters}
			const racers = 30
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				mu      sync.Mutex
				allowed int
			)
			for range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					a, err := b.Attempt(ctx, "203.0.113.9", "victim@example.com")
					if err != nil {
						t.Error(err)
						return
					}
					if a.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}()
			}
			close(start)
			wg.Wait()
			if allowed != guard.DefaultThreshold {
				t.Fatalf("%d of %d concurrent attempts allowed, want %d", allowed, racers, guard.DefaultThreshold)
			}
		})
	}
}

func TestNilBruteForceAllows(t *testing.T) {
	var b *guard.BruteForce
	if a, err := b.Attempt(ctx, "x", "y"); err != nil || !a.Allowed || b.Blocks(a) {
		t.Errorf("a nil guard refuses: %+v %v", a, err)
	}
	if err := b.Succeeded(ctx, "x", "y"); err != nil {
		t.Error(err)
	}
}

// A user who resets their password is unblocked from every address; others stay blocked.
func TestBruteForceForget(t *testing.T) {
	for name, counters := range engines(t) {
		t.Run(name, func(t *testing.T) {
			b := &guard.BruteForce{Counters: counters, Threshold: 2, Now: newClock().now}
			for _, ip := range []string{"10.0.0.1", "10.0.0.2"} {
				for _, u := range []string{"ada@example.com", "uma@example.com"} {
					for range 3 {
						attempt(t, b, ip, u)
					}
				}
			}
			if err := b.Forget(ctx, "ada@example.com"); err != nil {
				t.Fatal(err)
			}
			for _, ip := range []string{"10.0.0.1", "10.0.0.2"} {
				if a := attempt(t, b, ip, "ada@example.com"); !a.Allowed || a.Count != 1 {
					t.Errorf("ada from %s after Forget: %+v, want a fresh count", ip, a)
				}
				if a := attempt(t, b, ip, "uma@example.com"); a.Allowed {
					t.Errorf("Forget reached another user: uma from %s %+v", ip, a)
				}
			}
			var none *guard.BruteForce
			if err := none.Forget(ctx, "ada@example.com"); err != nil { // brute-force protection off
				t.Error(err)
			}
		})
	}
}
