package guard

import (
	"context"
	"fmt"
	"time"
)

// Second-factor code limits. A code is six digits: one in a million per guess, three steps
// accepted at once, so guesses must be few. Per sign-in transaction a handful of typos; per user,
// across transactions and nodes, ten consecutive wrong codes block the user's second factor for
// fifteen minutes (Auth0's Guardian blocks after ten and logs gd_otp_rate_limit_exceed).
const (
	DefaultMFAPerTransaction = 5
	DefaultMFAPerUser        = 10
	DefaultMFABlockFor       = 15 * time.Minute
)

// MFALimiter bounds second-factor code attempts per transaction and per user in the shared
// Counters. Like BruteForce it counts an attempt before its code is checked, so concurrent
// guesses on any node cannot pass a limit; a right code forgets the user's count (Succeeded).
type MFALimiter struct {
	Counters       Counters
	PerTransaction int
	PerUser        int
	BlockFor       time.Duration
	Now            func() time.Time
}

// MFAAttempt is the verdict on one code attempt.
type MFAAttempt struct {
	// Allowed: the code may be checked.
	Allowed bool
	// UserBlocked: the user's limit is reached (log gd_otp_rate_limit_exceed); otherwise a refusal
	// is the transaction's limit, and the user must start the sign-in again.
	UserBlocked bool
	RetryAfter  time.Duration
}

// Attempt counts one code attempt of user within transaction tx.
func (l *MFALimiter) Attempt(ctx context.Context, user, tx string) (MFAAttempt, error) {
	now := l.now()
	blockFor := l.BlockFor
	if blockFor <= 0 {
		blockFor = DefaultMFABlockFor
	}
	perUser, perTx := l.PerUser, l.PerTransaction
	if perUser <= 0 {
		perUser = DefaultMFAPerUser
	}
	if perTx <= 0 {
		perTx = DefaultMFAPerTransaction
	}
	nu, exp, err := l.Counters.HitCounter(ctx, ownedKey("mfa", user), 1, now, now.Add(blockFor), true)
	if err != nil {
		return MFAAttempt{}, fmt.Errorf("mfa limit: %w", err)
	}
	if nu > int64(perUser) {
		return MFAAttempt{UserBlocked: true, RetryAfter: time.Duration(retryAfter(now, exp)) * time.Second}, nil
	}
	// A transaction lives at most an hour; its counter need not outlive it.
	nt, _, err := l.Counters.HitCounter(ctx, counterKey("mfa-tx", tx), 1, now, now.Add(time.Hour), false)
	if err != nil {
		return MFAAttempt{}, fmt.Errorf("mfa limit: %w", err)
	}
	return MFAAttempt{Allowed: nt <= int64(perTx)}, nil
}

// Succeeded forgets the user's consecutive failures.
func (l *MFALimiter) Succeeded(ctx context.Context, user string) error {
	if err := l.Counters.DeleteCounter(ctx, ownedKey("mfa", user)); err != nil {
		return fmt.Errorf("mfa limit: %w", err)
	}
	return nil
}

func (l *MFALimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
