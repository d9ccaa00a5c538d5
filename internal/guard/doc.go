// Package guard holds attack protection and rate limits: brute-force protection for password
// sign-in, as Auth0 turns it on by default (after 10 consecutive failed attempts for one user from
// one IP address, that pair is blocked), and fixed-window rate limits with Auth0's x-ratelimit-*
// headers, used by the Management API and the token endpoint. With a Policy (the tenant's
// /api/v2/attack-protection settings, read through a 2-second cache) it is Auth0's attack
// protection: brute-force protection as configured (threshold, per identifier or per identifier
// and address, allow-list, block or log only), suspicious IP throttling (Throttle: a bucket per
// address across accounts for sign-ins and sign-ups, GCRA in one upsert), and breached password
// detection against the built-in list in breached/ (Breached, Policy.BreachedAt). ActiveBlocks lists one
// user's live blocks for an administrator (/api/v2/user-blocks); Forget lifts them.
//
// Every count lives in the shared Counters (store.CounterStore: a table in the database every node
// already has, updated by one atomic upsert per request), so a limit is the same with one node or
// five and survives a restart. guard keeps nothing in process memory and needs nothing but the
// database; the embedded SQLite default works alone. It does no HTTP routing and no logging: callers
// decide what a refusal looks like and whether a database error fails open (rate limits) or closed
// (brute-force protection).
package guard
