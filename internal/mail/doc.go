// Package mail sends Gatehouse's email: it renders nothing itself (what a mail says is
// internal/mail/mailtemplate's, rendered by the flow that queues it), it delivers what callers
// queue in the store's outbox.
//
// It owns: the durable outbox worker (claims due messages with a lease, delivers them, retries
// with exponential backoff, gives up after MaxAttempts and records Auth0's `fn` — or the
// message kind's own failure code — in the tenant log), the SMTP sender and its transport rule,
// the sealing of the provider's SMTP password with a key derived from the master key, and the
// development mailbox sender.
//
// Queuing is the caller's part: a flow that causes a mail calls store.EnqueueEmail on the Store
// bound to its own transaction, so the mail exists if and only if the change does, and then may
// Kick the worker. Any node's worker may deliver any message; a message is delivered once under
// normal operation, and again only if a node dies between sending and recording it (its lease runs
// out).
//
// The transport rule: credentials only ever travel over TLS (implicit TLS on port 465, STARTTLS
// otherwise, the server's certificate verified). Plain SMTP is allowed only to a loopback host
// given literally (localhost, 127.0.0.0/8, ::1) with no credentials — test servers and local mail
// catchers. CheckProvider applies it when a provider is configured, and the sender again at
// every connection.
//
// It must not: import a handler (oauth, authflow, mgmt, session), return or log the SMTP password,
// or keep anything another node needs in memory.
package mail
