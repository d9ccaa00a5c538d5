package metrics

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Sign-in outcomes (the outcome label of gatehouse_signins_total).
const (
	SignInSuccess       = "success"
	SignInWrongPassword = "wrong_password"
	SignInUnknownUser   = "unknown_user"
	SignInBlocked       = "blocked"        // brute-force protection refused the attempt
	SignInUserBlocked   = "user_blocked"   // the user is blocked by an administrator
	SignInBusy          = "busy"           // password hashing was at its memory budget
	SignInUpstreamError = "upstream_error" // another identity provider refused or failed the sign-in
)

// Recorder counts what Gatehouse does.
type Recorder struct {
	tokens  *prometheus.CounterVec
	signIns *prometheus.CounterVec
	limited *prometheus.CounterVec

	notified  *prometheus.CounterVec
	listening prometheus.Gauge

	actionTime     *prometheus.HistogramVec
	actionFailures *prometheus.CounterVec
	storeTime      *prometheus.HistogramVec

	reg prometheus.Registerer
}

// New registers the counters on reg.
func New(reg prometheus.Registerer) *Recorder {
	r := &Recorder{
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_issued_total",
			Help: "Token responses issued by /oauth/token, by grant type and client id.",
		}, []string{"grant_type", "client_id"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_signins_total",
			Help: "Password sign-ins on the hosted login page, by outcome.",
		}, []string{"outcome"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_rate_limited_total",
			Help: "Requests refused by a rate limit, by limit.",
		}, []string{"limit"}),
	}
	r.notified = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_change_notifications_total",
		Help: "Configuration and key changes committed by any node and notified through PostgreSQL, by table.",
	}, []string{"table"})
	r.listening = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gatehouse_change_listener_up",
		Help: "1 while the node listens for change notifications on PostgreSQL; 0 while it relies on polling.",
	})
	r.actionTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_action_duration_seconds",
		Help:    "Time to run a trigger's chain of Actions, by trigger.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"trigger"})
	r.actionFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_action_failures_total",
		Help: "Runs of a trigger's Actions that failed (an exception, a timeout, a limit), by trigger.",
	}, []string{"trigger"})
	r.storeTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_store_duration_seconds",
		Help:    "Time of database statements outside transactions (read) and of whole transactions (transaction), waiting for a connection included.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"kind"})
	r.reg = reg
	reg.MustRegister(r.tokens, r.signIns, r.limited, r.notified, r.listening, r.actionTime, r.actionFailures, r.storeTime)
	return r
}

// TokenIssued counts one successful token response for an authenticated client.
func (r *Recorder) TokenIssued(grantType, clientID string) {
	if r != nil {
		r.tokens.WithLabelValues(grantType, clientID).Inc()
	}
}

// SignIn counts one sign-in attempt's outcome (one of the SignIn constants).
func (r *Recorder) SignIn(outcome string) {
	if r != nil {
		r.signIns.WithLabelValues(outcome).Inc()
	}
}

// RateLimited counts one request refused by the named limit.
func (r *Recorder) RateLimited(limit string) {
	if r != nil {
		r.limited.WithLabelValues(limit).Inc()
	}
}

// ChangeNotified counts one change notification for table.
func (r *Recorder) ChangeNotified(table string) {
	if r != nil {
		r.notified.WithLabelValues(table).Inc()
	}
}

// ChangeListener records whether the change listener is connected.
func (r *Recorder) ChangeListener(up bool) {
	if r != nil {
		v := 0.0
		if up {
			v = 1
		}
		r.listening.Set(v)
	}
}

// ActionRun records one run of trigger's Actions.
func (r *Recorder) ActionRun(trigger string, d time.Duration, failed bool) {
	if r != nil {
		r.actionTime.WithLabelValues(trigger).Observe(d.Seconds())
		if failed {
			r.actionFailures.WithLabelValues(trigger).Inc()
		}
	}
}

// StoreCall records one database statement or transaction (see sqlstore.Config.Observe).
func (r *Recorder) StoreCall(kind string, d time.Duration) {
	if r != nil {
		r.storeTime.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// WatchPools exports the connection pools' statistics (open, in use, idle, waits and the time
// spent waiting), labelled db_name with the pool's name.
func (r *Recorder) WatchPools(pools map[string]*sql.DB) {
	if r == nil {
		return
	}
	for name, db := range pools {
		r.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// WatchMailQueue exports the email outbox's depth and the age of its oldest unfinished message,
// read with queue at each scrape (one indexed query).
func (r *Recorder) WatchMailQueue(queue func(ctx context.Context) (int, time.Time, error), now func() time.Time) {
	if r != nil {
		r.reg.MustRegister(&mailQueue{queue: queue, now: now})
	}
}

var (
	mailDepthDesc = prometheus.NewDesc("gatehouse_mail_queue_depth", "Email messages queued and neither sent nor given up on.", nil, nil)
	mailAgeDesc   = prometheus.NewDesc("gatehouse_mail_queue_oldest_age_seconds", "Age of the oldest queued email message (0 when none).", nil, nil)
)

type mailQueue struct {
	queue func(ctx context.Context) (int, time.Time, error)
	now   func() time.Time
}

func (m *mailQueue) Describe(ch chan<- *prometheus.Desc) { ch <- mailDepthDesc; ch <- mailAgeDesc }

func (m *mailQueue) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := m.queue(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(mailDepthDesc, err)
		return
	}
	age := 0.0
	if n > 0 {
		age = max(0, m.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(mailDepthDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(mailAgeDesc, prometheus.GaugeValue, age)
}

// LogStreamBacklog is one log stream's undelivered part of the tenant log (see WatchLogStreams).
type LogStreamBacklog struct {
	Stream, Status string
	Depth          int64
	Oldest         time.Time // zero when Depth is 0
}

// WatchLogStreams exports, per log stream, its queue depth (tenant log events after its cursor) and
// its lag (the age of the oldest of them), read with backlog at each scrape (one query): the
// delivery falling behind, or a suspended stream, shows as a growing lag.
func (r *Recorder) WatchLogStreams(backlog func(ctx context.Context) ([]LogStreamBacklog, error), now func() time.Time) {
	if r != nil {
		r.reg.MustRegister(&logStreams{backlog: backlog, now: now})
	}
}

var (
	streamDepthDesc = prometheus.NewDesc("gatehouse_log_stream_queue_depth",
		"Tenant log events not yet delivered to the log stream (after its cursor).", []string{"stream", "status"}, nil)
	streamLagDesc = prometheus.NewDesc("gatehouse_log_stream_lag_seconds",
		"Age of the oldest tenant log event not yet delivered to the log stream (0 when none).", []string{"stream", "status"}, nil)
)

type logStreams struct {
	backlog func(ctx context.Context) ([]LogStreamBacklog, error)
	now     func() time.Time
}

func (m *logStreams) Describe(ch chan<- *prometheus.Desc) { ch <- streamDepthDesc; ch <- streamLagDesc }

func (m *logStreams) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := m.backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(streamDepthDesc, err)
		return
	}
	for _, b := range list {
		lag := 0.0
		if b.Depth > 0 {
			lag = max(0, m.now().Sub(b.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(streamDepthDesc, prometheus.GaugeValue, float64(b.Depth), b.Stream, b.Status)
		ch <- prometheus.MustNewConstMetric(streamLagDesc, prometheus.GaugeValue, lag, b.Stream, b.Status)
	}
}
