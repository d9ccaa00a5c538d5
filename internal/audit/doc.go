// Package audit records tenant log events with Auth0's log type codes (spec §4.4 Logs), the events
// `GET /api/v2/logs` returns. Recording is synchronous: an event the caller was told is recorded is in
// the database. A failure to record is logged and never fails the user's request: losing a sign-in
// because the log table is unhappy would be worse than losing the log line.
package audit
