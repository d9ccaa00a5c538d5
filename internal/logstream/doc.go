// Package logstream delivers the tenant log to the HTTP endpoints of the tenant's log streams
// (Auth0's `http` stream type): at least once, in order per stream, in batches, with retries and
// backoff, from a cursor kept with each stream in the database.
//
// Every node runs a Worker; a stream is delivered by one node at a time, the holder of its lease
// (store.LogStreamStore), which moves the cursor only after the endpoint answered 2xx. The lease is
// short (Lease, 10 s) and renewed by a heartbeat while its holder delivers, so a node that dies
// mid-batch holds its streams back for seconds and another node sends the batch again (at least
// once); a holder that cannot renew stops its request in flight while part of the lease is left,
// so two nodes never send a stream's batch at the same time (nodes' clocks agreeing within a
// second or two). Events are read by their sequence number; a gap in the sequence (a transaction
// still in flight on another node) holds delivery back until it fills or until Settle has passed
// since a higher number was seen, which settles every gap below that number at once (gaps.go), so
// events are not sent out of order and a burst of rolled-back numbers costs one Settle. After
// SuspendAfter failures in a row (retried after 1 s, 2 s, 4 s… at most a minute) a stream is
// suspended until an administrator makes it active again, when it resumes from its cursor.
//
// It owns the sealing of a stream's Authorization header and the HTTP client (through netguard:
// never a private address outside development). It does not route HTTP or write the tenant log.
package logstream
