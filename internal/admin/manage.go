package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// manageRoutes registers the pages that manage APIs, users and roles, an application's
// credentials, quickstart and deletion, and the re-authentication route destructive actions use.
func (h *Handler) manageRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"auth/reauth", noStore(h.auth.LoginHandler(webauth.LoginOptions{
		AuthorizationParams: url.Values{"prompt": {"login"}, "max_age": {"0"}}})))
	h.credentialRoutes(mux)
	h.apiRoutes(mux)
	h.apiSecretRoutes(mux)
	h.userRoutes(mux)
	h.roleRoutes(mux)
	h.organizationRoutes(mux)
}

const perPage = 20

// pager is the "1–20 of 45, Previous, Next" line under a list.
type pager struct {
	Total, FirstShown, LastShown int
	PrevURL, NextURL             string
}

// newPager describes page (0-based) of a list at base (a dashboard path) with query extra, showing
// shown rows of total.
func newPager(base string, extra url.Values, page, shown, total int) pager {
	p := pager{Total: total}
	if shown > 0 {
		p.FirstShown, p.LastShown = page*perPage+1, page*perPage+shown
	}
	at := func(n int) string {
		q := url.Values{}
		for k, v := range extra {
			if len(v) > 0 && v[0] != "" {
				q[k] = v
			}
		}
		q.Set("page", strconv.Itoa(n))
		return base + "?" + q.Encode()
	}
	if page > 0 {
		p.PrevURL = at(page - 1)
	}
	if (page+1)*perPage < total {
		p.NextURL = at(page + 1)
	}
	return p
}

// listParams reads a list page's search (bounded) and page number.
func listParams(r *http.Request) (search string, page int) {
	q := r.URL.Query()
	search = strings.TrimSpace(q.Get("q"))
	if len(search) > 200 {
		search = search[:200]
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 0 || page > 10000 {
		page = 0
	}
	return search, page
}

// refusal is the API's own message and status for a refused change, or ok=false after rendering
// the generic failure page for anything that is not an API answer.
func (h *Handler) refusal(w http.ResponseWriter, r *http.Request, v *viewer, err error) (status int, msg string, ok bool) {
	var ae *APIError
	if !errors.As(err, &ae) {
		h.apiFailed(w, r, v, err)
		return 0, "", false
	}
	return ae.StatusCode, ae.Message, true
}

// walk reads every page of a Management API list (bounded at 50 pages of 100) and returns the
// items under key. The API has no name filter for some lists; the dashboard then filters a walk.
func walk[T any](r *http.Request, a *api, path, key string) ([]T, error) {
	var all []T
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for p := 0; p < 50; p++ {
		var out map[string]json.RawMessage
		if err := a.do(r.Context(), "GET", path+sep+"include_totals=true&per_page=100&page="+strconv.Itoa(p), nil, &out); err != nil {
			return nil, err
		}
		var items []T
		if err := json.Unmarshal(out[key], &items); err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < 100 {
			break
		}
	}
	return all, nil
}

// pageOf returns page of list, perPage rows.
func pageOf[T any](list []T, page int) []T {
	start := min(page*perPage, len(list))
	return list[start:min(start+perPage, len(list))]
}

// redirect sends the browser to a dashboard page after a change (303, so a reload does not post
// again), with flash as a short message code the page turns into text.
func redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		path += "?done=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// flashes are the messages a page shows after a redirect. Only these texts can appear: a crafted
// link cannot make the dashboard say something else.
var flashes = map[string]string{
	"saved": "Changes saved.", "created": "Created.", "deleted": "Deleted.",
	"perm-added": "Permission added.", "keys-rotated": "Keys rotated: register the new next key with the provider before the next rotation.",
	"perm-removed": "Permission removed.", "perms-added": "Permissions added.", "grant-saved": "Machine-to-machine access saved.",
	"role-assigned": "Role assigned.", "role-removed": "Role removed.",
	"user-added": "User added to the role.", "user-removed": "User removed from the role.",
	"blocked": "User blocked: they can no longer sign in.", "unblocked": "User unblocked.",
	"member-added": "Member added.", "member-removed": "Member removed from the organization.", "invitation-deleted": "Invitation deleted.",
	"member-role-added": "Role assigned in the organization.", "member-role-removed": "Role removed in the organization.",
	"connection-enabled": "Connection enabled for the organization.", "connection-disabled": "Connection disabled for the organization.",
	"method-deleted": "Authentication method deleted.", "methods-deleted": "Every authentication method deleted: the next sign-in that needs MFA enrolls again.",
	"browsers-forgotten": "Remembered browsers forgotten: the next sign-in asks for a second factor again.",
	"verified":           "Email marked as verified.", "signed-out": "Signed out everywhere: their sessions have ended.", "reset-sent": "If the address can receive mail, a password reset email is on its way.",
}

func flashFor(r *http.Request) string { return flashes[r.URL.Query().Get("done")] }
