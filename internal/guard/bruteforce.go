package guard

import (
	"context"
	"fmt"
	"time"
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
type BruteForce struct {
	Counters  Counters
	Threshold int
	BlockFor  time.Duration
	Now       func() time.Time
}

// Attempt is the verdict on one password attempt.
type Attempt struct {
	// Allowed: the password may be checked. When false the pair is blocked.
	Allowed bool
	// Count is the attempt's number in the current run of failures, counting this one.
	Count int
	// RetryAfter is when a blocked pair may try again.
	RetryAfter time.Duration
}

// Blocks reports whether this attempt, should its password be wrong, is the one that starts a
// block: it is worth a log event.
func (b *BruteForce) Blocks(a Attempt) bool {
	return b != nil && a.Allowed && a.Count == b.threshold()
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
	now := b.now()
	n, exp, err := b.Counters.HitCounter(ctx, ownedKey("bf", user, ip), 1, now, now.Add(blockFor), true)
	if err != nil {
		return Attempt{}, fmt.Errorf("brute-force protection: %w", err)
	}
	a := Attempt{Allowed: n <= int64(b.threshold()), Count: int(n)}
	if !a.Allowed {
		a.RetryAfter = time.Duration(retryAfter(now, exp)) * time.Second
	}
	return a, nil
}

// Succeeded forgets the pair's attempts: only consecutive failures count.
func (b *BruteForce) Succeeded(ctx context.Context, ip, user string) error {
	if b == nil {
		return nil
	}
	if err := b.Counters.DeleteCounter(ctx, ownedKey("bf", user, ip)); err != nil {
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
