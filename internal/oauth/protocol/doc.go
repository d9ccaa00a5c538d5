// Package protocol is the OAuth 2.0 / OpenID Connect core that every flow imports: it owns, once each,
//   - the one OAuth error value (Error: HTTP status, `error`, `error_description`, a cause that is
//     logged and never sent) and its writers, one per transport: a JSON body (WriteJSON), an
//     authorization response to a validated redirect_uri (WriteRedirect: query, fragment, form_post,
//     web_message, whose target origin, message and CSP are in webmessage.go), an RFC 6750 Bearer challenge (WriteBearerError) and the
//     hosted error page's data (Error.Page);
//   - the scope vocabulary and the one rule turning requested scopes, permissions, the API and the
//     client grant into granted scopes (ResolveScopes, ActionMayAdd);
//   - both halves of PKCE (RFC 7636): the challenge's syntax at /authorize and the verifier's check
//     at the token endpoint;
//   - redirect URI matching (RedirectURIAllowed: byte for byte, and for native apps a loopback
//     callback registered without a port takes any port, RFC 8252 §7.3);
//   - single-valued parameter parsing (RFC 6749 §3.1), and appending parameters to a URL;
//   - the typed requests of the endpoints (AuthorizeRequest, TokenRequest).
//
// It is a leaf: it imports the standard library and internal/domain, nothing else. It must never
// import a handler package (oauth, grant, authflow, session, mgmt, httpserver), a store or web;
// they import it. It reads no configuration and keeps no state: every rule is a function of its
// arguments.
package protocol
