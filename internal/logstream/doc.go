// Package logstream delivers the tenant log to the HTTP endpoints of the tenant's log streams
// (Auth0's `http` stream type): at least once, in order per stream, in batches, with retries and
// backoff, from a cursor kept with each stream in the database.
//
// Every node runs a Worker; a stream is delivered by one node at a time, the holder of its lease
// (store.LogStreamStore), which moves the cursor only after the endpoint answered 2xx. A node that
// dies mid-batch leaves the lease to run out and another node sends the batch again (at least
// once). The HTTP timeout is well inside the lease, and a batch is started only with most of the
// lease left, so two nodes never send a stream's batch at the same time. Events are read by their
// sequence number; a gap in the sequence (a transaction still in flight on another node) holds
// delivery back until it fills or has stayed open for Settle, so events are not sent out of order.
// After SuspendAfter failures in a row a stream is suspended until an administrator makes it
// active again.
//
// It owns the sealing of a stream's Authorization header and the HTTP client (through netguard:
// never a private address outside development). It does not route HTTP or write the tenant log.
package logstream
