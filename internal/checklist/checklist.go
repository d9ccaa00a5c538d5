// Package checklist runs the seed guide's security checklist ("Auth0 Security Checklist") against a
// tenant, and, given an app's .env.local, against the app's side of it. The dashboard's Security page
// and `gatehouse doctor` both show these items, so a rule is written once, here.
//
// The tenant is read in Auth0's Management API shapes (Tenant), from a Management API (Load) or
// from the store of a local node (LoadStore), so the same checks judge a Gatehouse tenant, a remote
// one, or an Auth0 tenant.
package checklist

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Status is how an item stands.
type Status string

const (
	Pass   Status = "pass"
	Fail   Status = "fail"
	Manual Status = "manual" // the guide's item lives where this check cannot see it
)

// Subject is the object a finding is about, so that each front end can say where to fix it.
type Subject struct {
	Kind string // "client", "api", "flow", "tenant", "env"
	ID   string // client_id, resource server id, trigger id, or the .env.local variable
	Name string
}

// Finding is one thing that makes an item fail.
type Finding struct {
	Text    string
	Subject Subject
}

// Item is one line of the checklist.
type Item struct {
	ID       string // stable, for --json and tests: "exact-callback-urls", …
	Title    string // the guide's words
	Why      string
	Status   Status
	Passed   string // what was found when it passes
	Findings []Finding
	// Fix says what to do when the item fails: a command, a setting, or the dashboard page
	// (FixPage, relative to the dashboard's root).
	Fix     string
	FixPage string
}

// Client is an application as the checklist reads it (GET /api/v2/clients).
type Client struct {
	ClientID                string   `json:"client_id"`
	Name                    string   `json:"name"`
	AppType                 string   `json:"app_type"`
	IsSystem                bool     `json:"is_system"`
	Global                  bool     `json:"global"`
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

// API is a resource server as the checklist reads it (GET /api/v2/resource-servers).
type API struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Identifier      string `json:"identifier"`
	IsSystem        bool   `json:"is_system"`
	EnforcePolicies bool   `json:"enforce_policies"`
	TokenDialect    string `json:"token_dialect"`
	SigningAlg      string `json:"signing_alg"`
}

// Binding is an action bound to the Login flow, with the code that runs (the deployed version's).
type Binding struct {
	DisplayName string
	Code        string
}

// Tenant is what the tenant checks read. Clients and APIs exclude the system ones (the
// Management API and the clients Gatehouse itself relies on).
type Tenant struct {
	Clients       []Client
	APIs          []API
	LoginBindings []Binding
}

// Counts says how many items passed, failed and are left to a person.
func Counts(items []Item) (passed, failed, manual int) {
	for _, it := range items {
		switch it.Status {
		case Pass:
			passed++
		case Fail:
			failed++
		default:
			manual++
		}
	}
	return
}

// WildcardWarning is the guide's warning against wildcards in callback URLs, word for word.
const WildcardWarning = "Never use wildcard (*) in callback URLs. Attackers can redirect tokens to their own domains. Use exact URLs only."

// RunTenant runs the checklist's tenant side, in the guide's order. The items the tenant cannot
// show (the app's secret and cookies) are Manual here; RunApp judges them from an app's settings.
func RunTenant(t Tenant) []Item {
	return []Item{
		exactURLs(t.Clients), implicitOff(t.Clients), pkce(t.Clients), rotation(t.Clients),
		audience(t.APIs), rbac(t.APIs), rolesInTokens(t.LoginBindings), frontEndSecrets(t.Clients),
		logout(t.Clients), https(t.Clients),
		{ID: "token-validation", Title: "Token validation enabled", Why: "Verify tokens server-side with JWKS: your API checks each access token's signature, issuer, audience and expiry.",
			Status: Manual, Fix: "Validate access tokens in your API against this tenant's JWKS (express-oauth2-jwt-bearer, or sdk/apiauth in Go).", FixPage: "/.well-known/jwks.json"},
		{ID: "secret", Title: "AUTH0_SECRET is secure", Why: "Generated with openssl rand -base64 32, never committed; it seals your app's session cookie.", Status: Manual,
			Fix: "Run `gatehouse doctor --env-file .env.local` to check it."},
		{ID: "cookie-httponly", Title: "Session cookie httpOnly", Why: "The SDK sets httpOnly and, over HTTPS, Secure: check them in your browser's developer tools.", Status: Manual,
			Fix: "Run `gatehouse verify --app URL` against the running app to check its cookie."},
	}
}

// result turns findings into a pass or a fail.
func result(it Item, fs []Finding) Item {
	it.Findings = fs
	it.Status = Pass
	if len(fs) > 0 {
		it.Status = Fail
	}
	return it
}

