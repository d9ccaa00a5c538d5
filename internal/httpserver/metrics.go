package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// unmatchedRoute labels requests no pattern matched (404, 405), so scanners
// probing random paths cannot create new time series.
const unmatchedRoute = "unmatched"

// Metrics owns a private Prometheus registry (never the global one) with
// the HTTP request metrics and the Go and process collectors. Other
// packages register their own collectors on Registry.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// byRoute holds each route's series by status class, looked up without building label
	// values: a map replaced whole (under mu) when a route is first seen. Routes are patterns,
	// a bounded set.
	byRoute atomic.Pointer[map[string]*routeSeries]
	mu      sync.Mutex
}

// routeSeries are one route's counter and histogram for each status class (index status/100,
// 0 for anything outside 100–599), each made when the route first answers in that class.
type routeSeries [6]atomic.Pointer[seriesPair]

type seriesPair struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics creates a registry with the HTTP, Go runtime and process
// metrics registered.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests served, by route pattern and status class.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(
		m.requests,
		m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// observe records one request. route is the ServeMux pattern, never the raw
// path, which would give every distinct URL its own series.
func (m *Metrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = unmatchedRoute
	}
	class := 0
	if status >= 100 && status <= 599 {
		class = status / 100
	}
	slot := &m.series(route)[class]
	p := slot.Load()
	if p == nil {
		// WithLabelValues returns the same series to racing callers.
		code := statusClass(status)
		p = &seriesPair{m.requests.WithLabelValues(route, code), m.duration.WithLabelValues(route, code)}
		slot.Store(p)
	}
	p.requests.Inc()
	p.duration.Observe(d.Seconds())
}

func (m *Metrics) series(route string) *routeSeries {
	if p := m.byRoute.Load(); p != nil {
		if rs, ok := (*p)[route]; ok {
			return rs
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := map[string]*routeSeries{}
	if p := m.byRoute.Load(); p != nil {
		if rs, ok := (*p)[route]; ok {
			return rs
		}
		old = *p
	}
	rs := new(routeSeries)
	next := make(map[string]*routeSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[route] = rs
	m.byRoute.Store(&next)
	return rs
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// requireBearer lets through requests whose Authorization is "Bearer token"
// and answers 401 to the rest. Both sides are hashed first so that the
// comparison takes the same time whatever the lengths.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
