package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) logRoutes() []route {
	read := []string{"read:logs", "read:logs_users"}
	return []route{
		{method: "GET", path: "/logs", scopes: read, fn: h.listLogs},
		{method: "GET", path: "/logs/{id}", scopes: read, fn: h.getLog},
	}
}

// logView adds the fields Auth0 renders differently from the stored event.
type logView struct {
	*domain.LogEvent
	Date string `json:"date"`
}

func viewLog(e *domain.LogEvent) logView { return logView{LogEvent: e, Date: isoTime(e.Date)} }

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

func (h *Handler) listLogs(c *call) {
	q := c.r.URL.Query()
	if s := q.Get("sort"); s != "" && s != "date:-1" {
		c.queryInvalid("sort", "only date:-1 is supported")
		return
	}
	var f store.LogFilter
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		var err error
		if f, err = parseLogQuery(s); err != nil {
			c.queryInvalid("q", "%s", err.Error())
			return
		}
	}
	if q.Has("from") || q.Has("take") {
		h.logsFrom(c, f)
		return
	}
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	pr, ok := c.projection()
	if !ok {
		return
	}
	list, total, err := h.st.ListLogs(c.r.Context(), f, p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, e := range list {
		items[i] = pr.apply(viewLog(e))
	}
	c.list(p, "logs", items, total)
}

// logsFrom serves Auth0's log checkpoint: `from` is a log_id, and the answer is up to `take` events
// newer than it, oldest first, so that a caller can follow the log by passing the last log_id it
// saw. Without `from`, the newest `take` events are returned. The answer is a bare array.
func (h *Handler) logsFrom(c *call, f store.LogFilter) {
	q := c.r.URL.Query()
	take := 50
	if s := q.Get("take"); s != "" {
		if _, err := fmt.Sscan(s, &take); err != nil || take < 1 || take > 100 {
			c.queryInvalid("take", "Expected an integer between 1 and 100")
			return
		}
	}
	from := q.Get("from")
	if from == "" {
		list, _, err := h.st.ListLogs(c.r.Context(), f, store.Page{PerPage: take})
		if err != nil {
			c.fail(err)
			return
		}
		items := make([]any, len(list))
		for i, e := range list {
			items[i] = viewLog(e)
		}
		c.json(http.StatusOK, items)
		return
	}
	var newer []*domain.LogEvent
	found := false
	for page := 0; page < logScanLimit && !found; page++ {
		list, _, err := h.st.ListLogs(c.r.Context(), f, store.Page{Page: page, PerPage: 100})
		if err != nil {
			c.fail(err)
			return
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
		c.queryInvalid("from", "no log event %q among the recent events", from)
		return
	}
	items := make([]any, 0, take)
	for i := len(newer) - 1; i >= 0 && len(items) < take; i-- {
		items = append(items, viewLog(newer[i]))
	}
	c.json(http.StatusOK, items)
}

func (h *Handler) getLog(c *call) {
	e, err := h.st.GetLog(c.r.Context(), c.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(nfLog)
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, viewLog(e))
}
