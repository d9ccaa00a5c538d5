package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/store/postgres/pgtest"
)

// push sends a pushed authorization request for the dev tenant's web app and returns the answer.
func push(t *testing.T, n *node, form url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.issuer+"oauth/par", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("/oauth/par answered %d %q", res.StatusCode, raw)
	}
	return res.StatusCode, body
}

// TestPushedAuthorizationRequests (RFC 9126) on both engines: a pushed request signs in through
// /authorize once, by its own client, before it expires; bad pushes are JSON errors; a client that
// requires pushing cannot use /authorize plainly.
func TestPushedAuthorizationRequests(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var skew atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			database := filepath.Join(t.TempDir(), "gatehouse.db")
			if engine == "postgres" {
				database = pgtest.SchemaURL(t)
			}
			n := startNodes(t, database, 1, func(o *app.Options) { o.Now = now })[0]
			web := n.tenant.WebApp
			verifier := oauth2.GenerateVerifier()
			request := url.Values{"response_type": {"code"}, "redirect_uri": {devtenant.Callback}, "scope": {"openid profile offline_access"},
				"state": {"pushed-state"}, "nonce": {"n1"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
				"code_challenge_method": {"S256"}, "audience": {devtenant.APIIdentifier}}

			status, body := push(t, n, request, web.ClientID, web.ClientSecret)
			uri, _ := body["request_uri"].(string)
			if status != 201 || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || body["expires_in"] != float64(60) {
				t.Fatalf("push: %d %v", status, body)
			}
			authorize := n.issuer + "authorize?" + url.Values{"client_id": {web.ClientID}, "request_uri": {uri}}.Encode()

			// Another client cannot redeem it (and does not spend it).
			c := browser(t)
			res, _ := get(t, c, n.issuer+"authorize?"+url.Values{"client_id": {n.tenant.M2MApp.ClientID}, "request_uri": {uri}}.Encode())
			if res.StatusCode != 400 {
				t.Fatalf("another client's redemption: %d", res.StatusCode)
			}

			admin := n.tenant.Users[0]
			cb := signIn(t, c, authorize, admin.Email, admin.Password)
			if cb.Query().Get("state") != "pushed-state" || cb.Query().Get("code") == "" {
				t.Fatalf("callback %s", cb)
			}
			cfg := oauth2.Config{ClientID: web.ClientID, ClientSecret: web.ClientSecret, RedirectURL: devtenant.Callback,
				Endpoint: oauth2.Endpoint{TokenURL: n.issuer + "oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
			tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil || tok.Extra("id_token") == nil || tok.RefreshToken == "" {
				t.Fatalf("exchange after a pushed request: %v %v", tok, err)
			}

			// Used once.
			if res, page := get(t, c, authorize); res.StatusCode != 400 || !strings.Contains(page, "request_uri") {
				t.Fatalf("reused request_uri: %d", res.StatusCode)
			}
			// Expired.
			_, body = push(t, n, request, web.ClientID, web.ClientSecret)
			skew.Store(int64(61 * time.Second))
			if res, _ := get(t, browser(t), n.issuer+"authorize?"+url.Values{"client_id": {web.ClientID}, "request_uri": {body["request_uri"].(string)}}.Encode()); res.StatusCode != 400 {
				t.Fatalf("expired request_uri: %d", res.StatusCode)
			}
			skew.Store(0)

			// Bad pushes: JSON errors, nothing stored.
			with := func(k, v string) url.Values {
				f := url.Values{}
				for kk, vv := range request {
					f[kk] = vv
				}
				f.Set(k, v)
				return f
			}
			for _, tc := range []struct {
				name         string
				form         url.Values
				id, secret   string
				status       int
				code, phrase string
			}{
				{"unlisted redirect_uri", with("redirect_uri", "https://evil.example/cb"), web.ClientID, web.ClientSecret, 400, "invalid_request", "redirect_uri"},
				{"wrong secret", request, web.ClientID, "nope", 401, "invalid_client", ""},
				{"no client", request, "", "", 401, "invalid_client", ""},
				{"request_uri pushed", with("request_uri", uri), web.ClientID, web.ClientSecret, 400, "invalid_request", "request_uri"},
				{"bad response_type", with("response_type", "token"), web.ClientID, web.ClientSecret, 400, "unsupported_response_type", ""},
				{"unknown audience", with("audience", "https://nope.example"), web.ClientID, web.ClientSecret, 403, "access_denied", "Service not found"},
				{"malformed dpop_jkt", with("dpop_jkt", "not-a-thumbprint"), web.ClientID, web.ClientSecret, 400, "invalid_request", "dpop_jkt"},
			} {
				status, body := push(t, n, tc.form, tc.id, tc.secret)
				desc, _ := body["error_description"].(string)
				if status != tc.status || body["error"] != tc.code || !strings.Contains(desc, tc.phrase) || body["request_uri"] != nil {
					t.Errorf("%s: %d %v", tc.name, status, body)
				}
			}

			// A client that requires pushed requests: plain /authorize goes back with an error.
			cl, err := n.Store.GetClient(context.Background(), web.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			cl.RequirePushedAuthorizationRequests = true
			if err := n.Store.UpdateClient(context.Background(), cl); err != nil {
				t.Fatal(err)
			}
			plain := n.issuer + "authorize?" + url.Values{"client_id": {web.ClientID}, "response_type": {"code"}, "redirect_uri": {devtenant.Callback},
				"scope": {"openid"}, "state": {"s2"}}.Encode()
			res, _ = get(t, browser(t), plain)
			loc, _ := res.Location()
			if res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("error") != "invalid_request" ||
				!strings.Contains(loc.Query().Get("error_description"), "Pushed Authorization Requests are required") {
				t.Fatalf("plain /authorize for a PAR-only client: %d %v", res.StatusCode, loc)
			}
			_, body = push(t, n, request, web.ClientID, web.ClientSecret)
			pushedURL := n.issuer + "authorize?" + url.Values{"client_id": {web.ClientID}, "request_uri": {body["request_uri"].(string)}}.Encode()
			if cb := signIn(t, browser(t), pushedURL, admin.Email, admin.Password); cb.Query().Get("code") == "" {
				t.Fatalf("pushed request for a PAR-only client: %s", cb)
			}
		})
	}
}
