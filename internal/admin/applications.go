package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/checklist"
)

const appsPerPage = 20

// wildcardWarning is the seed guide's warning, shown beside the API's refusal of a wildcard URL.
const wildcardWarning = checklist.WildcardWarning

type appRow struct {
	client
	TypeLabel string
}

type appListData struct {
	Search     string
	Rows       []appRow
	Total      int
	Page       int
	PrevURL    string
	NextURL    string
	FirstShown int
	LastShown  int
}

func (h *Handler) applicationRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"applications", h.page(h.applications))
	mux.Handle("GET "+Path+"applications/new", h.page(h.newApplication))
	mux.Handle("POST "+Path+"applications/new", h.page(h.createApplication))
	mux.Handle("GET "+Path+"applications/{id}", h.page(h.application))
	mux.Handle("POST "+Path+"applications/{id}", h.page(h.saveApplication))
}

func (h *Handler) applications(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	search := strings.TrimSpace(q.Get("q"))
	if len(search) > 200 {
		search = search[:200]
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 0 || page > 10000 {
		page = 0
	}
	list, total, err := listClients(r.Context(), v.api, search, page, appsPerPage)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	d := appListData{Search: search, Total: total, Page: page}
	for _, c := range list {
		d.Rows = append(d.Rows, appRow{client: c, TypeLabel: appTypeLabel(c.AppType)})
	}
	if len(list) > 0 {
		d.FirstShown, d.LastShown = page*appsPerPage+1, page*appsPerPage+len(list)
	}
	pageURL := func(p int) string {
		u := url.Values{"page": {strconv.Itoa(p)}}
		if search != "" {
			u.Set("q", search)
		}
		return Path + "applications?" + u.Encode()
	}
	if page > 0 {
		d.PrevURL = pageURL(page - 1)
	}
	if (page+1)*appsPerPage < total {
		d.NextURL = pageURL(page + 1)
	}
	h.render(w, r, http.StatusOK, "applications", &layoutData{Title: "Applications", Nav: "applications", Flash: flashFor(r), Data: d}, v)
}

type newAppData struct {
	Name, AppType string
	Types         []appType
}

func (h *Handler) newApplication(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "application_new", &layoutData{Title: "Create application", Nav: "applications",
		Data: newAppData{AppType: "regular_web", Types: appTypes}}, v)
}

type createdData struct {
	Domain    string
	App       client
	TypeLabel string
	EnvBlock  string
}

func (h *Handler) createApplication(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := newAppData{Name: r.PostFormValue("name"), AppType: r.PostFormValue("app_type"), Types: appTypes}
	var created client
	err := v.api.do(r.Context(), "POST", "clients", map[string]any{"name": strings.TrimSpace(d.Name), "app_type": d.AppType}, &created)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		h.render(w, r, ae.StatusCode, "application_new", &layoutData{Title: "Create application", Nav: "applications",
			Error: ae.Message, Data: d}, v)
		return
	}
	// The secret exists in clear only in this answer: it is shown now, on this page, and never
	// put in a URL or a cookie.
	h.render(w, r, http.StatusCreated, "application_created", &layoutData{Title: created.Name, Nav: "applications",
		Data: createdData{Domain: strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(h.opts.Issuer, "https://"), "http://"), "/"), App: created, TypeLabel: appTypeLabel(created.AppType), EnvBlock: h.envBlock(created)}}, v)
}

// envBlock is the seed guide's step 2 .env.local for an app, its secret included when known.
func (h *Handler) envBlock(c client) string {
	secret := c.ClientSecret
	if secret == "" {
		secret = "your-client-secret"
	}
	return "# Auth0 Configuration\n" +
		"AUTH0_SECRET='use-openssl-rand-base64-32-to-generate'\n" +
		"AUTH0_BASE_URL='http://localhost:3000'\n" +
		"AUTH0_ISSUER_BASE_URL='" + strings.TrimSuffix(h.opts.Issuer, "/") + "'\n" +
		"AUTH0_CLIENT_ID='" + c.ClientID + "'\n" +
		"AUTH0_CLIENT_SECRET='" + secret + "'\n\n" +
		"# For API authorization: the Identifier of your API (APIs)\n" +
		"AUTH0_AUDIENCE='https://api.yourapp.com'\n\n" +
		"# Production overrides\n" +
		"# AUTH0_BASE_URL='https://yourapp.com'\n"
}

type appSettingsData struct {
	App        client
	TypeLabel  string
	Form       settingsForm
	Grants     any
	Wildcard   string // the guide's warning, when the API refused a wildcard
	CanWrite   bool
	ActionPath string
}

func (h *Handler) application(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	d := &layoutData{Title: c.Name, Nav: "applications"}
	if r.URL.Query().Get("saved") == "1" {
		d.Flash = "Settings saved."
	}
	d.Data = h.settingsData(c, formFromClient(c), v)
	h.render(w, r, http.StatusOK, "application", d, v)
}

func (h *Handler) saveApplication(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := h.loadClient(w, r, v)
	if !ok {
		return
	}
	form := formFromRequest(r.PostForm)
	body, problem := form.body()
	status, msg, wildcard := http.StatusBadRequest, problem, ""
	if problem == "" {
		err := v.api.do(r.Context(), "PATCH", "clients/"+url.PathEscape(c.ClientID), body, nil)
		if err == nil {
			http.Redirect(w, r, Path+"applications/"+url.PathEscape(c.ClientID)+"?saved=1", http.StatusSeeOther)
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		status, msg = ae.StatusCode, ae.Message
		if strings.Contains(ae.Message, "wildcard") {
			wildcard = wildcardWarning
		}
	}
	d := h.settingsData(c, form, v)
	d.Wildcard = wildcard
	h.render(w, r, status, "application", &layoutData{Title: c.Name, Nav: "applications", Error: msg, Data: d}, v)
}

func (h *Handler) settingsData(c client, f settingsForm, v *viewer) appSettingsData {
	return appSettingsData{App: c, TypeLabel: appTypeLabel(c.AppType), Form: f, Grants: grantTypes,
		CanWrite: v.Can("update:clients"), ActionPath: Path + "applications/" + url.PathEscape(c.ClientID)}
}

// loadClient reads the application the path names; a missing one is a 404 page.
func (h *Handler) loadClient(w http.ResponseWriter, r *http.Request, v *viewer) (client, bool) {
	var c client
	err := v.api.do(r.Context(), "GET", "clients/"+url.PathEscape(r.PathValue("id")), nil, &c)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return c, false
	}
	return c, true
}

// apiFailed renders a Management API refusal with the API's own message, or a generic page for
// anything else (logged).
func (h *Handler) apiFailed(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	var ae *APIError
	if errors.As(err, &ae) {
		h.render(w, r, ae.StatusCode, "error", &layoutData{Title: http.StatusText(ae.StatusCode), Error: ae.Message}, v)
		return
	}
	h.opts.Logger.ErrorContext(r.Context(), "dashboard: Management API call", "err", err)
	h.render(w, r, http.StatusBadGateway, "error", &layoutData{Title: "Something went wrong",
		Error: "The Management API could not be reached. Try again in a moment."}, v)
}
