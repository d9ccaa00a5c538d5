package domain

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Log stream statuses (Auth0's): active streams deliver; paused ones wait for an administrator;
// suspended ones were stopped by repeated delivery failures and resume with status active.
const (
	LogStreamActive    = "active"
	LogStreamPaused    = "paused"
	LogStreamSuspended = "suspended"
)

// Log stream content formats (Auth0's httpContentFormat).
const (
	FormatJSONLines  = "JSONLINES"
	FormatJSONArray  = "JSONARRAY"
	FormatJSONObject = "JSONOBJECT"
)

// LogStream ships the tenant log to an HTTP endpoint (Auth0's `http` stream type), in order, from a
// cursor kept with the stream.
type LogStream struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	Status  string            `json:"status"`
	Sink    LogStreamSink     `json:"sink"`
	Filters []LogStreamFilter `json:"filters,omitempty"`

	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
	// AuthorizationSealed is the sink's httpAuthorization, encrypted; the clear value is never
	// stored nor returned.
	AuthorizationSealed []byte `json:"-"`

	// Delivery state, kept in columns of its own.
	Cursor        int64     `json:"-"` // the sequence number of the last event delivered
	Failures      int       `json:"-"` // consecutive failed deliveries
	NextAttemptAt time.Time `json:"-"`
	LastError     string    `json:"-"`
}

// LogStreamSink is the `http` sink. HTTPAuthorization is write-only: it is set from a request,
// sealed, and cleared.
type LogStreamSink struct {
	HTTPEndpoint      string       `json:"httpEndpoint"`
	HTTPContentType   string       `json:"httpContentType,omitempty"`
	HTTPContentFormat string       `json:"httpContentFormat,omitempty"`
	HTTPCustomHeaders []HTTPHeader `json:"httpCustomHeaders,omitempty"`
	HTTPAuthorization string       `json:"-"`
}

// HTTPHeader is one custom header sent with every delivery.
type HTTPHeader struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// LogStreamFilter selects events by Auth0's category name (type "category").
type LogStreamFilter struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// reservedHeaders are set by the delivery itself; a custom header may not replace them.
var reservedHeaders = []string{"Authorization", "Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection"}

// ApplyDefaults fills Auth0's defaults: JSONLINES as application/json.
func (s *LogStream) ApplyDefaults() {
	if s.Type == "" {
		s.Type = "http"
	}
	if s.Status == "" {
		s.Status = LogStreamActive
	}
	if s.Sink.HTTPContentFormat == "" {
		s.Sink.HTTPContentFormat = FormatJSONLines
	}
	if s.Sink.HTTPContentType == "" {
		s.Sink.HTTPContentType = "application/json"
	}
}