func clientSubject(c Client) Subject { return Subject{Kind: "client", ID: c.ClientID, Name: c.Name} }

func appPage(c Client) string { return "applications/" + url.PathEscape(c.ClientID) }

func exactURLs(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		for _, list := range [][]string{c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins} {
			for _, u := range list {
				if strings.Contains(u, "*") {
					fs = append(fs, Finding{Text: fmt.Sprintf("%s allows %s", c.Name, u), Subject: clientSubject(c)})
				}
			}
		}
	}
	return result(Item{ID: "exact-callback-urls", Title: "Exact callback URLs", Why: "No wildcards, exact match only: " + WildcardWarning,
		Passed: "No application uses a wildcard in its callback, logout or origin URLs.",
		Fix:    "List each callback URL in full (for the guide's app: http://localhost:3000/api/auth/callback and your production URL)."}, fs)
}

func implicitOff(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		if has(c.GrantTypes, "implicit") {
			fs = append(fs, Finding{Text: c.Name + " has the Implicit grant on", Subject: clientSubject(c)})
		}
	}
	return result(Item{ID: "implicit-off", Title: "Implicit grant disabled", Why: "Use Authorization Code with PKCE: the implicit grant puts tokens in the URL.",
		Passed: "No application has the Implicit grant.", Fix: "Turn off the Implicit grant in the application's Advanced Settings › Grant Types."}, fs)
}

// pkce: an application that signs users in must use the authorization code grant; a public one
// must use it without a secret, which the server then holds to PKCE (S256).
func pkce(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		if len(c.Callbacks) > 0 && !has(c.GrantTypes, "authorization_code") {
			fs = append(fs, Finding{Text: c.Name + " has callback URLs but not the Authorization Code grant", Subject: clientSubject(c)})
		}
	}
	return result(Item{ID: "pkce", Title: "Authorization Code with PKCE", Why: "Use Authorization Code with PKCE: the code is bound to the app that asked for it, so a stolen code is useless.",
		Passed: "Every application that signs users in uses the Authorization Code grant; PKCE (S256) is required of every public one.",
		Fix:    "Turn on the Authorization Code grant and use an SDK that sends PKCE (nextjs-auth0, auth0-spa-js, sdk/webauth)."}, fs)
}

func rotation(apps []Client) Item {
	var fs []Finding
	users := 0
	for _, c := range apps {
		if !has(c.GrantTypes, "refresh_token") {
			continue
		}
		users++
		switch {
		case c.RefreshToken.RotationType != "rotating":
			fs = append(fs, Finding{Text: c.Name + " issues refresh tokens without rotation", Subject: clientSubject(c)})
		case c.RefreshToken.ExpirationType != "expiring":
			fs = append(fs, Finding{Text: c.Name + "'s refresh tokens never expire", Subject: clientSubject(c)})
		case c.RefreshToken.TokenLifetime > 30*24*3600:
			fs = append(fs, Finding{Text: fmt.Sprintf("%s's refresh tokens live %d days (the guide asks for 30 or less)", c.Name, c.RefreshToken.TokenLifetime/86400), Subject: clientSubject(c)})
		}
	}
	it := Item{ID: "refresh-rotation", Title: "Refresh token rotation enabled", Why: "Prevents token reuse: each refresh token is used once, and a reused one revokes its family.",
		Passed: fmt.Sprintf("The %d application(s) using refresh tokens rotate them and let them expire within 30 days.", users),
		Fix:    "In the application's Refresh Token Rotation settings: rotation on, absolute expiration of 30 days (2592000 seconds) or less."}
	if users == 0 {
		it.Passed = "No application uses refresh tokens."
	}
	return result(it, fs)
}

func audience(apis []API) Item {
	it := Item{ID: "api-audience", Title: "API audience configured", Why: "Tokens are scoped to your API: register it, and request its identifier as the audience (AUTH0_AUDIENCE).",
		Fix: "Register your API (Applications › APIs › Create API) and set AUTH0_AUDIENCE to its identifier.", FixPage: "apis/new"}
	if len(apis) == 0 {
		return result(it, []Finding{{Text: "No API is registered: access tokens cannot be scoped to yours.", Subject: Subject{Kind: "api"}}})
	}
	names := make([]string, len(apis))
	for i, a := range apis {
		names[i] = a.Identifier
	}
	it.Passed = "Registered: " + strings.Join(names, ", ") + "."
	return result(it, nil)
}

