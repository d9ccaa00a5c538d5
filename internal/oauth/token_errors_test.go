package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
)

type tokenCall struct {
	body        string
	contentType string // default form
	basicID     string
	basicSecret string
	rawAuth     string
	origin      string
	userAgent   string
	dpop        string // a DPoP proof header
}

type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func (e *env) call(tb testing.TB, path string, c tokenCall) tokenAnswer {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url(path), strings.NewReader(c.body))
	ct := c.contentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if c.basicID != "" {
		req.Header.Set("Authorization", basicHeader(c.basicID, c.basicSecret))
	}
	if c.rawAuth != "" {
		req.Header.Set("Authorization", c.rawAuth)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.dpop != "" {
		req.Header.Set("DPoP", c.dpop)
	}
	res, err := e.Server.Client().Do(req)
	must(tb, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := tokenAnswer{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			tb.Fatalf("%s answered non-JSON %q", path, raw)
		}
	}
	return a
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// TestTokenEndpointErrors: every client-credentials and parsing error has the status, code and
// description of the spec (§1.3 and the Gatehouse decisions) and is not cacheable.
func TestTokenEndpointErrors(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		cc := func(kv ...string) string { return form(append([]string{"grant_type", "client_credentials"}, kv...)...) }
		for _, tc := range []struct {
			name       string
			call       tokenCall
			status     int
			code, desc string
			basicChal  bool
		}{
			{"missing grant_type", tokenCall{body: form("client_id", m2mID, "client_secret", m2mSecret)}, 400, "invalid_request", "Missing required parameter: grant_type", false},
			{"unknown grant", tokenCall{body: form("grant_type", "urn:example:nope", "client_id", m2mID)}, 400, "unsupported_grant_type", "Unsupported grant type: urn:example:nope", false},
			{"wrong secret, post", tokenCall{body: cc("client_id", m2mID, "client_secret", "wrong", "audience", apiID)}, 401, "invalid_client", "Unauthorized", false},
			{"unknown client, post", tokenCall{body: cc("client_id", "nobody", "client_secret", m2mSecret, "audience", apiID)}, 401, "invalid_client", "Unauthorized", false},
			{"no credentials", tokenCall{body: cc("audience", apiID)}, 401, "invalid_client", "Unauthorized", false},
			{"confidential client without secret", tokenCall{body: cc("client_id", m2mID, "audience", apiID)}, 401, "invalid_client", "Unauthorized", false},
			{"wrong secret, basic", tokenCall{body: cc("audience", apiID), basicID: m2mID, basicSecret: "wrong"}, 401, "invalid_client", "Unauthorized", true},
			{"unknown client, basic", tokenCall{body: cc("audience", apiID), basicID: "nobody", basicSecret: "x"}, 401, "invalid_client", "Unauthorized", true},
			{"malformed basic", tokenCall{body: cc("audience", apiID), rawAuth: "Basic !!!"}, 401, "invalid_client", "Unauthorized", true},
			{"basic and post together", tokenCall{body: cc("client_secret", m2mSecret, "audience", apiID), basicID: m2mID, basicSecret: m2mSecret}, 400, "invalid_request", "Multiple client authentication methods were used; use only one", false},
			{"repeated parameter", tokenCall{body: cc("client_id", m2mID, "client_secret", m2mSecret, "audience", apiID, "audience", apiID)}, 400, "invalid_request", "Parameter audience is included more than once", false},
			{"repeated key in JSON", tokenCall{contentType: "application/json", body: `{"grant_type":"client_credentials","grant_type":"client_credentials"}`}, 400, "invalid_request", "Parameter grant_type is included more than once", false},
			{"malformed JSON", tokenCall{contentType: "application/json", body: `{"grant_type":`}, 400, "invalid_request", "Malformed JSON body", false},
			{"unsupported content type", tokenCall{contentType: "text/plain", body: "grant_type=client_credentials"}, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded or application/json", false},
			{"missing audience", tokenCall{body: cc("client_id", m2mID, "client_secret", m2mSecret)}, 400, "invalid_request", "Missing required parameter: audience", false},
			{"unknown audience", tokenCall{body: cc("client_id", m2mID, "client_secret", m2mSecret, "audience", "https://nope.example.test")}, 403, "access_denied", "Service not enabled within domain: https://nope.example.test", false},
			{"no client grant", tokenCall{body: cc("client_id", noGrantID, "client_secret", m2mSecret, "audience", apiID)}, 403, "access_denied",
				`Client "` + noGrantID + `" is not authorized to access resource server "` + apiID + `". You need to create a "client-grant" associated to this API.`, false},
			{"grant type not allowed", tokenCall{body: cc("client_id", nonCCID, "client_secret", m2mSecret, "audience", apiID)}, 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.", false},
			{"public client", tokenCall{body: cc("client_id", spaID, "audience", apiID)}, 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.", false},
			{"scope outside the grant", tokenCall{body: cc("client_id", m2mID, "client_secret", m2mSecret, "audience", apiID, "scope", "read:a admin:a other")}, 403, "access_denied", "Client has not been granted scopes: admin:a other", false},
			// Basic credentials are URL-decoded (RFC 6749 §2.3.1): a secret with reserved characters
			// authenticates, and the request then fails on the missing client grant, not on the secret.
			{"basic with URL-encoded secret", tokenCall{body: cc("audience", apiID), basicID: webID, basicSecret: webSecret}, 403, "access_denied",
				`Client "` + webID + `" is not authorized to access resource server "` + apiID + `". You need to create a "client-grant" associated to this API.`, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.call(t, "oauth/token", tc.call)
				if a.status != tc.status || a.body["error"] != tc.code || a.body["error_description"] != tc.desc {
					t.Errorf("got %d %s", a.status, a.raw)
				}
				if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Pragma") != "no-cache" {
					t.Errorf("cache headers %v", a.header)
				}
				if chal := a.header.Get("WWW-Authenticate"); tc.basicChal != strings.HasPrefix(chal, "Basic realm=") {
					t.Errorf("WWW-Authenticate %q", chal)
				}
			})
		}
	})
}

