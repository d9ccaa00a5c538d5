package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/checklist"
)

func (h *Handler) securityRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"security", h.page(h.securityChecklist))
	mux.Handle("POST "+Path+"security/brute-force", h.page(h.saveBruteForce))
}

// bruteForce is /api/v2/attack-protection/brute-force-protection in Auth0's shape.
type bruteForce struct {
	Enabled     bool     `json:"enabled"`
	Shields     []string `json:"shields"`
	Allowlist   []string `json:"allowlist"`
	Mode        string   `json:"mode"`
	MaxAttempts int      `json:"max_attempts"`
}

// bruteForcePanel is the Security page's brute-force form, as saved or as typed.
type bruteForcePanel struct {
	Enabled       bool
	Block, Notify bool
	MaxAttempts   string
	Allowlist     string
	Mode          string
	CanWrite      bool
	Error         string
}

// loadBruteForce reads the brute-force settings; nil when this node's Management API has no
// attack-protection endpoints (404), so the page leaves the panel out.
func loadBruteForce(ctx context.Context, a *api) (*bruteForce, error) {
	var b bruteForce
	err := a.do(ctx, "GET", "attack-protection/brute-force-protection", nil, &b)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func panelFrom(b *bruteForce, canWrite bool) *bruteForcePanel {
	p := &bruteForcePanel{Enabled: b.Enabled, MaxAttempts: strconv.Itoa(b.MaxAttempts), Mode: b.Mode,
		Allowlist: strings.Join(b.Allowlist, "\n"), CanWrite: canWrite}
	for _, s := range b.Shields {
		p.Block = p.Block || s == "block"
		p.Notify = p.Notify || s == "user_notification"
	}
	return p
}

// bruteForceBody is the PATCH a submitted panel asks for; a count that is not a number is the one
// check made here (JSON cannot carry it), every other rule is the API's.
func bruteForceBody(form url.Values) (map[string]any, *bruteForcePanel, string) {
	p := &bruteForcePanel{Enabled: form.Get("enabled") == "on", Block: form.Get("shield_block") == "on",
		Notify: form.Get("shield_notify") == "on", MaxAttempts: strings.TrimSpace(form.Get("max_attempts")),
		Allowlist: form.Get("allowlist"), CanWrite: true}
	n, err := strconv.Atoi(p.MaxAttempts)
	if err != nil {
		return nil, p, "The number of attempts must be a whole number."
	}
	shields := []string{}
	if p.Block {
		shields = append(shields, "block")
	}
	if p.Notify {
		shields = append(shields, "user_notification")
	}
	return map[string]any{"enabled": p.Enabled, "max_attempts": n, "shields": shields, "allowlist": lines(p.Allowlist)}, p, ""
}

func (h *Handler) saveBruteForce(w http.ResponseWriter, r *http.Request, v *viewer) {
	body, panel, problem := bruteForceBody(r.PostForm)
	status := http.StatusBadRequest
	if problem == "" {
		err := v.api.do(r.Context(), "PATCH", "attack-protection/brute-force-protection", body, nil)
		if err == nil {
			http.Redirect(w, r, Path+"security?saved=1#brute-force", http.StatusSeeOther)
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		status, problem = ae.StatusCode, ae.Message
	}
	panel.Error = problem
	panel.CanWrite = v.Can("update:attack_protection")
	h.securityPage(w, r, v, status, panel)
}

// checkStatus is how a checklist item stands.
type checkStatus = checklist.Status

const (
	checkPass   = checklist.Pass
	checkFail   = checklist.Fail
	checkManual = checklist.Manual
)

// finding is one thing that makes an item fail, with where to fix it.
type finding struct {
	Text, Href string
}

// checkItem is one line of the seed guide's security checklist (internal/checklist), with links
// into the dashboard.
type checkItem struct {
	Title    string // the guide's words
	Why      string
	Status   checkStatus
	Passed   string // what was found when it passes
	Findings []finding
	FixHref  string // where to fix it when it fails and no finding says more
	FixLabel string
}

type securityData struct {
	Items                []checkItem
	Passed, Failed, Info int
	BruteForce           *bruteForcePanel // nil when the API has no attack protection
}

// securityChecklist runs the seed guide's security checklist against the tenant as the API shows
// it; each failing item names what fails and links to where to fix it.
func (h *Handler) securityChecklist(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.securityPage(w, r, v, http.StatusOK, nil)
}

// securityPage renders the checklist and the brute-force panel (typed, when a change was refused).
func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, v *viewer, status int, typed *bruteForcePanel) {
	ctx := r.Context()
	t, err := checklist.Load(ctx, v.api)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	var d securityData
	for _, it := range checklist.RunTenant(t) {
		d.Items = append(d.Items, dashboardItem(it))
	}
	for _, it := range d.Items {
		switch it.Status {
		case checkPass:
			d.Passed++
		case checkFail:
			d.Failed++
		default:
			d.Info++
		}
	}
	d.BruteForce = typed
	if typed == nil {
		bf, err := loadBruteForce(ctx, v.api)
		if err != nil {
			h.apiFailed(w, r, v, err)
			return
		}
		if bf != nil {
			d.BruteForce = panelFrom(bf, v.Can("update:attack_protection"))
		}
	}
	lay := &layoutData{Title: "Security", Nav: "security", Data: d}
	if r.URL.Query().Get("saved") == "1" {
		lay.Flash = "Brute-force protection saved."
	}
	h.render(w, r, status, "security", lay, v)
}

// dashboardItem links a checklist item's findings to the pages that fix them.
func dashboardItem(it checklist.Item) checkItem {
	c := checkItem{Title: it.Title, Why: it.Why, Status: it.Status, Passed: it.Passed}
	for _, f := range it.Findings {
		c.Findings = append(c.Findings, finding{Text: f.Text, Href: subjectHref(f.Subject)})
	}
	switch {
	case strings.HasPrefix(it.FixPage, "/"):
		c.FixHref, c.FixLabel = it.FixPage, "This tenant's JWKS"
	case it.FixPage == "apis/new":
		c.FixHref, c.FixLabel = Path+it.FixPage, "Create an API"
	case it.FixPage == "flows/login":
		c.FixHref, c.FixLabel = Path+it.FixPage, "Open Flows › Login"
	}
	return c
}

// subjectHref is the dashboard page where a finding's object is edited.
func subjectHref(s checklist.Subject) string {
	switch {
	case s.Kind == "client" && s.ID != "":
		return Path + "applications/" + url.PathEscape(s.ID)
	case s.Kind == "api" && s.ID != "":
		return Path + "apis/" + url.PathEscape(s.ID)
	case s.Kind == "api":
		return Path + "apis/new"
	case s.Kind == "flow":
		return Path + "flows/login"
	}
	return ""
}
