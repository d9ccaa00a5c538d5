package domain

import "time"

// WebAuthn credentials (W3C Web Authentication Level 3): a security key or a platform
// authenticator enrolled as a second factor (Auth0's webauthn-roaming and webauthn-platform
// factors), or a passkey, a discoverable credential that signs the user in on its own (Auth0's
// passkey authentication method of the database connection). Only the public key is stored.
const (
	FactorWebAuthnRoaming  = "webauthn-roaming"
	FactorWebAuthnPlatform = "webauthn-platform"
	// MethodPasskey is a passkey's type in /api/v2/users/{id}/authentication-methods.
	MethodPasskey = "passkey"
)

// WebAuthnCredential is one registered public key credential of a user.
type WebAuthnCredential struct {
	// ID is the authentication method's id ("webauthn-roaming|dev_…", "passkey|dev_…").
	ID     string
	UserID string
	// Type is FactorWebAuthnRoaming, FactorWebAuthnPlatform or MethodPasskey.
	Type string
	// CredentialID is the authenticator's credential id (unique across users, WebAuthn §7.1 step 25).
	CredentialID []byte
	// Name is what the user or the authenticator calls it ("Security key", a passkey provider).
	Name string
	// SignCount is the signature counter of the last assertion accepted: a later assertion must
	// carry a greater one unless both are zero (§6.1.1), or the authenticator has been cloned.
	SignCount uint32
	// Data is the library's credential record (public key, flags, transports, AAGUID) as JSON.
	Data       []byte
	UserAgent  string
	CreatedAt  time.Time
	LastAuthAt *time.Time
}

// WebAuthnChallenge is the state of one ceremony between its options and its answer: the
// challenge and what the answer must match. Binding names what it belongs to (a login
// transaction, a browser session); a new ceremony for the same binding replaces the old one and
// the answer consumes it, so a challenge is answered once.
type WebAuthnChallenge struct {
	Binding   string
	Data      []byte
	ExpiresAt time.Time
}

// WebAuthnChallengeLifetime bounds a ceremony (WebAuthn §15.4 recommends 300 seconds to 10 minutes
// for user verification required).
const WebAuthnChallengeLifetime = 10 * time.Minute

// AnyFactorEnabled reports whether the tenant has a second factor a user can enroll at sign-in
// (OTP or a WebAuthn factor): without one, no sign-in can be asked for a factor.
func (g GuardianSettings) AnyFactorEnabled() bool {
	return g.Enabled[FactorOTP] || g.Enabled[FactorWebAuthnRoaming] || g.Enabled[FactorWebAuthnPlatform]
}
