package guard_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
)

// fixedSettings is a tenant whose attack protection settings are ap.
type fixedSettings struct{ ap domain.AttackProtection }

func (f fixedSettings) GetAttackProtection(context.Context) (domain.AttackProtection, error) {
	return f.ap, nil
}

func policyWith(edit func(*domain.AttackProtection)) *guard.Policy {
	ap := domain.DefaultAttackProtection()
	edit(&ap)
	return &guard.Policy{Settings: fixedSettings{ap}}
}

func throttleEngines(t *testing.T) map[string]guard.Buckets {
	m := map[string]guard.Buckets{}
	for name, c := range engines(t) {
		m[name] = c.(guard.Buckets)
	}
	return m
}

// TestThrottleBucket: 5 attempts a second's refill apart pass, the 6th is refused with Retry-After,
// one interval later one more passes; a success gives its attempt back; the first refusal of a
// block is the one logged; other addresses are not affected; the allow-list is never throttled.
func TestThrottleBucket(t *testing.T) {
	for name, b := range throttleEngines(t) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			p := policyWith(func(ap *domain.AttackProtection) {
				ap.SuspiciousIP.Stage.PreLogin = domain.ThrottleStage{MaxAttempts: 5, Rate: 10_000}
				ap.SuspiciousIP.Allowlist = []string{"192.0.2.0/24"}
			})
			var hits []string
			th := &guard.Throttle{Buckets: b, Policy: p, Now: c.now, Hit: func(s string) { hits = append(hits, s) }}
			ip := "198.51.100.1"
			for i := 1; i <= 5; i++ {
				v, err := th.Attempt(ctx, guard.PreLogin, ip)
				if err != nil || !v.Allowed || v.Throttled {
					t.Fatalf("attempt %d: %+v %v", i, v, err)
				}
			}
			v, err := th.Attempt(ctx, guard.PreLogin, ip)
			// One interval (10 s), rounded up past the microsecond the bucket is clamped beyond full.
			if err != nil || v.Allowed || !v.Throttled || !v.Logs || v.RetryAfter != 11 {
				t.Fatalf("attempt 6: %+v %v, want refused, logged, retry after 11s", v, err)
			}
			v, _ = th.Attempt(ctx, guard.PreLogin, ip)
			if v.Allowed || v.Logs {
				t.Fatalf("attempt 7: %+v, want refused and not logged again", v)
			}
			if len(hits) != 2 {
				t.Errorf("refusals reported: %v", hits)
			}
			if blocked, err := th.Blocked(ctx, ip); err != nil || !blocked {
				t.Errorf("Blocked = %v %v", blocked, err)
			}
			if v, _ := th.Attempt(ctx, guard.PreLogin, "198.51.100.2"); !v.Allowed {
				t.Error("another address is throttled")
			}
			if v, _ := th.Attempt(ctx, guard.PreUserRegistration, ip); !v.Allowed {
				t.Error("the sign-up bucket shares the sign-in count")
			}
			for i := 0; i < 20; i++ {
				if v, _ := th.Attempt(ctx, guard.PreLogin, "192.0.2.77"); !v.Allowed || v.Throttled {
					t.Fatal("an allow-listed address is throttled")
				}
			}
			// Refused attempts do not dig the hole deeper: Retry-After after the last, one passes.
			c.add(time.Duration(v.RetryAfter) * time.Second)
			v, _ = th.Attempt(ctx, guard.PreLogin, ip)
			if !v.Allowed {
				t.Fatalf("one interval later: %+v", v)
			}
			// A success gives the attempt back, so the next one passes too.
			if err := th.Succeeded(ctx, guard.PreLogin, ip, v); err != nil {
				t.Fatal(err)
			}
			if v, _ := th.Attempt(ctx, guard.PreLogin, ip); !v.Allowed {
				t.Fatalf("after a success: %+v", v)
			}
			if err := th.Unblock(ctx, ip); err != nil {
				t.Fatal(err)
			}
			if blocked, _ := th.Blocked(ctx, ip); blocked {
				t.Error("still blocked after Unblock")
			}
			for i := 1; i <= 5; i++ {
				if v, _ := th.Attempt(ctx, guard.PreLogin, ip); !v.Allowed {
					t.Fatalf("after Unblock, attempt %d refused", i)
				}
			}
		})
	}
}

