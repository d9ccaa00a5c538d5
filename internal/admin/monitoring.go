package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const logsPerPage = 50

// logType is one of Auth0's log event codes with its name in Auth0's log reference.
type logType struct {
	Code, Name string
	Failure    bool
}

// logTypes are the codes Gatehouse writes, in Auth0's words; the filter offers them.
var logTypes = []logType{
	{"s", "Success Login", false},
	{"f", "Failed Login", true},
	{"fp", "Failed Login (Incorrect Password)", true},
	{"fu", "Failed Login (Invalid Email/Username)", true},
	{"ssa", "Success Silent Auth", false},
	{"fsa", "Failed Silent Auth", true},
	{"seacft", "Success Exchange (Authorization Code for Access Token)", false},
	{"feacft", "Failed Exchange (Authorization Code for Access Token)", true},
	{"seccft", "Success Exchange (Client Credentials for Access Token)", false},
	{"feccft", "Failed Exchange (Client Credentials for Access Token)", true},
	{"sertft", "Success Exchange (Refresh Token for Access Token)", false},
	{"fertft", "Failed Exchange (Refresh Token for Access Token)", true},
	{"ferrt", "Failed Exchange (Rotating Refresh Token reused)", true},
	{"sepft", "Success Exchange (Password for Access Token)", false},
	{"fepft", "Failed Exchange (Password for Access Token)", true},
	{"sede", "Success Exchange (Device Code for Access Token)", false},
	{"fede", "Failed Exchange (Device Code for Access Token)", true},
	{"slo", "Success Logout", false},
	{"flo", "Failed Logout", true},
	{"ss", "Success Signup", false},
	{"fs", "Failed Signup", true},
	{"scpr", "Success Change Password Request", false},
	{"fcpr", "Failed Change Password Request", true},
	{"scp", "Success Change Password", false},
	{"fcp", "Failed Change Password", true},
	{"svr", "Success Verification Email Request", false},
	{"fvr", "Failed Verification Email Request", true},
	{"sv", "Success Verification Email", false},
	{"fv", "Failed Verification Email", true},
	{"fn", "Failed Sending Notification", true},
	{"limit_wc", "Blocked Account", true},
	{"limit_mu", "Blocked IP Address", true},
	{"api_limit", "Rate Limit on the Authentication or Management APIs", true},
	{"sapi", "Success API Operation", false},
	{"fapi", "Failed API Operation", true},
	{"sdu", "Successful User Deletion", false},
	{"actions_execution", "Action Execution", false},
}

// logTypeOf names a code; an unknown one is shown as itself.
func logTypeOf(code string) logType {
	for _, t := range logTypes {
		if t.Code == code {
			return t
		}
	}
	return logType{Code: code, Name: code, Failure: strings.HasPrefix(code, "f")}
}

// logEvent is a tenant log event as the Management API shows it.
type logEvent struct {
	LogID       string         `json:"log_id"`
	Date        string         `json:"date"`
	Type        string         `json:"type"`
	Description string         `json:"description"`
	ClientID    string         `json:"client_id"`
	ClientName  string         `json:"client_name"`
	IP          string         `json:"ip"`
	UserAgent   string         `json:"user_agent"`
	UserID      string         `json:"user_id"`
	UserName    string         `json:"user_name"`
	Connection  string         `json:"connection"`
	Audience    string         `json:"audience"`
	Scope       string         `json:"scope"`
	Hostname    string         `json:"hostname"`
	Details     map[string]any `json:"details"`
}

// Kind is the event's type in Auth0's words.
func (e logEvent) Kind() logType { return logTypeOf(e.Type) }

func (h *Handler) monitoringRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"logs", h.page(h.logList))
	mux.Handle("GET "+Path+"logs/{id}", h.page(h.logDetail))
}

type logListData struct {
	Type     string
	UserID   string
	Types    []logType
	Rows     []logEvent
	Nav      listNav
	Live     bool   // the first page follows the log
	PollURL  string // what the live script fetches
	Filtered bool
}

