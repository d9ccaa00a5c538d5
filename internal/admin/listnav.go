package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// listNav is the "1–20 of 45 · Previous · Next" line under a paged list.
type listNav struct {
	Total, FirstShown, LastShown int
	PrevURL, NextURL             string
}

// pageNumber reads ?page=, clamped to a sane range (a bad value is the first page).
func pageNumber(r *http.Request) int {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || p < 0 || p > 10000 {
		return 0
	}
	return p
}

// searchTerm reads ?q= (or another parameter), trimmed and bounded.
func searchTerm(r *http.Request, name string) string {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// newListNav builds the pager of page (shown items on it) of a list of total items, with links
// to path carrying the other query parameters keep.
func newListNav(path string, keep url.Values, page, perPage, shown, total int) listNav {
	n := listNav{Total: total}
	if shown > 0 {
		n.FirstShown, n.LastShown = page*perPage+1, page*perPage+shown
	}
	link := func(p int) string {
		q := url.Values{}
		for k, v := range keep {
			if len(v) > 0 && v[0] != "" {
				q.Set(k, v[0])
			}
		}
		q.Set("page", strconv.Itoa(p))
		return path + "?" + q.Encode()
	}
	if page > 0 {
		n.PrevURL = link(page - 1)
	}
	if (page+1)*perPage < total {
		n.NextURL = link(page + 1)
	}
	return n
}

// window returns the part of all that page shows (a list the dashboard filtered itself).
func window[T any](all []T, page, perPage int) []T {
	start := min(page*perPage, len(all))
	return all[start:min(start+perPage, len(all))]
}

func init() {
	// when shows an API timestamp (RFC 3339) as "6 Dec 2026, 07:19 UTC"; anything else as given.
	funcs["when"] = func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2 Jan 2006, 15:04 UTC")
	}
	funcs["inc"] = func(i int) int { return i + 1 }
}
