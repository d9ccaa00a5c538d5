// Package grant implements the token endpoint's grants behind one small interface (RFC 6749 §4):
// authorization_code, refresh_token and client_credentials, one file each, plus the scope and RBAC
// rule they all share (scopes.go).
//
// A Grant receives a parsed request whose client is already authenticated and returns the tokens or
// an *Error carrying the OAuth error code, the HTTP status and Auth0's description. It must not
// parse HTTP, authenticate clients or write responses: package oauth does that once for all grants.
package grant
