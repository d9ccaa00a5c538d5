// Package httpserver owns the HTTP edge every Gatehouse endpoint sits behind:
// a standard-library ServeMux (Go 1.22 patterns) that handlers fill through
// the Mounter interface, and the middleware chain around it — request id,
// real client IP behind trusted proxies, panic recovery, body size limit,
// security headers, access log and Prometheus metrics — plus /healthz,
// /readyz and /metrics, and graceful start and shutdown of the server.
//
// It must not know any OAuth, Auth0 or storage concept: handlers bring their
// own routes. It keeps no process-global state (no slog.Default, no global
// Prometheus registry); the logger, the readiness check and the metrics
// registry are injected or owned by a Server.
package httpserver