func rbac(apis []API) Item {
	it := Item{ID: "rbac", Title: "An API with RBAC", Why: "Enable RBAC and “Add Permissions in the Access Token”, so your API can check what each user may do.",
		Fix: "In the API's settings, turn on Enable RBAC and Add Permissions in the Access Token."}
	var fs []Finding
	for _, a := range apis {
		if a.EnforcePolicies && strings.HasSuffix(a.TokenDialect, "_authz") {
			it.Passed = a.Name + " enforces RBAC and puts permissions in its access tokens."
			return result(it, nil)
		}
		what := "does not enforce RBAC"
		if a.EnforcePolicies {
			what = "enforces RBAC but does not add permissions to its access tokens"
		}
		fs = append(fs, Finding{Text: a.Name + " " + what, Subject: Subject{Kind: "api", ID: a.ID, Name: a.Name}})
	}
	if len(apis) == 0 {
		fs = append(fs, Finding{Text: "No API is registered.", Subject: Subject{Kind: "api"}})
	}
	return result(it, fs)
}

// rolesInTokens looks for the guide's Action in the Login flow: a deployed post-login action whose
// code reads event.authorization and sets a custom claim.
func rolesInTokens(bindings []Binding) Item {
	it := Item{ID: "roles-in-tokens", Title: "Roles in tokens", Why: "A custom Action adds roles to ID and access tokens: roles are not in tokens unless an Action puts them there.",
		Fix: "Add the guide's post-login Action (Actions › Library › Build Custom) and drag it into the Login flow.", FixPage: "flows/login"}
	for _, b := range bindings {
		if strings.Contains(b.Code, "event.authorization") && strings.Contains(b.Code, "setCustomClaim") {
			it.Passed = "“" + b.DisplayName + "” in the Login flow adds the user's roles as a custom claim."
			return result(it, nil)
		}
	}
	msg := "No action in the Login flow adds event.authorization.roles to the tokens."
	if len(bindings) == 0 {
		msg = "The Login flow runs no action."
	}
	return result(it, []Finding{{Text: msg, Subject: Subject{Kind: "flow", ID: "post-login"}}})
}

// frontEndSecrets: an app running in the browser or on a device cannot keep a secret, so it must
// authenticate with none (PKCE).
func frontEndSecrets(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		if (c.AppType == "spa" || c.AppType == "native") && c.TokenEndpointAuthMethod != "none" {
			fs = append(fs, Finding{Text: fmt.Sprintf("%s (%s) authenticates with a client secret, which would ship to its users", c.Name, AppTypeLabel(c.AppType)), Subject: clientSubject(c)})
		}
	}
	return result(Item{ID: "front-end-secrets", Title: "Secrets kept out of front-end apps", Why: "Single Page and Native apps cannot keep a secret: they use PKCE with the authentication method None; secrets stay on servers.",
		Passed: "No Single Page or Native application uses a client secret.", Fix: "Set the application's Token Endpoint Authentication Method to None."}, fs)
}

func logout(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		if len(c.Callbacks) > 0 && len(c.AllowedLogoutURLs) == 0 {
			fs = append(fs, Finding{Text: c.Name + " signs users in but has no Allowed Logout URL", Subject: clientSubject(c)})
		}
	}
	return result(Item{ID: "logout-urls", Title: "Proper logout implemented", Why: "Logout clears both the app's session and this tenant's: the app's returnTo must be an Allowed Logout URL.",
		Passed: "Every application that signs users in has its logout URLs.", Fix: "List the app's base URL (e.g. http://localhost:3000) in Allowed Logout URLs."}, fs)
}

// https: every registered URL uses https, except on the developer's own machine.
func https(apps []Client) Item {
	var fs []Finding
	for _, c := range apps {
		for _, list := range [][]string{c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins} {
			for _, raw := range list {
				if plainHTTPOffLoopback(raw) {
					fs = append(fs, Finding{Text: fmt.Sprintf("%s allows %s over plain HTTP", c.Name, raw), Subject: clientSubject(c)})
				}
			}
		}
	}
	return result(Item{ID: "https", Title: "HTTPS in production", Why: "Required for secure cookies: plain http is for localhost only.",
		Passed: "Every registered URL uses https, or points at localhost.", Fix: "Use https:// for every URL that is not on localhost."}, fs)
}

// plainHTTPOffLoopback: raw is an http:// URL whose host is not the developer's own machine.
func plainHTTPOffLoopback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && !LoopbackHost(u.Hostname())
}

// LoopbackHost says whether h names the developer's own machine.
func LoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// AppTypeLabel is the dashboard's name for an application type.
func AppTypeLabel(t string) string {
	switch t {
	case "regular_web":
		return "Regular Web Application"
	case "spa":
		return "Single Page Application"
	case "native":
		return "Native"
	case "non_interactive":
		return "Machine to Machine"
	}
	return t
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
