package guard

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Defaults follow Auth0's brute-force protection: 10 consecutive failures block the (IP, user) pair.
// Auth0 blocks until the user unblocks through an email or changes their password; Gatehouse lifts the
// block after BlockFor, or when the user resets their password (Forget).
const (
	DefaultThreshold = 10
	DefaultBlockFor  = 15 * time.Minute
)

// BruteForce counts password attempts per (IP address, user) in the shared Counters and refuses
// the pair once Threshold attempts in a row have not succeeded. A nil *BruteForce allows everything.
//
// An attempt is counted before its password is checked (Attempt), not after it failed: checks run
// concurrently, possibly on several nodes, and counting first is what makes the attempt after the
// threshold refused however many arrive at once. A success forgets the count (Succeeded), so only
// consecutive failures block. The count lives until BlockFor has passed since the last attempt, so
// older failures stop counting and a block lasts BlockFor after the attacker's last try.
//
// With a Policy, the tenant's brute-force-protection settings decide: off, an allow-listed
// address, the threshold (max_attempts), counting per identifier alone (mode
// count_per_identifier: a block from every address), and whether a block refuses (shield block)
// or is only logged.
type BruteForce struct {
	Counters  Counters
	Threshold int
	BlockFor  time.Duration
	Now       func() time.Time
	Policy    *Policy
}

// Attempt is the verdict on one password attempt.
type Attempt struct {
	// Allowed: the password may be checked. When false the pair is blocked.
	Allowed bool
	// Count is the attempt's number in the current run of failures, counting this one.
	Count int
	// RetryAfter is when a blocked pair may try again.
	RetryAfter time.Duration
	// Threshold is the number of failures that starts a block; 0 when nothing was counted
	// (protection off, or an allow-listed address).
	Threshold int
	// Over: the attempt is past the threshold. Allowed with Over means the block shield is off:
	// the block is logged, not enforced.
	Over bool
	// Notify: the tenant asks for the user to be told of a block (shield user_notification).
	Notify bool
}

// Blocks reports whether this attempt, should its password be wrong, is the one that starts a
// block: it is worth a log event.
func (b *BruteForce) Blocks(a Attempt) bool {
	return b != nil && a.Threshold > 0 && a.Count == a.Threshold
}

// rule is what the settings say for one attempt.
type rule struct {
	off       bool
	threshold int
	perIP     bool
	block     bool
	notify    bool
}

func (b *BruteForce) rule(ctx context.Context, ip string) (rule, error) {
	r := rule{threshold: b.threshold(), perIP: true, block: true}
	if b.Policy == nil {
		return r, nil
	}
	ap, err := b.Policy.Get(ctx)
	if err != nil {
		return r, err
	}
	bf := ap.BruteForce
	if !bf.Enabled || domain.AllowlistContains(bf.Allowlist, ip) {
		return rule{off: true}, nil
	}
	if bf.MaxAttempts > 0 {
		r.threshold = bf.MaxAttempts
	}
	r.perIP = bf.Mode != domain.ModePerIdentifier
	r.block = domain.HasShield(bf.Shields, domain.ShieldBlock)
	r.notify = domain.HasShield(bf.Shields, domain.ShieldUserNotification)
	return r, nil
}

// key is the counter of user's failures: from ip, or from anywhere when counting per identifier.
func (r rule) key(ip, user string) string {
	if !r.perIP {
		ip = ""
	}
	return ownedKey("bf", user, ip)
}

func (b *BruteForce) threshold() int {
	if b.Threshold > 0 {
		return b.Threshold
	}
	return DefaultThreshold
}

func (b *BruteForce) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Attempt counts one attempt for user from ip and says whether its password may be checked.
func (b *BruteForce) Attempt(ctx context.Context, ip, user string) (Attempt, error) {
	if b == nil {
		return Attempt{Allowed: true}, nil
	}
	blockFor := b.BlockFor
	if blockFor <= 0 {
		blockFor = DefaultBlockFor
	}
	r, err := b.rule(ctx, ip)
	if err != nil {
		return Attempt{}, fmt.Errorf("brute-force protection: %w", err)
	}
	if r.off {
		return Attempt{Allowed: true}, nil
	}
	now := b.now()
	n, exp, err := b.Counters.HitCounter(ctx, r.key(ip, user), 1, now, now.Add(blockFor), true)
	if err != nil {
		return Attempt{}, fmt.Errorf("brute-force protection: %w", err)
	}
	a := Attempt{Count: int(n), Threshold: r.threshold, Over: n > int64(r.threshold), Notify: r.notify}
	a.Allowed = !a.Over || !r.block
	if a.Over {
		a.RetryAfter = time.Duration(retryAfter(now, exp)) * time.Second
	}
	return a, nil
}

// Succeeded forgets the pair's attempts: only consecutive failures count.
func (b *BruteForce) Succeeded(ctx context.Context, ip, user string) error {
	if b == nil {
		return nil
	}
	r, err := b.rule(ctx, ip)
	if err != nil {
		return fmt.Errorf("brute-force protection: %w", err)
	}
	if r.off {
		return nil
	}
	if err := b.Counters.DeleteCounter(ctx, r.key(ip, user)); err != nil {
		return fmt.Errorf("brute-force protection: %w", err)
	}
	return nil
}

// GiveBack uncounts an attempt whose password was never checked (hashing at its memory budget):
// only checked failures move a pair toward its block. A count that expired in the meantime is left
// expired (the -1 it would start at expires at once).
func (b *BruteForce) GiveBack(ctx context.Context, ip, user string) error {
	if b == nil {
		return nil
	}
	r, err := b.rule(ctx, ip)
	if err != nil {
		return fmt.Errorf("brute-force protection: %w", err)
	}
	if r.off {
		return nil
	}
	now := b.now()
	if _, _, err := b.Counters.HitCounter(ctx, r.key(ip, user), -1, now, now, false); err != nil {
		return fmt.Errorf("brute-force protection: %w", err)
	}
	return nil
}

// Forget lifts every block and clears every count for user, from any address: Auth0 unblocks a
// user who changes their password. The counts live in the shared database, so every node forgets.
func (b *BruteForce) Forget(ctx context.Context, user string) error {
	if b == nil {
		return nil
	}
	if err := b.Counters.DeleteCountersWithPrefix(ctx, ownerPrefix("bf", user)); err != nil {
		return fmt.Errorf("brute-force protection: %w", err)
	}
	return nil
}
