// Package oauth is Gatehouse's protocol core on the wire: discovery and JWKS, the token endpoint
// (one parser for form and JSON bodies, client authentication, dispatch to the grants of package
// oauth/grant, Auth0-shaped errors), the device authorization endpoint (RFC 8628 §3.1), token
// introspection for resource servers (RFC 7662), /userinfo and /oauth/revoke, with CORS for the
// browser clients a client registers. The token endpoint counts every request against a
// per-address limit (guard.RateLimiter, shared by every node) before any other work, and answers
// 429 with Retry-After past it; device code creation is limited per client and address too.
// Clients authenticate with a secret or a private_key_jwt assertion (assertion.go); pushed
// authorization requests (/oauth/par) are checked by authflow's rules through
// PushedRequestValidator; DPoP proofs (dpop.go) bind access tokens and public clients' refresh
// tokens to a key.
//
// It must not run the browser sign-in (/authorize and sessions belong to packages authflow and
// session, which create the authorization codes redeemed here), touch a database engine directly
// (only store.Store), or build or sign tokens itself (package token).
package oauth
