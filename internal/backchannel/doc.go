// Package backchannel delivers OpenID Connect Back-Channel Logout 1.0 logout tokens: it leases
// entries of the store's outbox (queued by package session when a session ends), signs a fresh
// logout token for each attempt, POSTs it to the client's backchannel_logout_url as
// application/x-www-form-urlencoded `logout_token`, and retries with backoff until the client
// answers 2xx or the attempts run out. Every node runs a worker; leases keep them from sending the
// same entry at once.
//
// Outbound requests go only to https URLs, and never to a loopback, private, link-local or
// otherwise internal address (checked on the address actually dialled, so a DNS answer cannot
// point it inward); AllowInternal lifts both rules for `gatehouse dev`, whose apps run on
// localhost. Redirects are not followed.
//
// It must not decide which clients are told (package session and domain.BackchannelLogouts do),
// read tokens or sessions, or block the logout that queued the entry.
package backchannel
