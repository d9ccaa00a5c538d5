// Package emailverify owns proving that a user holds their email address: the verification mail
// (queued at signup when the verify_email template is enabled, and on request through the
// Management API's jobs), the welcome mail that follows, and the hosted page at
// domain.EmailVerificationPath that redeems a verification ticket, sets email_verified, logs
// `sv`/`fv` and sends the user on to the ticket's result_url or says it is done.
//
// A ticket is single-use, expiring and stored only as its hash (the store's tickets, kind
// email_verification); it names the address it was issued for, so it cannot verify an address
// the user changed to afterwards. A mail is queued in the transaction of the change that causes
// it (the signup, the job), through the Store that transaction is bound to.
//
// It must not: import another flow (authflow, oauth, mgmt, passwordreset) — they reach it through
// the functions they are handed — keep a ticket's secret anywhere but the link, change anything
// for a ticket that is unknown, used, expired, of another kind or for another address, or redeem
// a ticket on a HEAD request (a mail scanner's probe).
package emailverify
