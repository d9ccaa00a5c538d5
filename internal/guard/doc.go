// Package guard holds attack protection: brute-force protection for password sign-in, as Auth0 turns
// it on by default (after 10 consecutive failed attempts for one user from one IP address, that pair is
// blocked).
//
// Counters live in each node's memory, bounded in size. With N nodes behind a load balancer an attacker
// gets at most N times the threshold per block period; a counter shared through the database is the
// step that closes that gap. Nothing here is needed for correctness: losing the counters on a restart
// only forgets failures.
package guard
