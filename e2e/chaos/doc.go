// Package chaos runs three `gatehouse serve` processes on one PostgreSQL schema, with the node
// configuration of deploy/gatehouse.yaml (the example cluster's), under mixed load — tokens,
// browser sign-ins, refreshes, Management API writes — while one node is killed with SIGKILL and
// restarted and the database becomes unreachable for a few seconds (a TCP proxy the test cuts and
// restores, so the shared PostgreSQL server other tests use is never restarted). It then checks what
// a cluster promises: every write answered 2xx is readable, no refresh token is accepted twice,
// nothing is half-written, every tenant log event reached the test's log-stream receiver at least
// once and in order, and the surviving nodes answered throughout, with clean 503s and nothing else
// while the database was away.
//
// It needs GATEHOUSE_TEST_POSTGRES_URL and skips without it. It builds the gatehouse binary once
// and listens on 127.0.0.1 ports 5500–5599 only. It takes about a minute.
package chaos
