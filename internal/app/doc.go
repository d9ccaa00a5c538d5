// Package app assembles a Gatehouse node from its configuration: store → keys → tokens → handlers →
// HTTP server, in one visible list. cmd/gatehouse and the end-to-end tests both start Gatehouse
// through it, so that what the tests drive is what users run.
//
// It owns wiring and the node's background loops (key polling, expiry clean-up) and nothing else: no
// protocol rules live here. It also mints the dashboard's Management API tokens (dashboard.go), the
// one place that sees both the token issuer and a person's roles: a dashboard-client token scoped to
// the person's Management API permissions within the client's grant, naming them in act.
package app
