// Package apiauth protects Go net/http APIs with OAuth 2.0 bearer access tokens
// (RFC 6750) issued as JWTs by Auth0 or by any OpenID Connect provider that
// publishes discovery metadata and a JWKS, Gatehouse included. It relies only on
// OIDC Discovery 1.0 (or RFC 8414 metadata), the JWKS at the advertised jwks_uri
// and the Auth0 access token profile; nothing in it is specific to one server.
//
// It is the Go counterpart of the express-oauth2-jwt-bearer Node SDK, and the
// names map one to one:
//
//	express-oauth2-jwt-bearer            apiauth
//	auth({issuerBaseURL, audience})      New(Config{IssuerBaseURL, Audience}) then m.Handler(h)
//	  ISSUER_BASE_URL / AUDIENCE env     FromEnv (also AUTH0_ISSUER_BASE_URL / AUTH0_AUDIENCE)
//	  tokenSigningAlg                    Config.Algorithms (default RS256)
//	  secret + tokenSigningAlg HS256     Config.HS256Secret + Algorithms ["HS256"] (pinned)
//	  clockTolerance (5 s)               Config.ClockTolerance (default 5 s)
//	  cacheMaxAge / cooldownDuration     Config.JWKSCacheTTL / Config.JWKSRefetchCooldown
//	  issuer + jwksUri (no discovery)    Config.Issuer + Config.JWKSURI
//	  authRequired: false                Config.CredentialsOptional (missing token only)
//	req.auth.payload / header / token    ClaimsFrom(r.Context()): typed fields, Raw(), Header, Token
//	requiredScopes('a b')                RequiredScopes("a", "b")
//	scopeIncludesAny('a b')              ScopeIncludesAny("a", "b")
//	claimEquals / claimIncludes          ClaimEquals / ClaimIncludes
//	claimCheck(fn, msg)                  ClaimCheck(fn)
//	dpop: {enabled, required,            Config.DPoP: DPoPOptions{Disabled, Required,
//	       iatOffset, iatLeeway}            IATOffset, IATLeeway} (RFC 9449; see dpop.go)
//	(no equivalent)                      RequiredPermissions (Auth0 RBAC "permissions" claim)
//	UnauthorizedError & subclasses       *Error with Status and Code; Config.ErrorHandler
//
// What a token must satisfy, in the order checked:
//   - the Authorization header carries exactly one "Bearer" credential with
//     b64token syntax (RFC 6750 §2.1);
//   - it is a compact JWS whose "alg" is in Config.Algorithms; the check runs
//     before any key is looked up, so "none" and HMAC algorithms (the
//     public-key-as-HMAC-secret confusion) never reach a verifier; HS256 is
//     accepted only by a middleware configured with HS256Secret and no other
//     algorithm, and is then verified with that secret alone;
//   - its "kid" names a key of the right type in the issuer's JWKS (and that
//     JWK's own "alg", when present, is the token's), and the signature
//     verifies; a "crit" header is refused (RFC 7515 §4.1.11);
//   - "iss" equals the discovered issuer byte for byte, "aud" (string or array)
//     contains Config.Audience, "exp" is present and in the future, "nbf" and
//     "iat" are not in the future, each with Config.ClockTolerance of slack
//     (RFC 7519 §4.1);
//   - then the Checks given to Middleware.Handler or Require.
//
// Errors follow RFC 6750 §3: 401 with a bare `Bearer realm="api"` challenge when
// the request carries no bearer token, 401 invalid_token for a bad token, 400
// invalid_request for a malformed Authorization header, 403 insufficient_scope
// naming the missing scopes. When discovery or the JWKS cannot be fetched the
// answer is 503, because the client's token is not at fault.
//
// Discovery and the first JWKS fetch happen on the first request and are retried
// with backoff after a failure, so an API may start before its issuer; call
// Middleware.Ready at start-up to fail fast instead. The JWKS is cached for
// Config.JWKSCacheTTL (or the issuer's shorter Cache-Control max-age, floored
// at a minute) and then refreshed in the background while the cached keys stay
// in use; if the issuer is unreachable the last good keys are kept. A token
// naming an unknown kid triggers one refetch shared by all concurrent
// requests, and at most one such refetch per Config.JWKSRefetchCooldown. The
// hot path does no I/O, parses no key and takes no lock: one atomic load, a map
// lookup, golang-jwt's signature verifier and claims validator, and a decoder
// that reads only the header members and claims this package needs
// (Claims.Raw, Claims.Header and Claims.Decode read the rest on demand). The
// compact form is split here rather than by jwt.Parser, whose map-based
// header decoding and repeated payload scans cost about a third of an
// RSA-2048 verification; the signature is verified before the payload is
// parsed at all.
//
// The "typ" header is not enforced (Auth0 sends "JWT", RFC 9068 profiles
// "at+jwt"), as the Node SDK does by default. Unlike the Node SDK, tokens are
// read only from the Authorization header, never from the query string or a
// form body (RFC 6750 §2.2-2.3 discourage both).
//
// RequireOrganization accepts only tokens issued through an Auth0 organization
// ("org_id"), or through one of the named ones; Claims.Organization reads
// "org_id" and "org_name" for handlers that scope their data by organization.
//
// The package must not log tokens, reveal network errors to clients, accept a
// symmetric algorithm it was not pinned to with its secret, or keep process-global state: every setting lives in
// Config and every cache in a Middleware.
package apiauth
