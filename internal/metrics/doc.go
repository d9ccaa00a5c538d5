// Package metrics holds Gatehouse's own Prometheus counters beyond HTTP: tokens issued by grant and
// client, sign-ins by outcome, requests refused by rate limits. A Recorder registers them on the
// registry it is given (the node's, never the global one) and its methods do nothing on a nil
// Recorder, so flows count without checking whether metrics are on.
//
// It must not import any flow (it is a leaf the flows import), and its labels must stay bounded:
// grant types and outcomes are fixed lists, client ids are the tenant's registered clients (a
// request naming an unknown client is never counted under its name), limit names are Gatehouse's.
package metrics
