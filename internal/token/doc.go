// Package token assembles and signs the tokens Gatehouse issues, in Auth0's shapes (spec §2): ID
// tokens, JWT access tokens for an API (Auth0 and RFC 9068 dialects), and opaque access tokens good
// only at /userinfo. It also verifies Gatehouse's own tokens for the Management API and /userinfo.
//
// Claims are encoded in one pass straight into the payload and signed once with the key's prepared
// signer (package keys); nothing on that path builds a signer, merges maps or re-encodes JSON.
//
// Opaque access tokens are sealed, not stored: AES-256-GCM under a key derived from the master key,
// carrying sub, scope, client id, session id and expiry. They need no database row and cannot be read
// by their holder; like Auth0's encrypted tokens they cannot be revoked before they expire.
//
// It must not decide what a client may receive (scopes, RBAC, grants: package oauth/grant) nor speak
// HTTP.
package token