func TestClientCredentialsSuccess(t *testing.T) {
	e := MustEnv(t, envOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		call      tokenCall
		scope     string
		audience  string
		perms     []string
		withPerms bool
	}{
		{"all granted scopes when none asked", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)}, "read:a write:a", apiID, nil, false},
		{"JSON body, basic auth, unknown parameters ignored", tokenCall{contentType: "application/json; charset=utf-8", basicID: m2mID, basicSecret: m2mSecret,
			body: `{"grant_type":"client_credentials","audience":"` + apiID + `","scope":"write:a","extra":{"x":[1,2]},"n":5,"z":null}`}, "write:a", apiID, nil, false},
		{"RBAC API: grant scopes are the permissions", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", rbacAPIID)}, "read:own_data", rbacAPIID, []string{"read:own_data"}, true},
		{"Management API", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", e.Issuer+"api/v2/")}, "read:users read:clients", e.Issuer + "api/v2/", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "oauth/token", tc.call)
			if a.status != 200 || a.body["token_type"] != "Bearer" || a.body["expires_in"] != float64(86400) || a.body["scope"] != tc.scope {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Pragma") != "no-cache" {
				t.Errorf("cache headers %v", a.header)
			}
			c, err := e.Tokens.Verify(ctx, a.body["access_token"].(string), tc.audience)
			if err != nil {
				t.Fatal(err)
			}
			if c.Scope != tc.scope || c.GTY != "client-credentials" || c.AZP != m2mID || c.Subject != m2mID+"@clients" {
				t.Errorf("claims %+v", c)
			}
			if tc.withPerms && strings.Join(c.Permissions, " ") != strings.Join(tc.perms, " ") {
				t.Errorf("permissions %v", c.Permissions)
			}
		})
	}
	e.Handler.Flush(ctx)
	logs, _, err := e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeClientCredentials}, store.Page{})
	must(t, err)
	if len(logs) != 4 || logs[0].ClientID != m2mID {
		t.Fatalf("%d seccft events", len(logs))
	}
	e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", "bad", "audience", apiID)})
	e.Handler.Flush(ctx)
	logs, _, err = e.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeClientCredentialsFail}, store.Page{})
	must(t, err)
	if len(logs) != 1 || logs[0].Description != "Unauthorized" {
		t.Fatalf("feccft events: %+v", logs)
	}
}

func TestTenantDefaultAudience(t *testing.T) {
	e := MustEnv(t, envOptions{})
	ctx := context.Background()
	ts, err := e.Store.GetTenantSettings(ctx)
	must(t, err)
	ts.DefaultAudience = apiID
	must(t, e.Store.PutTenantSettings(ctx, ts))
	a := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret)})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if _, err := e.Tokens.Verify(ctx, a.body["access_token"].(string), apiID); err != nil {
		t.Fatal(err)
	}
}

func TestCORS(t *testing.T) {
	e := MustEnv(t, envOptions{})
	req, _ := http.NewRequest(http.MethodOptions, e.url("oauth/token"), nil)
	req.Header.Set("Origin", spaOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	res, err := e.Server.Client().Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != spaOrigin || !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight %d %v", res.StatusCode, res.Header)
	}
	if res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("credentials allowed")
	}
	// The actual response names the origin only when the client registered it.
	body := form("grant_type", "refresh_token", "client_id", spaID, "refresh_token", "unknown")
	a := e.call(t, "oauth/token", tokenCall{body: body, origin: spaOrigin})
	if a.header.Get("Access-Control-Allow-Origin") != spaOrigin {
		t.Errorf("registered origin not allowed: %v", a.header)
	}
	a = e.call(t, "oauth/token", tokenCall{body: body, origin: "https://evil.example.test"})
	if a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", a.header)
	}
	// /oauth/par follows the same rule, and a page may read the DPoP nonce header.
	par := form("client_id", spaID, "response_type", "code", "redirect_uri", spaOrigin+"/callback")
	a = e.call(t, "oauth/par", tokenCall{body: par, origin: spaOrigin})
	if a.header.Get("Access-Control-Allow-Origin") != spaOrigin || !strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "DPoP-Nonce") {
		t.Errorf("/oauth/par from the client's origin: %v", a.header)
	}
	a = e.call(t, "oauth/par", tokenCall{body: par, origin: "https://evil.example.test"})
	if a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Access-Control-Expose-Headers") != "" {
		t.Errorf("/oauth/par from a foreign origin: %v", a.header)
	}
}
