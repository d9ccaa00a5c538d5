package domain

import (
	"crypto/sha256"
	"crypto/subtle"
)

// HashSecret returns the SHA-256 of a high-entropy secret (client secret, refresh token, code,
// session cookie). A fast hash is right here: the inputs carry ≥ 128 bits of entropy, so there is
// nothing to brute-force, and a slow hash would sit on the token endpoint's hot path.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches compares a presented secret with a stored hash in constant time.
func SecretMatches(storedHash []byte, presented string) bool {
	sum := sha256.Sum256([]byte(presented))
	return len(storedHash) == sha256.Size && subtle.ConstantTimeCompare(storedHash, sum[:]) == 1
}
