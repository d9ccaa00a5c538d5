package admin

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// client is an application as the Management API shows it, with the fields the pages use.
type client struct {
	ClientID                string       `json:"client_id"`
	Name                    string       `json:"name"`
	Description             string       `json:"description,omitempty"`
	AppType                 string       `json:"app_type,omitempty"`
	Callbacks               []string     `json:"callbacks,omitempty"`
	AllowedLogoutURLs       []string     `json:"allowed_logout_urls,omitempty"`
	WebOrigins              []string     `json:"web_origins,omitempty"`
	GrantTypes              []string     `json:"grant_types,omitempty"`
	TokenEndpointAuthMethod string       `json:"token_endpoint_auth_method,omitempty"`
	JWTConfiguration        jwtConfig    `json:"jwt_configuration"`
	RefreshToken            refreshToken `json:"refresh_token"`
	ClientSecret            string       `json:"client_secret,omitempty"`
}

type jwtConfig struct {
	LifetimeInSeconds int `json:"lifetime_in_seconds"`
}

type refreshToken struct {
	RotationType      string `json:"rotation_type"`
	ExpirationType    string `json:"expiration_type"`
	TokenLifetime     int    `json:"token_lifetime"`
	IdleTokenLifetime int    `json:"idle_token_lifetime"`
}

// appType describes one application type on the create page, in the seed guide's words.
type appType struct {
	Value, Label, Help string
}

var appTypes = []appType{
	{"regular_web", "Regular Web Application",
		"Server-side apps: Next.js, Express, Go. Choose this for anything with a server of its own — the secret stays on the server and the session in an httpOnly cookie."},
	{"spa", "Single Page Application",
		"Only for pure SPAs that run entirely in the browser with no backend of their own (React, Vue, Angular). They cannot keep a secret."},
	{"native", "Native",
		"Mobile or desktop apps that run on the user's device (iOS, Android, Electron)."},
	{"non_interactive", "Machine to Machine",
		"Scripts, daemons and back-end services that call an API with no user present (client credentials)."},
}

// appTypeLabel names an app_type for people.
func appTypeLabel(v string) string {
	for _, t := range appTypes {
		if t.Value == v {
			return t.Label
		}
	}
	if v == "" {
		return "Generic"
	}
	return v
}

// grantTypes are the grant types the Advanced > Grant Types panel offers.
var grantTypes = []struct{ Value, Label, Note string }{
	{"authorization_code", "Authorization Code", ""},
	{"refresh_token", "Refresh Token", ""},
	{"client_credentials", "Client Credentials", ""},
	{"implicit", "Implicit", "not secure for most use cases: leave it off"},
	{"password", "Password", "only for trusted first-party apps that cannot redirect"},
}

// listClients returns one page of applications, or, with a search, every application whose
// name or client id contains it (the Management API lists clients without a name filter, so the
// dashboard filters the tenant's list; the walk is bounded).
func listClients(ctx context.Context, a *api, search string, page, perPage int) ([]client, int, error) {
	const fields = "fields=client_id,name,app_type,description,grant_types&include_fields=true"
	if search == "" {
		var out struct {
			Clients []client `json:"clients"`
			Total   int      `json:"total"`
		}
		err := a.do(ctx, "GET", fmt.Sprintf("clients?%s&include_totals=true&page=%d&per_page=%d", fields, page, perPage), nil, &out)
		return out.Clients, out.Total, err
	}
	needle := strings.ToLower(search)
	var found []client
	for p := 0; p < 50; p++ {
		var out struct {
			Clients []client `json:"clients"`
		}
		if err := a.do(ctx, "GET", fmt.Sprintf("clients?%s&include_totals=true&page=%d&per_page=100", fields, p), nil, &out); err != nil {
			return nil, 0, err
		}
		for _, c := range out.Clients {
			if strings.Contains(strings.ToLower(c.Name), needle) || strings.Contains(strings.ToLower(c.ClientID), needle) {
				found = append(found, c)
			}
		}
		if len(out.Clients) < 100 {
			break
		}
	}
	total := len(found)
	start := min(page*perPage, total)
	return found[start:min(start+perPage, total)], total, nil
}

// settingsForm is the Settings tab as typed, kept as text so that a refused form comes back as
// the person left it.
type settingsForm struct {
	Name, Description                  string
	Callbacks, LogoutURLs, WebOrigins  string
	GrantTypes                         []string
	AuthMethod, Rotation, Expiration   string
	TokenLifetime, IdleLifetime, IDTTL string
}

func formFromClient(c client) settingsForm {
	return settingsForm{
		Name: c.Name, Description: c.Description,
		Callbacks: strings.Join(c.Callbacks, "\n"), LogoutURLs: strings.Join(c.AllowedLogoutURLs, "\n"),
		WebOrigins: strings.Join(c.WebOrigins, "\n"), GrantTypes: c.GrantTypes,
		AuthMethod: c.TokenEndpointAuthMethod, Rotation: c.RefreshToken.RotationType, Expiration: c.RefreshToken.ExpirationType,
		TokenLifetime: strconv.Itoa(c.RefreshToken.TokenLifetime), IdleLifetime: strconv.Itoa(c.RefreshToken.IdleTokenLifetime),
		IDTTL: strconv.Itoa(c.JWTConfiguration.LifetimeInSeconds),
	}
}

func formFromRequest(v url.Values) settingsForm {
	return settingsForm{
		Name: v.Get("name"), Description: v.Get("description"),
		Callbacks: v.Get("callbacks"), LogoutURLs: v.Get("allowed_logout_urls"), WebOrigins: v.Get("web_origins"),
		GrantTypes: v["grant_types"], AuthMethod: v.Get("token_endpoint_auth_method"),
		Rotation: v.Get("rotation_type"), Expiration: v.Get("expiration_type"),
		TokenLifetime: v.Get("token_lifetime"), IdleLifetime: v.Get("idle_token_lifetime"), IDTTL: v.Get("id_token_lifetime"),
	}
}

// body is the PATCH the form asks for. Numbers that are not numbers are the one check made here:
// JSON cannot carry them to the API. Every rule is the API's.
func (f settingsForm) body() (map[string]any, string) {
	nums := map[string]int{}
	for _, n := range []struct{ label, value string }{
		{"Refresh token absolute lifetime", f.TokenLifetime}, {"Refresh token idle lifetime", f.IdleLifetime},
		{"ID token expiration", f.IDTTL}} {
		v, err := strconv.Atoi(strings.TrimSpace(n.value))
		if err != nil {
			return nil, n.label + " must be a whole number of seconds."
		}
		nums[n.label] = v
	}
	grants := f.GrantTypes
	if grants == nil {
		grants = []string{}
	}
	return map[string]any{
		"name": strings.TrimSpace(f.Name), "description": f.Description,
		"callbacks": lines(f.Callbacks), "allowed_logout_urls": lines(f.LogoutURLs), "web_origins": lines(f.WebOrigins),
		"grant_types": grants, "token_endpoint_auth_method": f.AuthMethod,
		"refresh_token": map[string]any{"rotation_type": f.Rotation, "expiration_type": f.Expiration,
			"token_lifetime": nums["Refresh token absolute lifetime"], "idle_token_lifetime": nums["Refresh token idle lifetime"]},
		"jwt_configuration": map[string]any{"lifetime_in_seconds": nums["ID token expiration"]},
	}, ""
}

// lines splits a textarea into its non-empty lines, trimmed.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
