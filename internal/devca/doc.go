// Package devca owns the local certificate authority of `gatehouse dev`: a
// long-lived ECDSA P-256 root the developer trusts once (NODE_EXTRA_CA_CERTS
// or the OS trust store), and a short-lived server certificate for the
// loopback names signed by it, both kept as PEM files in one directory and
// reused across runs while they remain valid.
//
// It must never be used by `gatehouse serve`: production certificates come
// from the operator. It does not install anything into a trust store and
// never overwrites a usable CA, since that would invalidate the trust the
// developer already granted.
package devca
