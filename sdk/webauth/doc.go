// Package webauth gives Go web applications what @auth0/nextjs-auth0 v3 gives Next.js apps:
// login with the OpenID Connect authorization code flow and PKCE, an encrypted session cookie,
// protected pages and API routes, access tokens that refresh themselves, and logout that also
// ends the identity provider's session. It works against Auth0 and against Gatehouse, relying
// only on OpenID Connect Discovery and Auth0's wire behaviour.
//
// # What it owns and what it must not do
//
// It owns the relying-party side of a Regular Web Application: the /api/auth/* routes, the
// transaction and session cookies, ID token verification and the token endpoint calls. It must
// not import anything from Gatehouse's internal packages (it is a public SDK and must work with
// any Auth0-compatible issuer), must not log or render tokens or secrets, and must not trust a
// value it did not seal itself (cookies) or verify (ID tokens).
//
// # The seed guide, feature by feature
//
//	nextjs-auth0 (guide step)                         webauth
//	----------------------------------------------    ---------------------------------------------
//	AUTH0_SECRET, AUTH0_BASE_URL, AUTH0_ISSUER_...    FromEnv, Config; Validate (secret >= 32 chars)
//	  AUTH0_CLIENT_ID/SECRET, AUTH0_AUDIENCE (2)
//	handleAuth() at app/api/auth/[auth0] (3)          Client.Handler (or Client.Mount): /api/auth/
//	                                                  login, callback, logout, me
//	handleLogin({authorizationParams:{audience,       Config.Audience / Scope / AuthorizationParams,
//	  scope}, returnTo:'/dashboard'}) (3)             Config.LoginReturnTo; Client.LoginHandler(
//	                                                  LoginOptions) for a second login route
//	handleCallback({afterCallback}) (3)               Config.AfterCallback (an error fails the login)
//	handleLogout({returnTo:'/'}) (3, 9)               Config.LogoutReturnTo; Config.Logout picks
//	                                                  ISSUER/v2/logout (default), the discovered
//	                                                  end_session_endpoint, or local only
//	UserProvider / useUser() -> /api/auth/me (4)      the me route: user JSON, or 401
//	                                                  {"error":"not_authenticated",...}
//	withMiddlewareAuthRequired + matcher (5)          Client.RequireAuth around the protected routes
//	getSession() / session.user.* (5, 6)              SessionFrom(ctx), Client.Session(r);
//	                                                  User.Sub/Name/Email/Picture/Claim/Strings
//	withApiAuthRequired (6)                           Client.RequireAuth: 401 JSON for API requests
//	                                                  (Config.IsAPIRequest), redirect for pages
//	getAccessToken({refresh:true}) and                Client.AccessToken(w, r, AccessTokenOptions{
//	  error.code === 'ERR_EXPIRED_ACCESS_TOKEN' (10)  Refresh: true}); *AccessTokenError{Code}
//	updateSession                                     Client.UpdateSession
//	session store option                              SessionConfig.Store (SessionStore), MemoryStore
//
// # Protocol details
//
// Login sends response_type=code with state, nonce and an S256 code challenge (RFC 7636); they
// are kept in the auth_verification cookie, sealed and valid for ten minutes, SameSite=Lax so
// it survives the top-level redirect back. The callback checks state in constant time, shows
// the issuer's error and error_description, exchanges the code with client_secret_basic (id
// and secret form-encoded before base64, RFC 6749 §2.3.1) or client_secret_post, and verifies
// the ID token (OpenID Connect Core 1.0 §3.1.3.7): the configured algorithm only (RS256 by
// default), a key from the discovered jwks_uri, iss byte-equal to the discovered issuer, aud
// containing the client id, exp and iat with 60 s of leeway, nonce, and auth_time when max_age
// was asked for. The returnTo query parameter accepts only destinations on the base URL's
// origin (no open redirects).
//
// # Sessions
//
// The session is nextjs-auth0's: user claims are the ID token's claims minus aud, iss, iat,
// exp, nbf, nonce, azp, auth_time, s_hash, at_hash and c_hash; with them the ID token, access
// token, its scope and expiry (from expires_in) and the refresh token. It is stored in the
// appSession cookie as a compact JWE (alg dir, enc A256GCM) under a key derived from
// AUTH0_SECRET with HKDF-SHA256 and info "JWE CEK", with iat, uat and exp in the protected
// header, so Node and Go apps sharing a secret read each other's sessions. Cookies over 4 KB
// are split into appSession.0, appSession.1, …; stale chunks are expired. The cookie is
// HttpOnly, SameSite=Lax, and Secure when the base URL is https. Sessions roll (idle lifetime,
// default one day, extended by WithSession and RequireAuth) within an absolute lifetime
// (default seven days). With a SessionStore the cookie holds only a sealed id, and the stored
// value is itself encrypted.
//
// # Access tokens
//
// AccessToken refreshes when the token expires within 60 s or when asked, keeps the old
// refresh token when the issuer sends no new one, stores a rotated one, and writes the session
// back. Refreshes of one refresh token with the same parameters share a single grant (and its
// result for 30 s), because a second use of a rotated token counts as reuse and revokes the
// token family; a refresh with other parameters (scope, audience) waits for the grant in flight
// and runs its own with the rotated token. A shared grant runs detached from the request that
// started it (with its own 30 s timeout): a caller whose request ends stops waiting alone, and
// an answer that arrives after every caller left is kept, so the session's next request gets
// the rotated refresh token instead of presenting the spent one.
// Error codes are nextjs-auth0's: ERR_MISSING_SESSION, ERR_MISSING_ACCESS_TOKEN,
// ERR_EXPIRED_ACCESS_TOKEN, ERR_MISSING_REFRESH_TOKEN, ERR_FAILED_REFRESH_GRANT,
// ERR_INSUFFICIENT_SCOPE.
//
// # Organizations
//
// Config.Organization (AUTH0_ORGANIZATION) or LoginOptions.Organization signs the login in through
// an Auth0 organization: organization= is sent, and the callback refuses an ID token whose org_id
// (for an id, org_…) or org_name (for a name, in lower case) is not that organization, with
// nextjs-auth0's messages. An organization passed through from the query (an invitation link) is
// checked the same way. The session's user then carries org_id (and org_name).
package webauth