// logList is the tenant log, newest first, filtered by type and user. The first page follows the
// log: static/logs.js fetches this page's rows again every few seconds (partial=rows).
func (h *Handler) logList(w http.ResponseWriter, r *http.Request, v *viewer) {
	typ, user, page := searchTerm(r, "type"), searchTerm(r, "user_id"), pageNumber(r)
	var q []string
	if typ != "" {
		q = append(q, "type:"+quoteLogValue(typ))
	}
	if user != "" {
		q = append(q, "user_id:"+quoteLogValue(user))
	}
	params := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(logsPerPage)}, "include_totals": {"true"}}
	if len(q) > 0 {
		params.Set("q", strings.Join(q, " AND "))
	}
	var out struct {
		Logs  []logEvent `json:"logs"`
		Total int        `json:"total"`
	}
	err := v.api.do(r.Context(), "GET", "logs?"+params.Encode(), nil, &out)
	keep := url.Values{"type": {typ}, "user_id": {user}}
	d := logListData{Type: typ, UserID: user, Types: logTypes, Rows: out.Logs, Live: page == 0, Filtered: typ != "" || user != "",
		Nav: newListNav(Path+"logs", keep, page, logsPerPage, len(out.Logs), out.Total)}
	live := url.Values{"partial": {"rows"}}
	for k, vs := range keep {
		if vs[0] != "" {
			live.Set(k, vs[0])
		}
	}
	d.PollURL = Path + "logs?" + live.Encode()
	if r.URL.Query().Get("partial") == "rows" {
		h.logRows(w, r, d, err)
		return
	}
	if err != nil {
		lay := &layoutData{Title: "Logs", Nav: "logs", Data: d}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
			// A filter the API refuses (its own message), shown above an empty list.
			lay.Error = ae.Message
			h.render(w, r, http.StatusBadRequest, "logs", lay, v)
			return
		}
		h.apiFailed(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "logs", &layoutData{Title: "Logs", Nav: "logs", Data: d}, v)
}

// quoteLogValue quotes a filter value for the API's query syntax when it needs it.
func quoteLogValue(s string) string {
	if strings.ContainsAny(s, ` "|:`) {
		return strconv.Quote(s)
	}
	return s
}

// logRows answers the live script: only the table's rows, under the page's own template.
func (h *Handler) logRows(w http.ResponseWriter, r *http.Request, d logListData, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		status := http.StatusBadGateway
		var ae *APIError
		if errors.As(err, &ae) {
			status = ae.StatusCode
		}
		http.Error(w, "the log could not be read", status)
		return
	}
	var buf bytes.Buffer
	t, err := h.pages.page("logs")
	if err == nil {
		err = t.ExecuteTemplate(&buf, "logrows", d)
	}
	if err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "dashboard: render log rows", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if d.Nav.Total > 0 {
		// The pager's "1–50 of N", kept current by the script (first, last and total: ASCII, as a
		// header must be).
		w.Header().Set("X-Log-Range", fmt.Sprintf("%d %d %d", d.Nav.FirstShown, d.Nav.LastShown, d.Nav.Total))
	}
	_, _ = w.Write(buf.Bytes())
}

type logDetailData struct {
	Event logEvent
	Raw   string // the event as the API returned it, indented
}

func (h *Handler) logDetail(w http.ResponseWriter, r *http.Request, v *viewer) {
	var raw json.RawMessage
	if err := v.api.do(r.Context(), "GET", "logs/"+url.PathEscape(r.PathValue("id")), nil, &raw); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	var e logEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	// Shown as the characters it holds (the API escapes < and > as \u003c): the template escapes
	// it for HTML, so markup in an event stays text.
	var pretty bytes.Buffer
	var doc any
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if json.Unmarshal(raw, &doc) != nil || enc.Encode(doc) != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	h.render(w, r, http.StatusOK, "logs_detail", &layoutData{Title: e.Kind().Name, Nav: "logs",
		Data: logDetailData{Event: e, Raw: pretty.String()}}, v)
}

// activity is the home page's chart: sign-ins and failed sign-ins per hour over the last day.
type activity struct {
	Hours               []activityHour
	SignIns, Failures   int
	Max                 int
	Capped              bool // a count stopped at the walk's bound: "at least"
	Width, Height       int
	YTicks              []activityTick
	PlotTop, PlotBase   int
	PlotH               int
	PlotLeft, PlotLeft2 int
}

type activityHour struct {
	Label              string // "14:00", on every sixth hour
	SignIns, Failures  int
	X, BarW, HitW      int
	SignInY, SignInH   int
	FailureX           int
	FailureY, FailureH int
	Title              string
}

