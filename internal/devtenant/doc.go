// Package devtenant seeds the tenant `gatehouse dev` serves — exactly what the seed guide configures in
// the Auth0 dashboard — and writes dev-tenant.json, the file outside tools read to find it.
//
// Secrets are stored hashed, so the clear values live only in dev-tenant.json (mode 0600, inside the
// data directory). A second start reads them back; when the file is gone the secrets are rotated and
// the file written again, so that it always holds credentials that work.
package devtenant