// TestThrottleShieldsAndOff: without the block shield a throttled address is logged, not refused;
// disabled, nothing is counted.
func TestThrottleShieldsAndOff(t *testing.T) {
	b := throttleEngines(t)["sqlite"]
	notify := &guard.Throttle{Buckets: b, Policy: policyWith(func(ap *domain.AttackProtection) {
		ap.SuspiciousIP.Shields = []string{domain.ShieldAdminNotification}
		ap.SuspiciousIP.Stage.PreUserRegistration = domain.ThrottleStage{MaxAttempts: 1, Rate: 60_000}
	})}
	notify.Attempt(ctx, guard.PreUserRegistration, "203.0.113.5")
	v, err := notify.Attempt(ctx, guard.PreUserRegistration, "203.0.113.5")
	if err != nil || !v.Allowed || !v.Throttled || !v.Logs {
		t.Errorf("notify only: %+v %v", v, err)
	}
	off := &guard.Throttle{Buckets: b, Policy: policyWith(func(ap *domain.AttackProtection) { ap.SuspiciousIP.Enabled = false })}
	for i := 0; i < 200; i++ {
		if v, _ := off.Attempt(ctx, guard.PreUserRegistration, "203.0.113.6"); !v.Allowed || v.Throttled {
			t.Fatal("disabled throttling refused")
		}
	}
}

// TestThrottleRace: two nodes, 40 goroutines, one address, a bucket of 10: exactly 10 pass.
func TestThrottleRace(t *testing.T) {
	for name, b := range throttleEngines(t) {
		t.Run(name, func(t *testing.T) {
			p := policyWith(func(ap *domain.AttackProtection) {
				ap.SuspiciousIP.Stage.PreLogin = domain.ThrottleStage{MaxAttempts: 10, Rate: 3_600_000}
			})
			nodes := []*guard.Throttle{{Buckets: b, Policy: p}, {Buckets: b, Policy: p}}
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				allowed atomic.Int64
			)
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					v, err := nodes[i%2].Attempt(ctx, guard.PreLogin, "198.51.100.9")
					if err != nil {
						t.Error(err)
					}
					if v.Allowed {
						allowed.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if n := allowed.Load(); n != 10 {
				t.Fatalf("%d of 40 concurrent attempts allowed, want 10", n)
			}
		})
	}
}

// TestBruteForcePolicy: the tenant's max_attempts, per-identifier mode (a block from every
// address), the allow-list, the block shield and the switch.
func TestBruteForcePolicy(t *testing.T) {
	counters := engines(t)["sqlite"]
	perUser := &guard.BruteForce{Counters: counters, Policy: policyWith(func(ap *domain.AttackProtection) {
		ap.BruteForce.MaxAttempts, ap.BruteForce.Mode = 3, domain.ModePerIdentifier
		ap.BruteForce.Allowlist = []string{"10.9.0.0/16"}
	})}
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		a, err := perUser.Attempt(ctx, ip, "ada@example.com")
		if err != nil || !a.Allowed || a.Count != i+1 || perUser.Blocks(a) != (i == 2) {
			t.Fatalf("attempt %d: %+v %v", i+1, a, err)
		}
	}
	if a, _ := perUser.Attempt(ctx, "10.0.0.4", "ada@example.com"); a.Allowed {
		t.Error("per identifier: a fourth address is not blocked")
	}
	if a, _ := perUser.Attempt(ctx, "10.9.1.1", "ada@example.com"); !a.Allowed || a.Threshold != 0 {
		t.Errorf("allow-listed address: %+v", a)
	}
	logOnly := &guard.BruteForce{Counters: counters, Policy: policyWith(func(ap *domain.AttackProtection) {
		ap.BruteForce.MaxAttempts, ap.BruteForce.Shields = 1, []string{}
	})}
	logOnly.Attempt(ctx, "10.0.0.1", "uma@example.com")
	if a, _ := logOnly.Attempt(ctx, "10.0.0.1", "uma@example.com"); !a.Allowed || !a.Over {
		t.Errorf("without the block shield: %+v", a)
	}
	off := &guard.BruteForce{Counters: counters, Policy: policyWith(func(ap *domain.AttackProtection) { ap.BruteForce.Enabled = false })}
	for i := 0; i < 20; i++ {
		if a, _ := off.Attempt(ctx, "10.0.0.1", "eve@example.com"); !a.Allowed {
			t.Fatal("disabled brute-force protection refused")
		}
	}
}

