package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
type checkStatus string

const (
	checkPass   checkStatus = "pass"
	checkFail   checkStatus = "fail"
	checkManual checkStatus = "manual" // the guide's item lives in the app, not the tenant
)

// finding is one thing that makes an item fail, with where to fix it.
type finding struct {
	Text, Href string
}

// checkItem is one line of the seed guide's security checklist, run against this tenant.
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

// Tenant objects as the checklist reads them.
type checkedClient struct {
	ClientID                string   `json:"client_id"`
	Name                    string   `json:"name"`
	AppType                 string   `json:"app_type"`
	IsSystem                bool     `json:"is_system"`
	Callbacks               []string `json:"callbacks"`
	AllowedLogoutURLs       []string `json:"allowed_logout_urls"`
	WebOrigins              []string `json:"web_origins"`
	GrantTypes              []string `json:"grant_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	RefreshToken            struct {
		RotationType   string `json:"rotation_type"`
		ExpirationType string `json:"expiration_type"`
		TokenLifetime  int    `json:"token_lifetime"`
	} `json:"refresh_token"`
}

type checkedAPI struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Identifier      string `json:"identifier"`
	IsSystem        bool   `json:"is_system"`
	EnforcePolicies bool   `json:"enforce_policies"`
	TokenDialect    string `json:"token_dialect"`
}

// walkList reads every page of a Management API list (at most 50 pages of 100).
func walkList[T any](ctx context.Context, a *api, path, key string) ([]T, error) {
	var all []T
	for p := 0; p < 50; p++ {
		var out map[string]json.RawMessage
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		if err := a.do(ctx, "GET", path+sep+"include_totals=true&per_page=100&page="+strconv.Itoa(p), nil, &out); err != nil {
			return nil, err
		}
		var items []T
		if err := json.Unmarshal(out[key], &items); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		all = append(all, items...)
		if len(items) < 100 {
			break
		}
	}
	return all, nil
}

// securityChecklist runs the seed guide's security checklist against the tenant as the API shows
// it; each failing item names what fails and links to where to fix it.
func (h *Handler) securityChecklist(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.securityPage(w, r, v, http.StatusOK, nil)
}

// securityPage renders the checklist and the brute-force panel (typed, when a change was refused).
func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, v *viewer, status int, typed *bruteForcePanel) {
	ctx := r.Context()
	clients, err := walkList[checkedClient](ctx, v.api, "clients", "clients")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	apis, err := walkList[checkedAPI](ctx, v.api, "resource-servers", "resource_servers")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	bindings, err := flowBindings(ctx, v.api, "post-login")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	var apps []checkedClient
	for _, c := range clients {
		if !c.IsSystem {
			apps = append(apps, c)
		}
	}
	var ownAPIs []checkedAPI
	for _, a := range apis {
		if !a.IsSystem {
			ownAPIs = append(ownAPIs, a)
		}
	}
	d := securityData{Items: []checkItem{
		checkExactURLs(apps), checkImplicitOff(apps), checkRotation(apps), checkAudience(ownAPIs), checkRBAC(ownAPIs),
		checkRolesInTokens(bindings), checkFrontEndSecrets(apps), checkLogout(apps), checkHTTPS(apps),
		{Title: "Token validation enabled", Why: "Verify tokens server-side with JWKS: your API checks each access token's signature, issuer, audience and expiry.",
			Status: checkManual, FixHref: "/.well-known/jwks.json", FixLabel: "This tenant's JWKS"},
		{Title: "AUTH0_SECRET is secure", Why: "Generated with openssl rand -base64 32, never committed; it seals your app's session cookie.", Status: checkManual},
		{Title: "Session cookie httpOnly", Why: "The SDK sets httpOnly and, over HTTPS, Secure: check them in your browser's developer tools.", Status: checkManual},
	}}
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

func appHref(c checkedClient) string { return Path + "applications/" + url.PathEscape(c.ClientID) }

// result turns findings into a pass or a fail.
func result(it checkItem, fs []finding) checkItem {
	it.Findings = fs
	it.Status = checkPass
	if len(fs) > 0 {
		it.Status = checkFail
	}
	return it
}

func checkExactURLs(apps []checkedClient) checkItem {
	var fs []finding
	for _, c := range apps {
		for _, list := range [][]string{c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins} {
			for _, u := range list {
				if strings.Contains(u, "*") {
					fs = append(fs, finding{Text: fmt.Sprintf("%s allows %s", c.Name, u), Href: appHref(c)})
				}
			}
		}
	}
	return result(checkItem{Title: "Exact callback URLs", Why: "No wildcards, exact match only: " + wildcardWarning,
		Passed: "No application uses a wildcard in its callback, logout or origin URLs."}, fs)
}

func checkImplicitOff(apps []checkedClient) checkItem {
	var fs []finding
	for _, c := range apps {
		for _, g := range c.GrantTypes {
			if g == "implicit" {
				fs = append(fs, finding{Text: c.Name + " has the Implicit grant on", Href: appHref(c)})
			}
		}
	}
	return result(checkItem{Title: "Implicit grant disabled", Why: "Use Authorization Code with PKCE: the implicit grant puts tokens in the URL.",
		Passed: "No application has the Implicit grant."}, fs)
}

func checkRotation(apps []checkedClient) checkItem {
	var fs []finding
	users := 0
	for _, c := range apps {
		uses := false
		for _, g := range c.GrantTypes {
			uses = uses || g == "refresh_token"
		}
		if !uses {
			continue
		}
		users++
		switch {
		case c.RefreshToken.RotationType != "rotating":
			fs = append(fs, finding{Text: c.Name + " issues refresh tokens without rotation", Href: appHref(c)})
		case c.RefreshToken.ExpirationType != "expiring":
			fs = append(fs, finding{Text: c.Name + "'s refresh tokens never expire", Href: appHref(c)})
		case c.RefreshToken.TokenLifetime > 30*24*3600:
			fs = append(fs, finding{Text: fmt.Sprintf("%s's refresh tokens live %d days (the guide asks for 30 or less)", c.Name, c.RefreshToken.TokenLifetime/86400), Href: appHref(c)})
		}
	}
	it := checkItem{Title: "Refresh token rotation enabled", Why: "Prevents token reuse: each refresh token is used once, and a reused one revokes its family.",
		Passed: fmt.Sprintf("The %d application(s) using refresh tokens rotate them and let them expire within 30 days.", users)}
	if users == 0 {
		it.Passed = "No application uses refresh tokens."
	}
	return result(it, fs)
}

func checkAudience(apis []checkedAPI) checkItem {
	it := checkItem{Title: "API audience configured", Why: "Tokens are scoped to your API: register it, and request its identifier as the audience (AUTH0_AUDIENCE).",
		FixHref: Path + "apis/new", FixLabel: "Create an API"}
	if len(apis) == 0 {
		return result(it, []finding{{Text: "No API is registered: access tokens cannot be scoped to yours.", Href: Path + "apis/new"}})
	}
	names := make([]string, len(apis))
	for i, a := range apis {
		names[i] = a.Identifier
	}
	it.Passed = "Registered: " + strings.Join(names, ", ") + "."
	return result(it, nil)
}

func checkRBAC(apis []checkedAPI) checkItem {
	it := checkItem{Title: "An API with RBAC", Why: "Enable RBAC and “Add Permissions in the Access Token”, so your API can check what each user may do."}
	var fs []finding
	for _, a := range apis {
		if a.EnforcePolicies && strings.HasSuffix(a.TokenDialect, "_authz") {
			it.Passed = a.Name + " enforces RBAC and puts permissions in its access tokens."
			return result(it, nil)
		}
		what := "does not enforce RBAC"
		if a.EnforcePolicies {
			what = "enforces RBAC but does not add permissions to its access tokens"
		}
		fs = append(fs, finding{Text: a.Name + " " + what, Href: Path + "apis/" + url.PathEscape(a.ID)})
	}
	if len(apis) == 0 {
		fs = append(fs, finding{Text: "No API is registered.", Href: Path + "apis/new"})
	}
	return result(it, fs)
}

// checkRolesInTokens looks for the guide's Action in the Login flow: a deployed post-login action
// whose code reads event.authorization and sets a custom claim.
func checkRolesInTokens(bindings []binding) checkItem {
	it := checkItem{Title: "Roles in tokens", Why: "A custom Action adds roles to ID and access tokens: roles are not in tokens unless an Action puts them there.",
		FixHref: Path + "flows/login", FixLabel: "Open Flows › Login"}
	for _, b := range bindings {
		code := b.Action.Code
		if b.Action.DeployedVersion != nil {
			code = b.Action.DeployedVersion.Code
		}
		if strings.Contains(code, "event.authorization") && strings.Contains(code, "setCustomClaim") {
			it.Passed = "“" + b.DisplayName + "” in the Login flow adds the user's roles as a custom claim."
			return result(it, nil)
		}
	}
	msg := "No action in the Login flow adds event.authorization.roles to the tokens."
	if len(bindings) == 0 {
		msg = "The Login flow runs no action."
	}
	return result(it, []finding{{Text: msg, Href: Path + "flows/login"}})
}

// checkFrontEndSecrets: an app running in the browser or on a device cannot keep a secret, so it
// must authenticate with none (PKCE).
func checkFrontEndSecrets(apps []checkedClient) checkItem {
	var fs []finding
	for _, c := range apps {
		if (c.AppType == "spa" || c.AppType == "native") && c.TokenEndpointAuthMethod != "none" {
			fs = append(fs, finding{Text: fmt.Sprintf("%s (%s) authenticates with a client secret, which would ship to its users", c.Name, appTypeLabel(c.AppType)), Href: appHref(c)})
		}
	}
	return result(checkItem{Title: "Secrets kept out of front-end apps", Why: "Single Page and Native apps cannot keep a secret: they use PKCE with the authentication method None; secrets stay on servers.",
		Passed: "No Single Page or Native application uses a client secret."}, fs)
}

func checkLogout(apps []checkedClient) checkItem {
	var fs []finding
	for _, c := range apps {
		if len(c.Callbacks) > 0 && len(c.AllowedLogoutURLs) == 0 {
			fs = append(fs, finding{Text: c.Name + " signs users in but has no Allowed Logout URL", Href: appHref(c)})
		}
	}
	return result(checkItem{Title: "Proper logout implemented", Why: "Logout clears both the app's session and this tenant's: the app's returnTo must be an Allowed Logout URL.",
		Passed: "Every application that signs users in has its logout URLs."}, fs)
}

// checkHTTPS: every registered URL uses https, except on the developer's own machine.
func checkHTTPS(apps []checkedClient) checkItem {
	var fs []finding
	for _, c := range apps {
		for _, list := range [][]string{c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins} {
			for _, raw := range list {
				u, err := url.Parse(raw)
				if err != nil || u.Scheme != "http" || loopbackHost(u.Hostname()) {
					continue
				}
				fs = append(fs, finding{Text: fmt.Sprintf("%s allows %s over plain HTTP", c.Name, raw), Href: appHref(c)})
			}
		}
	}
	return result(checkItem{Title: "HTTPS in production", Why: "Required for secure cookies: plain http is for localhost only.",
		Passed: "Every registered URL uses https, or points at localhost."}, fs)
}

func loopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
