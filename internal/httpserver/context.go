package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
)

type ctxKey int

const (
	requestInfoKey ctxKey = iota
	clientIDKey
)

// requestInfo is what the outer middleware learns about a request. It is a
// pointer in the context so that a client id recorded deep in a handler is
// also seen by the access log written on the way out.
type requestInfo struct {
	id string
	ip netip.Addr

	mu       sync.Mutex
	clientID string
}

// infoContext is a request's context carrying its requestInfo. The edge keeps one inside each
// request's exchange, so attaching the info costs no allocation of its own (context.WithValue
// made one per request, a tenth of what a public document costs the edge). Deadline, Done, Err
// and every other key are the parent's.
type infoContext struct {
	context.Context
	info *requestInfo
}

func (c *infoContext) Value(key any) any {
	if k, ok := key.(ctxKey); ok && k == requestInfoKey {
		return c.info
	}
	return c.Context.Value(key)
}

func infoFrom(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey).(*requestInfo)
	return ri
}

// RequestID returns the request id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// ClientIP returns the client's address as established by the real-IP
// middleware (the direct peer unless it is a trusted proxy). Every request
// the Server serves has one; only outside the middleware (a handler called
// directly) is it the zero Addr. It is the one client IP of a request:
// handlers, logs and rate limits read it here, never from RemoteAddr.
func ClientIP(ctx context.Context) netip.Addr {
	if ri := infoFrom(ctx); ri != nil {
		return ri.ip
	}
	return netip.Addr{}
}

// WithClientID records the OAuth client the request acts for, so that every
// later log line of the request, the access log included, carries it.
func WithClientID(ctx context.Context, clientID string) context.Context {
	if ri := infoFrom(ctx); ri != nil {
		ri.mu.Lock()
		ri.clientID = clientID
		ri.mu.Unlock()
	}
	return context.WithValue(ctx, clientIDKey, clientID)
}

// ClientID returns the client id recorded by WithClientID, or "".
func ClientID(ctx context.Context) string {
	if id, ok := ctx.Value(clientIDKey).(string); ok {
		return id
	}
	if ri := infoFrom(ctx); ri != nil {
		ri.mu.Lock()
		defer ri.mu.Unlock()
		return ri.clientID
	}
	return ""
}

// contextHandler adds the request's id, client IP and client id to every
// record logged with a request context.
type contextHandler struct {
	slog.Handler
}

// NewContextLogHandler wraps h so that records logged with a request's
// context (logger.InfoContext(ctx, …)) carry request_id, ip and, once
// WithClientID was called, client_id. Wrapping twice is harmless.
func NewContextLogHandler(h slog.Handler) slog.Handler {
	if ch, ok := h.(contextHandler); ok {
		return ch
	}
	return contextHandler{h}
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := RequestID(ctx); id != "" {
			r.AddAttrs(slog.String("request_id", id))
		}
		if ip := ClientIP(ctx); ip.IsValid() {
			r.AddAttrs(slog.String("ip", ip.String()))
		}
		if cid := ClientID(ctx); cid != "" {
			r.AddAttrs(slog.String("client_id", cid))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// NewLogger builds the process logger: format "text" (development) or
// "json" (anything else), level "debug", "info", "warn" or "error"
// (anything else means info), wrapped by NewContextLogHandler.
func NewLogger(format, level string, w io.Writer) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if strings.EqualFold(format, "text") {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(NewContextLogHandler(h))
}
