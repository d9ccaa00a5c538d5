// Package devmail serves the development mailbox of `gatehouse dev`: a page at /dev/mailbox listing
// the messages the tenant sent while no email provider is configured (the mail worker's fallback,
// mail.Mailbox, stores them in the database), each shown with its links ready to click.
//
// It must be mounted only by `gatehouse dev`: every message, reset links included, is readable by
// whoever reaches the page. A message's HTML part is served on its own URL under a CSP sandbox (an
// opaque origin, no scripts, no requests but inline styles and images) and framed by the page, so a
// mail's markup can never act on the tenant's origin.
//
// It must not send mail, change the outbox, or import a flow.
package devmail
