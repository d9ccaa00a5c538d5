package guard

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Buckets is where the throttle counts (store.CounterStore satisfies it): buckets per address in
// the database every node shares, so the throttle is the same with one node or several.
type Buckets interface {
	HitBucket(ctx context.Context, key string, now time.Time, interval, limit time.Duration) (time.Time, error)
	RefundBucket(ctx context.Context, key string, interval time.Duration) error
	HitCounter(ctx context.Context, key string, n int64, now, expiresAt time.Time, slide bool) (int64, time.Time, error)
	GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error)
	DeleteCounter(ctx context.Context, key string) error
}

// Stage is one of suspicious IP throttling's buckets.
type Stage string

const (
	// PreLogin counts sign-in attempts (a success gives its attempt back, so the bucket holds
	// failures) and password reset requests, per address across every account.
	PreLogin Stage = "pre-login"
	// PreUserRegistration counts sign-ups per address.
	PreUserRegistration Stage = "pre-user-registration"
)

// Throttle is suspicious IP throttling, as Auth0 has it: per address, across accounts, a bucket of
// max_attempts that grants one more attempt every rate milliseconds. An attempt is counted before
// its password is checked (like BruteForce), so concurrent attempts on any node cannot slip past
// the bucket; a successful sign-in then gives its attempt back (Succeeded). A nil *Throttle allows
// everything.
type Throttle struct {
	Buckets Buckets
	Policy  *Policy
	Now     func() time.Time
	// Hit, when set, is called with the stage each time an attempt is refused (metrics).
	Hit func(stage string)
}

