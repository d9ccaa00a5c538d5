// Package mgmt is Gatehouse's Management API v2 (spec §4): the HTTP surface under /api/v2/ through
// which Auth0's own management clients (node-auth0's ManagementClient, go-auth0, the Terraform
// provider, the Auth0 CLI) configure a tenant — applications, client grants, APIs and their
// permissions, roles, users, signing keys, tenant settings, logs and Actions — with Auth0's paths,
// bodies, field names, defaults, success status codes, paging and error JSON.
//
// It owns: bearer-token access control per endpoint scope (any one of an endpoint's scopes suffices,
// spec §4.1), the Auth0 error shape {statusCode, error, message, errorCode} (§4.2), offset and
// checkpoint paging (§4.3), `fields`/`include_fields` projections, request validation through the
// domain rules, and one `sapi` tenant log event per successful change.
//
// It must not: verify token signatures itself (a TokenVerifier is injected), touch signing key
// material (a KeyManager is injected), run Action code (an ActionCompiler is injected), import a
// store backend, or ever return a password hash or a stored client secret. Client secrets are shown
// once, on create and on rotate-secret; Action secret values are write-only.
//
// Rate limiting is a per-client token bucket held in memory by each node: with N nodes behind a load
// balancer a client may get up to N times the configured rate. That is acceptable for the
// Management API, whose limit protects a node from one noisy caller rather than enforcing a quota.
package mgmt
