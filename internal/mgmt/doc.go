// Package mgmt is Gatehouse's Management API v2 (spec §4): the HTTP surface under /api/v2/ through
// which Auth0's own management clients (node-auth0's ManagementClient, go-auth0, the Terraform
// provider, the Auth0 CLI) configure a tenant — applications, client grants, APIs and their
// permissions, roles, users and their brute-force blocks, database connections and their password
// policy, signing keys, tenant settings, logs, Actions, attack protection (and the anomaly IP blocks
// it keeps) and log streams — with Auth0's paths,
// bodies, field names, defaults, success status codes, paging and error JSON.
//
// It owns: bearer-token access control per endpoint scope (any one of an endpoint's scopes suffices,
// spec §4.1; narrower per-field scopes in fieldscopes.go; a user's own token acts only on its own
// record, through the *:current_user* scopes), the Auth0 error shape {statusCode, error, message,
// errorCode} (§4.2), offset and checkpoint paging (§4.3), `fields`/`include_fields` projections,
// request validation through the domain rules, and one `sapi` tenant log event per successful
// change.
//
// It must not: verify token signatures itself (a TokenVerifier is injected), touch signing key
// material (a KeyManager is injected), run Action code (an ActionCompiler is injected), import a
// store backend, or ever return a password hash or a stored client secret. Client secrets are shown
// once, on create and on rotate-secret; Action secret values are write-only.
//
// Shape of a route. Each area is a handler group (clients, grants, resourceServers, roles, users,
// signingKeys, tenant, logs, actions, attackProtection, anomaly, logStreams) holding the narrow store interfaces it uses — users holds a
// store.UserStore, a store.RoleStore and a store.ResourceServerStore, never the whole store.Store —
// plus a one-method transactor where a change spans several records. Its xxxRoutes method lists the
// routes: method, path, scopes (any one suffices), selfScopes for a user's own record, the sapi
// description of a write, the field-scope table of a multi-scope route, and the handler.
//
// A handler is func(*call) (status int, body any, err error) and writes nothing. It returns the
// success status and the body to encode as JSON (nil for none, as with 204), or an error. Decoding
// (c.decode, which also runs the field-scope check), paging, projections and load return errors
// too, so a handler is a straight line of `if err != nil { return 0, nil, err }`. One wrapper (wrap,
// respond) authenticates, rate-limits, checks the scope, runs the handler and writes the answer,
// mapping the error to Auth0's error JSON exactly once (errorFor): an *apiError from refuse,
// queryInvalid, the nfXxx 404s or authentication as it is; a domain rule violation
// (domain.Invalidf, Validate) 400 invalid_body; an over-long body 413; store.ErrConflict 409
// (onConflict swaps in an area's own 409 wording); store.ErrNotFound 404; anything else 500 with
// the cause logged, never sent. A successful write, and only that, records its sapi event and calls
// Options.Changed. This shape is the package's rule: a handler never touches the ResponseWriter.
// The routes that add to or take from a role's or user's lists share edit and ownedList.
//
// Rate limiting counts requests per client (per IP address before authentication) in fixed windows
// through guard.RateLimiter, in the database every node shares: the limit is the same with one
// node or several. Every answer carries Auth0's x-ratelimit-limit, -remaining and -reset headers; a
// 429 adds Retry-After.
package mgmt
