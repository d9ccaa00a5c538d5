// Package domain holds Gatehouse's entities — clients, APIs (resource servers), client grants, roles,
// permissions, users, Actions, signing keys, log events and the protocol records of a sign-in — with
// Auth0's field names and the validation rules every way in (Management API, `gatehouse dev`, config as
// code) shares.
//
// It does no I/O and imports nothing of Gatehouse's: handlers and store backends depend on it, never the
// other way round. Rule violations are returned as *Error values carrying a Code, the offending field and
// a message that is safe to show to the caller.
package domain
