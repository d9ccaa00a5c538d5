// Package httpserver owns the HTTP edge every Gatehouse endpoint sits behind:
// a standard-library ServeMux (Go 1.22 patterns) that handlers fill through
// the Mounter interface, and the middleware chain around it — request id,
// real client IP behind trusted proxies, panic recovery, body size limit,
// security headers, access log and Prometheus metrics — plus /healthz,
// /readyz and /metrics, and graceful start and shutdown of the server.
//
// The request id (X-Request-Id, echoed on every response and in every log
// line of the request) is taken from the request only when a trusted proxy
// sent it; otherwise it is generated. /metrics is not public: it is served on
// the main address only to a configured bearer token, and MetricsHandler
// serves it alone for a listen address of its own.
//
// It must not know any OAuth, Auth0 or storage concept: handlers bring their
// own routes. It keeps no process-global state (no slog.Default, no global
// Prometheus registry); the logger, the readiness check and the metrics
// registry are injected or owned by a Server.
package httpserver