// Validate checks the stream. Whether the endpoint's host may be reached is the delivery's rule
// (netguard), checked where the node knows whether it runs in development.
func (s *LogStream) Validate() error {
	var errs Errors
	if s.Type != "http" {
		errs.add(Invalidf("type", "only http log streams are supported"))
	}
	if len(s.Name) > 128 {
		errs.add(Invalidf("name", "must be at most 128 characters"))
	}
	if !slices.Contains([]string{LogStreamActive, LogStreamPaused, LogStreamSuspended}, s.Status) {
		errs.add(Invalidf("status", "must be active, paused or suspended"))
	}
	u, err := url.Parse(s.Sink.HTTPEndpoint)
	switch {
	case s.Sink.HTTPEndpoint == "":
		errs.add(Invalidf("sink.httpEndpoint", "is required"))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "":
		errs.add(Invalidf("sink.httpEndpoint", "must be an absolute http(s) URL without credentials or fragment"))
	case len(s.Sink.HTTPEndpoint) > 2048:
		errs.add(Invalidf("sink.httpEndpoint", "must be at most 2048 characters"))
	}
	if !slices.Contains([]string{FormatJSONLines, FormatJSONArray, FormatJSONObject}, s.Sink.HTTPContentFormat) {
		errs.add(Invalidf("sink.httpContentFormat", "must be JSONLINES, JSONARRAY or JSONOBJECT"))
	}
	if !validHeaderValue(s.Sink.HTTPContentType) || len(s.Sink.HTTPContentType) > 255 {
		errs.add(Invalidf("sink.httpContentType", "is not a valid header value"))
	}
	if len(s.Sink.HTTPAuthorization) > 4096 || !validHeaderValue(s.Sink.HTTPAuthorization) {
		errs.add(Invalidf("sink.httpAuthorization", "is not a valid header value"))
	}
	if len(s.Sink.HTTPCustomHeaders) > 20 {
		errs.add(Invalidf("sink.httpCustomHeaders", "must hold at most 20 headers"))
	}
	for _, h := range s.Sink.HTTPCustomHeaders {
		name := http.CanonicalHeaderKey(h.Header)
		if !validHeaderName(h.Header) || slices.Contains(reservedHeaders, name) {
			errs.add(Invalidf("sink.httpCustomHeaders", "%q cannot be sent as a custom header", h.Header))
		}
		if !validHeaderValue(h.Value) || len(h.Value) > 4096 {
			errs.add(Invalidf("sink.httpCustomHeaders", "the value of %q is not a valid header value", h.Header))
		}
	}
	for _, f := range s.Filters {
		if f.Type != "category" || !slices.Contains(LogCategories, f.Name) {
			errs.add(Invalidf("filters", "%s %q is not a log category (%s)", f.Type, f.Name, strings.Join(LogCategories, ", ")))
		}
	}
	return errs.Err()
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for _, c := range []byte(s) {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// Matches reports whether the stream's filters let the event of type typ through: every event
// when there are none, else those of a listed category.
func (s *LogStream) Matches(typ string) bool {
	if len(s.Filters) == 0 {
		return true
	}
	cat := LogCategory(typ)
	for _, f := range s.Filters {
		if f.Name == cat {
			return true
		}
	}
	return false
}

// LogCategories are Auth0's log stream filter categories.
var LogCategories = []string{
	"auth.ancillary.fail", "auth.ancillary.success", "auth.login.fail", "auth.login.notification",
	"auth.login.success", "auth.logout.fail", "auth.logout.success", "auth.signup.fail", "auth.signup.success",
	"auth.silent_auth.fail", "auth.silent_auth.success", "auth.token_exchange.fail", "auth.token_exchange.success",
	"management.fail", "management.success", "scim.event", "system.notification", "user.fail", "user.notification",
	"user.success", "actions", "other",
}

// logCategoryOf maps the event types Gatehouse records to Auth0's filter categories (Auth0's "Log
// Stream Filters" page); a type it does not list is "other". The attack protection codes (limit_*,
// *pwd_leak) are put in auth.ancillary.fail, a choice of Gatehouse's: they are failures around a
// sign-in rather than the sign-in's own answer.
var logCategoryOf = map[string]string{
	"f": "auth.login.fail", "fp": "auth.login.fail", "fu": "auth.login.fail", "fc": "auth.login.fail", "fco": "auth.login.fail",
	"w":   "auth.login.notification",
	"s":   "auth.login.success",
	"flo": "auth.logout.fail", "slo": "auth.logout.success",
	"fs": "auth.signup.fail", "ss": "auth.signup.success",
	"fsa": "auth.silent_auth.fail", "ssa": "auth.silent_auth.success",
	"feacft": "auth.token_exchange.fail", "feccft": "auth.token_exchange.fail", "fepft": "auth.token_exchange.fail",
	"fertft": "auth.token_exchange.fail", "ferrt": "auth.token_exchange.fail", "fede": "auth.token_exchange.fail",
	"seacft": "auth.token_exchange.success", "seccft": "auth.token_exchange.success", "sepft": "auth.token_exchange.success",
	"sertft": "auth.token_exchange.success", "sede": "auth.token_exchange.success",
	"fapi": "management.fail", "sapi": "management.success",
	"fcp": "user.fail", "fcpr": "user.fail", "fv": "user.fail", "fvr": "user.fail", "fn": "user.fail", "fdu": "user.fail",
	"scp": "user.success", "scpr": "user.success", "sv": "user.success", "svr": "user.success", "sdu": "user.success",
	"limit_wc": "auth.ancillary.fail", "limit_mu": "auth.ancillary.fail", "limit_sul": "auth.ancillary.fail",
	"pwd_leak": "auth.ancillary.fail", "signup_pwd_leak": "auth.ancillary.fail", "reset_pwd_leak": "auth.ancillary.fail",
	"actions_execution_failed": "actions",
}

// LogCategory is the filter category of an event type.
func LogCategory(typ string) string {
	if c, ok := logCategoryOf[typ]; ok {
		return c
	}
	return "other"
}

// LogRecord is a stored event with its place in the log.
type LogRecord struct {
	Seq   int64
	Event *LogEvent
}

// NewLogStreamID returns an id in Auth0's form, lst_ and 16 random characters.
func NewLogStreamID() string { return "lst_" + randomHex(8) }
