package checklist

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Getter reads one Management API path (relative to /api/v2/) into out: the dashboard's own API
// client, or a client-credentials client of a remote tenant.
type Getter interface {
	Get(ctx context.Context, path string, out any) error
}

// Load reads the tenant through the Management API: every application and API (system ones
// left out) and the Login flow's bindings with the code each runs.
func Load(ctx context.Context, g Getter) (Tenant, error) {
	var t Tenant
	clients, err := walk[Client](ctx, g, "clients", "clients")
	if err != nil {
		return t, err
	}
	apis, err := walk[API](ctx, g, "resource-servers", "resource_servers")
	if err != nil {
		return t, err
	}
	for _, c := range clients {
		if !c.IsSystem && !c.Global { // Auth0 lists its "All Applications" global client too
			t.Clients = append(t.Clients, c)
		}
	}
	for _, a := range apis {
		if !a.IsSystem {
			t.APIs = append(t.APIs, a)
		}
	}
	for p := 0; p < 10; p++ {
		var out struct {
			Bindings []struct {
				DisplayName string `json:"display_name"`
				Action      struct {
					Code            string `json:"code"`
					DeployedVersion *struct {
						Code string `json:"code"`
					} `json:"deployed_version"`
				} `json:"action"`
			} `json:"bindings"`
		}
		if err := g.Get(ctx, fmt.Sprintf("actions/triggers/post-login/bindings?page=%d&per_page=50", p), &out); err != nil {
			return t, err
		}
		for _, b := range out.Bindings {
			code := b.Action.Code
			if b.Action.DeployedVersion != nil {
				code = b.Action.DeployedVersion.Code
			}
			t.LoginBindings = append(t.LoginBindings, Binding{DisplayName: b.DisplayName, Code: code})
		}
		if len(out.Bindings) < 50 {
			break
		}
	}
	return t, nil
}

// walk reads every page of a Management API list (at most 50 pages of 100).
func walk[T any](ctx context.Context, g Getter, path, key string) ([]T, error) {
	var all []T
	for p := 0; p < 50; p++ {
		var out map[string]json.RawMessage
		if err := g.Get(ctx, path+"?include_totals=true&per_page=100&page="+strconv.Itoa(p), &out); err != nil {
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

// FetchKeys reads issuer/.well-known/jwks.json as an API would, and lists each key's algorithm
// (from alg, or from kty and crv where a key leaves alg out).
func FetchKeys(ctx context.Context, hc *http.Client, issuer string) Keys {
	u, err := url.Parse(strings.TrimRight(issuer, "/") + "/.well-known/jwks.json")
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return Keys{Err: fmt.Errorf("the issuer %q is not a URL", issuer)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Keys{Err: err}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Keys{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Keys{Err: fmt.Errorf("%s answered %s", u, resp.Status)}
	}
	var set struct {
		Keys []struct {
			Kty, Alg, Crv, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return Keys{Err: fmt.Errorf("%s is not a JWKS: %w", u, err)}
	}
	var k Keys
	for _, key := range set.Keys {
		alg := key.Alg
		switch {
		case alg != "":
		case key.Kty == "RSA":
			alg = "RS256"
		case key.Kty == "EC" && key.Crv == "P-256":
			alg = "ES256"
		default:
			continue
		}
		k.Algs = append(k.Algs, alg)
	}
	if len(k.Algs) == 0 {
		k.Err = fmt.Errorf("%s publishes no key", u)
	}
	return k
}

// ManagementClient is a Getter for a remote tenant, authenticated with client credentials for the
// tenant's Management API (audience https://DOMAIN/api/v2/), as the Deploy CLI and Terraform are.
type ManagementClient struct {
	HTTP  *http.Client
	Base  string // https://DOMAIN/
	Token string
}

// NewManagementClient gets a Management API token with client credentials.
func NewManagementClient(ctx context.Context, hc *http.Client, domainOrURL, clientID, clientSecret string) (*ManagementClient, error) {
	base := domainOrURL
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	base = strings.TrimRight(base, "/") + "/"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {base + "api/v2/"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("token endpoint answered %s", resp.Status)
	}
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		return nil, fmt.Errorf("a Management API token was refused: %s %s", out.Error, out.ErrorDescription)
	}
	return &ManagementClient{HTTP: hc, Base: base, Token: out.AccessToken}, nil
}

// Get implements Getter.
func (m *ManagementClient) Get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.Base+"api/v2/"+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := m.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		return fmt.Errorf("GET /api/v2/%s: %s %s", path, resp.Status, e.Message)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out)
}
