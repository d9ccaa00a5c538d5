package mgmt

import (
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

// logScanLimit bounds how far a `from` checkpoint is looked for (pages of 100, newest first).
const logScanLimit = 50

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
// newer than it, oldest first, so that a caller can follow the log by passing the last log_id it
// saw. Without `from`, the newest `take` events are returned. The answer is a bare array.
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
	var newer []*domain.LogEvent
	found := false
	for page := 0; page < logScanLimit && !found; page++ {
		list, _, err := g.logs.ListLogs(c.ctx(), f, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return 0, nil, err
		}
		for _, e := range list {
			if e.LogID == from {
				found = true
				break
			}
			newer = append(newer, e)
		}
		if len(list) < 100 {
			break
		}
	}
	if !found {
		return 0, nil, queryInvalid("from", "no log event %q among the recent events", from)
	}
	items := make([]any, 0, take)
	for i := len(newer) - 1; i >= 0 && len(items) < take; i-- {
		items = append(items, viewLog(newer[i]))
	}
	return http.StatusOK, items, nil
}

func (g *logs) get(c *call) (int, any, error) {
	e, err := load(c.ctx(), g.logs.GetLog, c.r.PathValue("id"), nfLog)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewLog(e), nil
}
