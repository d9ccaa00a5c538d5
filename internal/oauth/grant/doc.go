// Package grant implements the token endpoint's grants behind one small interface (RFC 6749 §4):
// authorization_code, refresh_token, client_credentials and the resource owner password grants
// (`password` and Auth0's password-realm, §4.3) and the device code grant (RFC 8628), one file each.
//
// A Grant receives a parsed protocol.TokenRequest whose client is already authenticated and returns
// the tokens or a *protocol.Error carrying the OAuth error code, the HTTP status and Auth0's
// description. The scope and RBAC rule every grant applies is protocol.ResolveScopes, shared with
// the browser sign-in; PKCE verification is protocol.CheckVerifier. A grant must not parse HTTP,
// authenticate clients or write responses: package oauth does that once for all grants.
package grant