func TestBreachedList(t *testing.T) {
	if n := guard.BreachedListSize(); n != 100_000 {
		t.Errorf("list size %d", n)
	}
	for _, pw := range []string{"123456", "password", "qwerty", "hunter2", "zzzzzz"} {
		if !guard.Breached(pw) {
			t.Errorf("%q not found", pw)
		}
	}
	for _, pw := range []string{"", "Correct-Horse-Battery-9!", "123456 ", "PASSWORD-not-really", "\x00"} {
		if guard.Breached(pw) {
			t.Errorf("%q found", pw)
		}
	}
}

func TestBreachedStages(t *testing.T) {
	p := policyWith(func(ap *domain.AttackProtection) {
		ap.BreachedPassword.Enabled = true
		ap.BreachedPassword.Shields = []string{domain.ShieldBlock}
		ap.BreachedPassword.Stage.PreChangePassword.Shields = []string{domain.ShieldAdminNotification}
	})
	if v, _ := p.BreachedAt(ctx, "", "password"); !v.Detected || !v.Block {
		t.Errorf("sign-in: %+v", v)
	}
	if v, _ := p.BreachedAt(ctx, guard.StagePreChangePassword, "password"); !v.Detected || v.Block {
		t.Errorf("change, notify only: %+v", v)
	}
	if v, _ := p.BreachedAt(ctx, "", "Correct-Horse-Battery-9!"); v.Detected {
		t.Errorf("a password off the list: %+v", v)
	}
	off := policyWith(func(*domain.AttackProtection) {})
	if v, _ := off.BreachedAt(ctx, "", "password"); v.Detected {
		t.Error("detection off by default, yet detected")
	}
}

// TestSignedInRate: the 21st successful sign-in in a minute for one account from one address is
// refused (and is the one logged); another address, or the next minute, is not.
func TestSignedInRate(t *testing.T) {
	c := newClock()
	b := &guard.BruteForce{Counters: engines(t)["sqlite"], Now: c.now}
	for i := 1; i <= guard.DefaultLoginsPerMinute; i++ {
		if r, err := b.SignedIn(ctx, "10.0.0.1", "ada@example.com"); err != nil || !r.Allowed {
			t.Fatalf("sign-in %d: %+v %v", i, r, err)
		}
	}
	r, _ := b.SignedIn(ctx, "10.0.0.1", "ada@example.com")
	if r.Allowed || !r.Logs || r.RetryAfter != 60 {
		t.Fatalf("sign-in 21: %+v", r)
	}
	if r, _ := b.SignedIn(ctx, "10.0.0.1", "ada@example.com"); r.Allowed || r.Logs {
		t.Fatalf("sign-in 22: %+v", r)
	}
	if r, _ := b.SignedIn(ctx, "10.0.0.2", "ada@example.com"); !r.Allowed {
		t.Fatal("another address refused")
	}
	c.add(time.Minute)
	if r, _ := b.SignedIn(ctx, "10.0.0.1", "ada@example.com"); !r.Allowed {
		t.Fatal("refused in the next minute")
	}
}
