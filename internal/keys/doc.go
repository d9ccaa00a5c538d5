// Package keys owns the token signing keys: it generates them (RSA-2048 for RS256, P-256 for ES256),
// encrypts their private halves at rest with a key derived from the master key, moves them through
// the next → current → previous → revoked states, and keeps one prepared signer per key in memory on
// every node together with the pre-rendered JWKS document that publishes them. It also seals HS256
// APIs' signing secrets (SecretSealer) and signs with them (SignHS256); those are never published.
//
// A node learns of a rotation or revocation made elsewhere from PostgreSQL's change notification
// (internal/app calls Manager.Reload, within a second), by polling store.KeyStore.KeysVersion
// (Manager.Run, the fallback) and by reloading when asked to verify a token whose kid it does not
// know (Manager.VerificationKey). A key is signed with only once it has been published for
// Options.PublishLead (Manager.Current), so every node's JWKS lists a key before any token names it.
//
// It must not assemble claims or speak HTTP: package token builds tokens with the signers handed out
// here, and package oauth serves the JWKS bytes.
package keys
