package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// logs serves /logs: the tenant log.
type logs struct {
	logs store.LogStore
}

func (h *Handler) logRoutes() []route {
	g := &logs{logs: h.st}
	read := []string{"read:logs", "read:logs_users"}
	return []route{
		{method: "GET", path: "/logs", scopes: read, fn: g.list},
		{method: "GET", path: "/logs/{id}", scopes: read, fn: g.get},
	}
}

// logView adds the fields Auth0 renders differently from the stored event.
type logView struct {
	*domain.LogEvent
	Date string `json:"date"`
}

func viewLog(e *domain.LogEvent) any { return logView{LogEvent: e, Date: isoTime(e.Date)} }

// parseLogQuery reads `q` of the simple forms `type:sapi`, `user_id:"auth0|x"`, `client_id:abc`,
// joined by AND.
func parseLogQuery(q string) (store.LogFilter, error) {
	var f store.LogFilter
	toks, err := tokenizeQuery(q)
	if err != nil {
		return f, err
	}
	for _, t := range toks {
		if !t.quoted && (t.text == "AND" || t.text == "&&") {
			continue
		}
		field, value, ok := strings.Cut(t.text, ":")
		if !ok || value == "" || strings.ContainsAny(value, "*?") {
			return f, fmt.Errorf("%q: use field:value with one of type, user_id, client_id", t.text)
		}
		switch field {
		case "type":
			f.Type = value
		case "user_id":
			f.UserID = value
		case "client_id":
			f.ClientID = value
		default:
			return f, fmt.Errorf("searching logs by %q is not supported; use type, user_id or client_id", field)
		}
	}
	return f, nil
}

func (g *logs) list(c *call) (int, any, error) {
	q := c.r.URL.Query()
	if s := q.Get("sort"); s != "" && s != "date:-1" {
		return 0, nil, queryInvalid("sort", "only date:-1 is supported")
	}
	var f store.LogFilter
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		var err error
		if f, err = parseLogQuery(s); err != nil {
			return 0, nil, queryInvalid("q", "%s", err.Error())
		}
	}
	if q.Has("from") || q.Has("take") {
		return g.from(c, f)
	}
	p, pr, err := c.listQuery()
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.logs.ListLogs(c.ctx(), f, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("logs", views(list, func(e *domain.LogEvent) any { return pr.apply(viewLog(e)) }), total), nil
}

// from serves Auth0's log checkpoint: `from` is a log_id, and the answer is up to `take` events
// stored after it, oldest first, so that a caller follows the log by passing the last log_id it
// saw. Without `from`, the newest `take` events are returned. The answer is a bare array. Events
// are found by their place in the log (one indexed read), however far back `from` is.
func (g *logs) from(c *call, f store.LogFilter) (int, any, error) {
	q := c.r.URL.Query()
	take := 50
	if s := q.Get("take"); s != "" {
		if _, err := fmt.Sscan(s, &take); err != nil || take < 1 || take > 100 {
			return 0, nil, queryInvalid("take", "Expected an integer between 1 and 100")
		}
	}
	from := q.Get("from")
	if from == "" {
		list, _, err := g.logs.ListLogs(c.ctx(), f, store.Page{PerPage: take})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, views(list, viewLog), nil
	}
	list, err := g.logs.ListLogsFrom(c.ctx(), f, from, take)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, queryInvalid("from", "no log event %q (it may be past the log's retention)", from)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, views(list, viewLog), nil
}

func (g *logs) get(c *call) (int, any, error) {
	e, err := load(c.ctx(), g.logs.GetLog, c.r.PathValue("id"), nfLog)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewLog(e), nil
}