// Verdict is the throttle's answer to one attempt.
type Verdict struct {
	Allowed bool
	// Throttled: the address is over its bucket. Allowed and Throttled means the block shield is
	// off: the address is logged, not refused.
	Throttled bool
	// RetryAfter is the whole number of seconds until the address may try again (Throttled).
	RetryAfter int
	// Logs: this is the first throttled attempt of the block, the one worth a limit_mu event.
	Logs bool
	// counted: the attempt took from the bucket (and Succeeded may give it back).
	counted  bool
	interval time.Duration
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func stageOf(sit domain.SuspiciousIPThrottling, s Stage) domain.ThrottleStage {
	if s == PreUserRegistration {
		return sit.Stage.PreUserRegistration
	}
	return sit.Stage.PreLogin
}

func bucketKey(s Stage, ip string) string { return counterKey("sit", string(s), ip) }

// Attempt counts one attempt from ip at stage and says whether it may go on.
func (t *Throttle) Attempt(ctx context.Context, s Stage, ip string) (Verdict, error) {
	if t == nil {
		return Verdict{Allowed: true}, nil
	}
	ap, err := t.Policy.Get(ctx)
	if err != nil {
		return Verdict{Allowed: true}, fmt.Errorf("suspicious IP throttling: %w", err)
	}
	sit := ap.SuspiciousIP
	if !sit.Enabled || domain.AllowlistContains(sit.Allowlist, ip) {
		return Verdict{Allowed: true}, nil
	}
	st := stageOf(sit, s)
	iv := time.Duration(st.Rate) * time.Millisecond
	burst := time.Duration(st.MaxAttempts) * iv
	now := t.now()
	// The bucket is clamped just past full: an attempt refused leaves it there, so hammering a
	// full bucket digs no deeper, and one interval after the last attempt one more is granted.
	tat, err := t.Buckets.HitBucket(ctx, bucketKey(s, ip), now, iv, burst+time.Microsecond)
	if err != nil {
		return Verdict{Allowed: true}, fmt.Errorf("suspicious IP throttling: %w", err)
	}
	v := Verdict{Allowed: true, counted: true, interval: iv}
	if over := tat.Sub(now) - burst; over > 0 {
		v.Throttled, v.counted = true, false
		v.Allowed = !domain.HasShield(sit.Shields, domain.ShieldBlock)
		v.RetryAfter = retryAfter(now, tat.Add(iv-burst))
		if t.Hit != nil && !v.Allowed {
			t.Hit(string(s))
		}
		// One limit_mu event per block: the first throttled attempt since the bucket last had
		// room opens a marker that lives as long as the block can.
		n, _, err := t.Buckets.HitCounter(ctx, counterKey("sitlog", string(s), ip), 1, now, now.Add(burst+iv), true)
		if err != nil {
			return v, fmt.Errorf("suspicious IP throttling: %w", err)
		}
		v.Logs = n == 1
	}
	return v, nil
}

// Succeeded gives a sign-in's attempt back: the pre-login bucket holds failures.
func (t *Throttle) Succeeded(ctx context.Context, s Stage, ip string, v Verdict) error {
	if t == nil || !v.counted {
		return nil
	}
	if err := t.Buckets.RefundBucket(ctx, bucketKey(s, ip), v.interval); err != nil {
		return fmt.Errorf("suspicious IP throttling: %w", err)
	}
	return nil
}

// Blocked reports whether ip's next attempt at either stage would be throttled
// (GET /api/v2/anomaly/blocks/ips/{ip}).
func (t *Throttle) Blocked(ctx context.Context, ip string) (bool, error) {
	if t == nil {
		return false, nil
	}
	ap, err := t.Policy.Get(ctx)
	if err != nil {
		return false, err
	}
	now := t.now()
	for _, s := range []Stage{PreLogin, PreUserRegistration} {
		st := stageOf(ap.SuspiciousIP, s)
		iv := time.Duration(st.Rate) * time.Millisecond
		_, tat, err := t.Buckets.GetCounter(ctx, bucketKey(s, ip), now)
		if err != nil {
			return false, err
		}
		// The next attempt moves tat one interval on: it is refused when that passes the burst.
		if !tat.IsZero() && tat.Sub(now)+iv > time.Duration(st.MaxAttempts)*iv {
			return true, nil
		}
	}
	return false, nil
}

// Unblock empties ip's buckets at both stages on every node (DELETE /api/v2/anomaly/blocks/ips/{ip}).
func (t *Throttle) Unblock(ctx context.Context, ip string) error {
	if t == nil {
		return nil
	}
	for _, s := range []Stage{PreLogin, PreUserRegistration} {
		for _, k := range []string{bucketKey(s, ip), counterKey("sitlog", string(s), ip)} {
			if err := t.Buckets.DeleteCounter(ctx, k); err != nil {
				return fmt.Errorf("suspicious IP throttling: %w", err)
			}
		}
	}
	return nil
}

// BreachedVerdict is breached password detection's answer for one password.
type BreachedVerdict struct {
	// Detected: detection is on and the password is on the list (log it).
	Detected bool
	// Block: refuse the password.
	Block bool
	// Notify: tell the user (shield user_notification, at sign-in).
	Notify bool
}

// BreachedAt checks password at a stage of breached password detection: "" for sign-in (the
// section's own shields), PreUserRegistration for sign-up, or "pre-change-password".
func (p *Policy) BreachedAt(ctx context.Context, stage, password string) (BreachedVerdict, error) {
	ap, err := p.Get(ctx)
	if err != nil {
		return BreachedVerdict{}, err
	}
	bpd := ap.BreachedPassword
	if !bpd.Enabled || !Breached(password) {
		return BreachedVerdict{}, nil
	}
	shields := bpd.Shields
	switch stage {
	case string(PreUserRegistration):
		shields = bpd.Stage.PreUserRegistration.Shields
	case StagePreChangePassword:
		shields = bpd.Stage.PreChangePassword.Shields
	}
	return BreachedVerdict{Detected: true, Block: domain.HasShield(shields, domain.ShieldBlock),
		Notify: domain.HasShield(shields, domain.ShieldUserNotification)}, nil
}

// StagePreChangePassword is breached password detection's stage for a password change or reset.
const StagePreChangePassword = "pre-change-password"