type activityTick struct {
	Y     int
	Value int
}

// loginFailures are the codes counted as failed sign-ins.
var loginFailures = []string{"f", "fp", "fu"}

// loadActivity counts, per hour of the last 24, successful logins (s) and failed ones (f, fp, fu),
// reading the log through the API newest first (at most 10 pages of 100 per type).
func loadActivity(ctx context.Context, a *api, now time.Time) (*activity, error) {
	now = now.UTC()
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	counts := map[string][]int{}
	capped := false
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for _, typ := range append([]string{"s"}, loginFailures...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hours := make([]int, 24)
			reachedStart := false
			for p := 0; p < 10 && !reachedStart; p++ {
				var out struct {
					Logs []logEvent `json:"logs"`
				}
				q := url.Values{"q": {"type:" + typ}, "page": {strconv.Itoa(p)}, "per_page": {"100"}, "include_totals": {"true"}}
				if err := a.do(ctx, "GET", "logs?"+q.Encode(), nil, &out); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				for _, e := range out.Logs {
					t, err := time.Parse(time.RFC3339Nano, e.Date)
					if err != nil {
						continue
					}
					if t.Before(start) {
						reachedStart = true
						break
					}
					if i := int(t.Sub(start) / time.Hour); i >= 0 && i < 24 {
						hours[i]++
					}
				}
				if len(out.Logs) < 100 {
					reachedStart = true
				} else if p == 9 && !reachedStart {
					mu.Lock()
					capped = true
					mu.Unlock()
				}
			}
			mu.Lock()
			counts[typ] = hours
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	c := &activity{Capped: capped, Width: 720, Height: 220, PlotTop: 12, PlotBase: 190, PlotLeft: 40}
	c.PlotLeft2 = c.Width - 8
	for i := 0; i < 24; i++ {
		hr := activityHour{SignIns: counts["s"][i]}
		for _, f := range loginFailures {
			hr.Failures += counts[f][i]
		}
		c.SignIns += hr.SignIns
		c.Failures += hr.Failures
		c.Max = max(c.Max, hr.SignIns, hr.Failures)
		at := start.Add(time.Duration(i) * time.Hour)
		if i%6 == 0 || i == 23 {
			hr.Label = at.Format("15:04")
		}
		hr.Title = fmt.Sprintf("%s–%s UTC: %d sign-ins, %d failures", at.Format("15:04"), at.Add(time.Hour).Format("15:04"), hr.SignIns, hr.Failures)
		c.Hours = append(c.Hours, hr)
	}
	c.layout()
	return c, nil
}

// layout places the bars: 24 groups of two across the plot, scaled to a round maximum.
func (c *activity) layout() {
	top := niceCeiling(c.Max)
	plotH := c.PlotBase - c.PlotTop
	c.PlotH = plotH
	group := (c.PlotLeft2 - c.PlotLeft) / 24
	bar := max(2, (group-4)/2)
	scale := func(n int) int { return n * plotH / top }
	for i := range c.Hours {
		hr := &c.Hours[i]
		hr.X = c.PlotLeft + i*group + 2
		hr.BarW = bar
		hr.HitW = 2 * bar
		hr.SignInH = scale(hr.SignIns)
		hr.SignInY = c.PlotBase - hr.SignInH
		hr.FailureX = hr.X + bar
		hr.FailureH = scale(hr.Failures)
		hr.FailureY = c.PlotBase - hr.FailureH
	}
	for _, v := range []int{0, top / 2, top} {
		c.YTicks = append(c.YTicks, activityTick{Y: c.PlotBase - scale(v), Value: v})
	}
	sort.Slice(c.YTicks, func(i, j int) bool { return c.YTicks[i].Value < c.YTicks[j].Value })
}

// niceCeiling is the smallest of 4, 10, 20, 40, 100, 200, 400, … at least n, so that the axis's
// halves are whole numbers.
func niceCeiling(n int) int {
	for _, base := range []int{4, 10, 20, 40} {
		if n <= base {
			return base
		}
	}
	for m := 100; ; m *= 10 {
		for _, f := range []int{1, 2, 4} {
			if n <= m*f {
				return m * f
			}
		}
	}
}
