package metrics

import "github.com/prometheus/client_golang/prometheus"

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
	reg.MustRegister(r.tokens, r.signIns, r.limited)
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
