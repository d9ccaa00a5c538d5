package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Defaults applied by New when an Options field is zero.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultShutdownTimeout = 15 * time.Second
	DefaultReadyTimeout    = 3 * time.Second
)

// Route patterns the server itself serves.
const (
	healthzPattern = "GET /healthz"
	readyzPattern  = "GET /readyz"
	metricsPattern = "GET /metrics"
)

// Mounter is implemented by every handler group: it registers its routes
// (Go 1.22 patterns such as "POST /oauth/token") on the shared mux.
type Mounter interface {
	Mount(mux *http.ServeMux)
}

// MounterFunc adapts a function to Mounter.
type MounterFunc func(mux *http.ServeMux)

// Mount calls f(mux).
func (f MounterFunc) Mount(mux *http.ServeMux) { f(mux) }

// Options configures a Server. Only Addr (for ListenAndServe) matters for a
// minimal server; every other zero value has a safe default.
type Options struct {
	// Addr is the listen address for ListenAndServe.
	Addr string
	// Logger receives access logs and errors; nil discards them. It is
	// wrapped with NewContextLogHandler if it is not already.
	Logger *slog.Logger
	// TrustedProxies are the peers whose forwarding headers are believed.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// TLSCertFile and TLSKeyFile, or TLSConfig with Certificates (or
	// GetCertificate), turn on TLS. All empty means plain HTTP.
	TLSCertFile, TLSKeyFile string
	TLSConfig               *tls.Config
	// HSTS sends Strict-Transport-Security on plain-HTTP responses too, for
	// a server behind a TLS-terminating proxy. With TLS it is always sent.
	HSTS bool
	// ContentSecurityPolicy replaces DefaultContentSecurityPolicy.
	ContentSecurityPolicy string
	// Ready reports whether the node can serve (typically a database
	// ping); nil means always ready.
	Ready func(ctx context.Context) error
	// Metrics is the registry /metrics serves; nil creates one. Pass one in
	// to register other packages' collectors on it.
	Metrics *Metrics
	// MetricsToken, when set, serves /metrics on this server to requests
	// bearing it (Authorization: Bearer …). Empty: this server has no
	// /metrics (404), and MetricsHandler serves it on a listener of its own.
	// Metrics name clients and show traffic: they are not for the public.
	MetricsToken string
	// ShutdownTimeout bounds the graceful shutdown; 0 means
	// DefaultShutdownTimeout. Connections still open after it are closed.
	ShutdownTimeout time.Duration
}

// Server is the HTTP server: a mux, the middleware chain and the listener
// lifecycle.
type Server struct {
	opts    Options
	logger  *slog.Logger
	metrics *Metrics
	handler http.Handler
}

// New builds the mux (health, readiness, metrics, then every mounter in
// order) and wraps it in the middleware chain. A mounter registering a
// pattern that conflicts with another panics, as ServeMux does: that is a
// wiring mistake to catch at startup.
func New(opts Options, mounters ...Mounter) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.ContentSecurityPolicy == "" {
		opts.ContentSecurityPolicy = DefaultContentSecurityPolicy
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = slog.New(NewContextLogHandler(logger.Handler()))
	m := opts.Metrics
	if m == nil {
		m = NewMetrics()
	}
	s := &Server{opts: opts, logger: logger, metrics: m}

	mux := http.NewServeMux()
	mux.HandleFunc(healthzPattern, s.healthz)
	mux.HandleFunc(readyzPattern, s.readyz)
	if opts.MetricsToken != "" {
		mux.Handle(metricsPattern, requireBearer(opts.MetricsToken, m.Handler()))
	}
	for _, mt := range mounters {
		mt.Mount(mux)
	}

	h := newEdge(mux, logger, m, opts)
	s.handler = h
	return s
}

// Handler returns the complete handler (mux and middleware), for tests and
// for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves /metrics (and /healthz) alone, without a token: for
// a listen address only the monitoring network reaches.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(metricsPattern, s.metrics.Handler())
	mux.HandleFunc(healthzPattern, s.healthz)
	return mux
}

// Metrics returns the registry /metrics serves.
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), DefaultReadyTimeout)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			// The cause stays in the log: it may name hosts or users.
			s.logger.WarnContext(r.Context(), "readiness check failed", slog.Any("error", err))
			writeStatus(w, http.StatusServiceUnavailable, "unavailable")
			return
		}
	}
	writeStatus(w, http.StatusOK, "ok")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "{\"status\":%q}\n", status)
}

// tlsEnabled reports whether Serve will speak TLS.
func (s *Server) tlsEnabled() bool {
	return s.opts.TLSCertFile != "" || s.opts.TLSConfig != nil
}

// ListenAndServe listens on Options.Addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to
// ShutdownTimeout, then closes what remains. It returns nil after a clean
// shutdown, or the error that stopped it. Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if s.opts.TLSConfig != nil {
		srv.TLSConfig = s.opts.TLSConfig.Clone()
	} else if s.tlsEnabled() {
		srv.TLSConfig = &tls.Config{}
	}
	if srv.TLSConfig != nil && srv.TLSConfig.MinVersion == 0 {
		srv.TLSConfig.MinVersion = tls.VersionTLS12
	}

	serveErr := make(chan error, 1)
	go func() {
		if s.tlsEnabled() {
			// ServeTLS loads the files (when given) and enables HTTP/2.
			serveErr <- srv.ServeTLS(ln, s.opts.TLSCertFile, s.opts.TLSKeyFile)
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	s.logger.Info("http server listening", slog.String("addr", ln.Addr().String()), slog.Bool("tls", s.tlsEnabled()))

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("http server shutting down", slog.Duration("timeout", s.opts.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		_ = srv.Close()
		shutdownErr = fmt.Errorf("http server shutdown: %w", shutdownErr)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(shutdownErr, fmt.Errorf("http server: %w", err))
	}
	return shutdownErr
}
