// Package token assembles and signs the tokens Gatehouse issues, in Auth0's shapes (spec §2): ID
// tokens, JWT access tokens for an API (Auth0 and RFC 9068 dialects), and opaque access tokens good
// only at /userinfo. It also verifies Gatehouse's own tokens for the Management API and /userinfo.
//
// Claims are encoded in one pass straight into the payload and signed once with the key's prepared
// signer (package keys); nothing on that path builds a signer, merges maps or re-encodes JSON.
//
// Opaque access tokens are sealed, not stored: AES-256-GCM under a key derived from the master key,
// carrying sub, scope, client id, session id, expiry and, when given, an id. They need no database
// row and cannot be read by their holder.
//
// An access token issued by an authorization code's redemption carries that grant's id as its jti
// (JWT or sealed): if the code is presented again, the grant revokes it by that id, and /userinfo
// refuses it; an API verifying a JWT itself cannot be told, as with any JWT.
//
// It must not decide what a client may receive (scopes, RBAC, grants: package oauth/grant) nor speak
// HTTP.
package token
