package metrics

import "github.com/prometheus/client_golang/prometheus"

// Sign-in outcomes (the outcome label of gatehouse_signins_total).
const (
	SignInSuccess       = "success"
	SignInWrongPassword = "wrong_password"
	SignInUnknownUser   = "unknown_user"
	SignInBlocked       = "blocked"      // brute-force protection refused the attempt
	SignInUserBlocked   = "user_blocked" // the user is blocked by an administrator
	SignInBusy          = "busy"         // password hashing was at its memory budget
)

// Recorder counts what Gatehouse does.
type Recorder struct {
	tokens  *prometheus.CounterVec
	signIns *prometheus.CounterVec
	limited *prometheus.CounterVec

	notified  *prometheus.CounterVec
	listening prometheus.Gauge
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
	reg.MustRegister(r.tokens, r.signIns, r.limited, r.notified, r.listening)
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
