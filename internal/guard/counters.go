package guard

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Counters is where guard counts: the database every node shares (store.CounterStore satisfies
// it), so a limit holds the same with one node or several. See store.CounterStore for the meaning
// of each method.
type Counters interface {
	HitCounter(ctx context.Context, key string, n int64, now, expiresAt time.Time, slide bool) (int64, time.Time, error)
	DeleteCounter(ctx context.Context, key string) error
	DeleteCountersWithPrefix(ctx context.Context, prefix string) error
}

// retryAfter is the whole number of seconds until t, at least one: what a Retry-After header says.
func retryAfter(now, t time.Time) int {
	d := t.Sub(now)
	s := int(d / time.Second)
	if d > time.Duration(s)*time.Second {
		s++ // round up: a client that waits this long must find the limit lifted
	}
	return max(s, 1)
}

// counterKey names a counter: the kind in clear (for an operator reading the table), then a SHA-256
// of the parts, each length-prefixed so that no two lists of parts share a key. Hashing bounds the
// key's size whatever a client sends as a user name, keeps addresses and names out of the table,
// and leaves no byte PostgreSQL's text type refuses.
func counterKey(kind string, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return kind + ":" + hex.EncodeToString(h.Sum(nil))
}

// ownedKey names a counter that belongs to owner (a user): the kind, a SHA-256 of the owner, then
// one of the parts, so that every counter of one owner shares a prefix (ownerPrefix) and can be
// forgotten at once.
func ownedKey(kind, owner string, parts ...string) string {
	return ownerPrefix(kind, owner) + counterKey("", parts...)[1:]
}

// ownerPrefix is the key prefix of every counter of kind that owner owns.
func ownerPrefix(kind, owner string) string {
	sum := sha256.Sum256([]byte(owner))
	return kind + ":" + hex.EncodeToString(sum[:16]) + ":"
}
