package guard

import (
	"context"
	"fmt"
	"time"
)

// CounterWalker lists the live counters under a key prefix (store.CounterStore satisfies it). It is
// only needed to show an administrator who is blocked, so BruteForce's Counters does not require it.
type CounterWalker interface {
	EachCounter(ctx context.Context, prefix string, now time.Time, fn func(key string, count int64, expires time.Time) error) error
}

// Block is one (address, user) pair brute-force protection refuses now. The address itself is not
// recoverable: counter keys hold only its hash.
type Block struct {
	Attempts int       // attempts in the current run of failures
	Until    time.Time // when the block lifts unless someone tries again
}

// ActiveBlocks returns user's live blocks, one per address that reached the threshold: what Auth0's
// GET /api/v2/user-blocks shows. Forget lifts them all.
func (b *BruteForce) ActiveBlocks(ctx context.Context, w CounterWalker, user string) ([]Block, error) {
	if b == nil {
		return nil, nil
	}
	var out []Block
	err := w.EachCounter(ctx, ownerPrefix("bf", user), b.now(), func(_ string, n int64, exp time.Time) error {
		// A pair whose count has reached the threshold is refused at its next attempt (Attempt allows
		// counts up to the threshold, the attempt that brings it there included).
		if n >= int64(b.threshold()) {
			out = append(out, Block{Attempts: int(n), Until: exp})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("brute-force protection: %w", err)
	}
	return out, nil
}
