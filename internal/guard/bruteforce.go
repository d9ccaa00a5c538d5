package guard

import (
	"sync"
	"time"
)

// Defaults follow Auth0's brute-force protection: 10 consecutive failures block the (IP, user) pair.
// Auth0 blocks until the user unblocks through an email or changes their password; Gatehouse lifts the
// block after BlockFor, or when the user resets their password (Forget).
const (
	DefaultThreshold = 10
	DefaultBlockFor  = 15 * time.Minute
	defaultMaxKeys   = 100_000
)

// BruteForce counts consecutive failed sign-ins per (IP address, user) and blocks a pair that reaches
// the threshold. It is safe for concurrent use.
type BruteForce struct {
	Threshold int
	BlockFor  time.Duration
	Now       func() time.Time
	MaxKeys   int // bound on tracked pairs, so that a flood of random names cannot exhaust memory

	mu    sync.Mutex
	pairs map[pair]*record
}

type pair struct{ ip, user string }

type record struct {
	failures     int
	lastFailure  time.Time
	blockedUntil time.Time
}

func (b *BruteForce) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *BruteForce) settings() (threshold int, blockFor time.Duration, maxKeys int) {
	threshold, blockFor, maxKeys = b.Threshold, b.BlockFor, b.MaxKeys
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if blockFor <= 0 {
		blockFor = DefaultBlockFor
	}
	if maxKeys <= 0 {
		maxKeys = defaultMaxKeys
	}
	return
}

// Blocked reports whether sign-in for user from ip is blocked now.
func (b *BruteForce) Blocked(ip, user string) bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.pairs[pair{ip, user}]
	return r != nil && b.now().Before(r.blockedUntil)
}

// Failed records a failed attempt and reports whether the pair is now blocked.
func (b *BruteForce) Failed(ip, user string) bool {
	if b == nil {
		return false
	}
	threshold, blockFor, maxKeys := b.settings()
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pairs == nil {
		b.pairs = make(map[pair]*record)
	}
	k := pair{ip, user}
	r := b.pairs[k]
	if r == nil {
		if len(b.pairs) >= maxKeys {
			b.evict(now, blockFor)
		}
		r = &record{}
		b.pairs[k] = r
	}
	// Failures older than a block period no longer count as consecutive.
	if !r.lastFailure.IsZero() && now.Sub(r.lastFailure) > blockFor && !now.Before(r.blockedUntil) {
		r.failures = 0
	}
	r.failures++
	r.lastFailure = now
	if r.failures >= threshold {
		r.blockedUntil = now.Add(blockFor)
		r.failures = 0
		return true
	}
	return false
}

// Succeeded clears the pair's failures: only consecutive failures count.
func (b *BruteForce) Succeeded(ip, user string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pairs, pair{ip, user})
}

// Forget lifts every block and clears every count for user, from any address: Auth0 unblocks a
// user who changes their password. It is this node's memory only, like the counts themselves.
func (b *BruteForce) Forget(user string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.pairs {
		if p.user == user {
			delete(b.pairs, p)
		}
	}
}

// evict drops records that no longer matter; when all still matter, it drops unblocked ones, and as a
// last resort arbitrary ones, so the map never grows past its bound.
func (b *BruteForce) evict(now time.Time, blockFor time.Duration) {
	for k, r := range b.pairs {
		if !now.Before(r.blockedUntil) && now.Sub(r.lastFailure) > blockFor {
			delete(b.pairs, k)
		}
	}
	for k, r := range b.pairs {
		if len(b.pairs) < b.maxKeys() {
			return
		}
		if !now.Before(r.blockedUntil) {
			delete(b.pairs, k)
		}
	}
	for k := range b.pairs {
		if len(b.pairs) < b.maxKeys() {
			return
		}
		delete(b.pairs, k)
	}
}

// maxKeys is the effective bound on tracked pairs.
func (b *BruteForce) maxKeys() int {
	_, _, m := b.settings()
	return m
}
