// Package mfa holds the second factors a user can enroll and answer: TOTP authenticator apps
// (RFC 6238 through github.com/pquerna/otp: SHA-1, six digits, 30-second steps, a code of the
// step before or after accepted, each step usable once) and a recovery code (shown once, stored as
// its SHA-256, spent when used).
//
// A TOTP secret is sealed with AES-256-GCM under a key derived from the master key
// (keys.NewAEAD, purpose PurposeTOTPSecret), its additional data binding it to the authenticator
// and the user, so a copied ciphertext opens nowhere else. That a code is used once is the store's
// conditional UPDATE of the authenticator's last step (store.MFAStore.UseTOTPStep): of two
// concurrent submissions of one code, on any node, one is accepted.
//
// Security keys, platform authenticators and passkeys are WebAuthn credentials (webauthn.go,
// github.com/go-webauthn/webauthn): the relying party is the issuer's host and its only origin the
// issuer's origin; only public keys are stored; a ceremony's challenge is stored under what it is
// bound to and taken once by its answer; a signature counter that does not grow is refused.
//
// The package decides nothing about when a second factor is asked for or how many attempts are
// allowed: the sign-in step (internal/authflow, mfa.go) and guard.MFALimiter do.
package mfa
