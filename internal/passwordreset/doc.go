// Package passwordreset owns resetting a forgotten database-connection password: the hosted
// request page and new-password page at domain.ResetPasswordPath, auth0-js's
// `POST /dbconnections/change_password`, the reset mail's default template, and redeeming a reset
// ticket (new hash, refresh tokens revoked, SSO sessions ended, other reset links spent, `scp`).
// It also sends attack protection's user notifications: a brute-force block is told with the
// tenant's blocked_account template, whose single-use link opens domain.UnblockAccountPath, a
// confirmation whose POST lifts the user's brute-force blocks (`ublkdu`); a GET spends nothing.
// When a password-reset-post-challenge Action asks for a second factor, the factor's page comes
// between the link and the new-password form (mfa.go), verified by package mfa, never here.
//
// A request answers the same whether or not the address has an account, and does the same work
// short of what only a real request can do (count the user's live links, write a ticket and its
// mail in one transaction), then waits out a common floor, so neither the page nor its timing
// tells which addresses are registered.
//
// It must not: reveal whether an address exists, keep a ticket's secret anywhere but the mail
// (the store has its hash), change anything for a ticket that is unknown, used, expired or of
// another kind, or import another flow (authflow, oauth, mgmt): it links to /u/login by path only.
package passwordreset
