// Package password hashes and verifies user passwords: argon2id (RFC 9106) for every new hash, bcrypt
// verified for imported hashes and flagged for an upgrade at the next successful sign-in. Hashes are PHC
// strings so that parameters travel with them and can be raised later. A Gate bounds the memory the
// computations take at once (each holds its 64 MiB until it ends): past the budget a short queue,
// then ErrBusy, which callers answer with 503 and Retry-After.
//
// It must not be used for high-entropy secrets (client secrets, refresh tokens): those are SHA-256
// hashed (domain.HashSecret), since a slow hash there only costs time on the hot path.
package password
