// Package devca owns the local certificate authority of `gatehouse dev`: an
// ECDSA P-256 root the developer trusts (NODE_EXTRA_CA_CERTS or the OS trust
// store), valid for a year and name-constrained to the loopback names and
// the configured hosts, and a short-lived server certificate for those
// names signed by it, both kept as PEM files in one directory and reused
// across runs while they remain valid.
//
// It must never be used by `gatehouse serve`: production certificates come
// from the operator. It does not install anything into a trust store, and
// it never overwrites a CA that is still usable for the same hosts, since
// that would invalidate the trust the developer already granted; it does
// replace a CA that expires soon, lacks name constraints or was made for
// other hosts, and says so (Paths.ReplacedCA) so the caller can tell the
// developer to trust the new one.
package devca
