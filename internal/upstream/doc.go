// Package upstream signs users in at other identity providers for the connections that name one
// (oidc, oauth2, and the github and google-oauth2 presets over them): it builds the authorization
// request (code flow with PKCE, a state and a nonce the caller binds to its login transaction),
// exchanges the code with the client secret, verifies an ID token with coreos/go-oidc (the issuer,
// the audience, the expiry, an asymmetric signature by a key of the issuer's JWKS; the caller's
// nonce) or fetches an oauth2 provider's profile, and maps what the provider says onto a Profile.
//
// Every upstream call goes through the node's netguard policy (no private address outside
// development, no redirects followed) with a bounded timeout. It also seals connections' client
// secrets (AES-256-GCM under a key derived from the master key, bound to the connection id) and
// checks a connection's upstream URLs before the Management API saves it: https outside
// development, addresses the node may reach.
//
// It knows no HTTP route and no store: internal/authflow's broker step calls it.
package upstream
