package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/app"
)

// fakeGitHub is a GitHub-shaped OAuth 2.0 provider on 127.0.0.1: an authorize page with an
// "Authorize" button, a token endpoint that checks the client secret and the PKCE verifier, and
// /user.
func fakeGitHub(t *testing.T) *httptest.Server {
	var mu sync.Mutex
	challenges := map[string]string{}
	page := template.Must(template.New("").Parse(`<!doctype html><html><head><title>Authorize application</title>
<style>body{font-family:sans-serif;background:#f6f8fa;display:flex;justify-content:center;padding-top:4rem}
main{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:2rem;width:22rem;text-align:center}
a{display:block;background:#2da44e;color:#fff;padding:.7rem;border-radius:6px;text-decoration:none;font-weight:600}</style></head>
<body><main><h1>Authorize Gatehouse</h1><p>Gatehouse would like to read your profile.</p>
<a id="authorize" href="{{.}}">Authorize</a></main></body></html>`))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := "code-" + q.Get("code_challenge")[:12]
		mu.Lock()
		challenges[code] = q.Get("code_challenge")
		mu.Unlock()
		_ = page.Execute(w, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")))
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		challenge := challenges[r.PostFormValue("code")]
		delete(challenges, r.PostFormValue("code"))
		mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		if r.PostFormValue("client_secret") != "gh-secret" || challenge == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			_, _ = w.Write([]byte("error=bad_verification_code"))
			return
		}
		_, _ = w.Write([]byte("access_token=gho_e2e&token_type=bearer"))
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_e2e" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat",
			"email": "octocat@example.com", "avatar_url": "https://avatars.example/octocat.png"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestContinueWithGitHub clicks "Continue with GitHub" on the hosted login page, authorizes at the
// GitHub-shaped provider and lands signed in at the seed app as github|583231.
func TestContinueWithGitHub(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	gh := fakeGitHub(t)
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)

	cc := clientcredentials.Config{ClientID: g.Tenant.ManagementAPI.ClientID, ClientSecret: g.Tenant.ManagementAPI.ClientSecret,
		TokenURL: g.Issuer + "oauth/token", EndpointParams: url.Values{"audience": {g.Tenant.ManagementAPI.Audience}}}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, g.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "github", "strategy": "github", "enabled_clients": []string{g.Tenant.WebApp.ClientID},
		"options": map[string]any{"client_id": "gh-id", "client_secret": "gh-secret", "authorizationURL": gh.URL + "/login/oauth/authorize",
			"tokenURL": gh.URL + "/login/oauth/access_token", "profileURL": gh.URL + "/user"}})
	req, _ := http.NewRequestWithContext(ctx, "POST", g.Issuer+"api/v2/connections", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.HTTP.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create the github connection: %v %v", resp, err)
	}
	resp.Body.Close()

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	if got := b.text("main"); !strings.Contains(got, "Continue with GitHub") {
		t.Fatalf("login page without the button: %q", got)
	}
	b.screenshot(shots, "login-with-github")

	b.step("click Continue with GitHub", chromedp.Click(chromedp.CSS(`button[data-connection="github"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#authorize`)))
	if loc := b.location(); !strings.HasPrefix(loc, gh.URL+"/login/oauth/authorize?") {
		t.Fatalf("after the button the browser is at %s", loc)
	}
	b.screenshot(shots, "github-authorize")
	b.step("authorize", chromedp.Click(chromedp.CSS(`#authorize`)))
	waitFor := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(b.location(), seed.Web+"/dashboard") {
		if time.Now().After(waitFor) {
			t.Fatalf("after authorizing the browser is at %s", b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.step("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(`main`)))
	if got := b.text("main"); !strings.Contains(got, "octocat") && !strings.Contains(got, "Octocat") {
		t.Errorf("the seed app does not show the GitHub user: %q", got)
	}
	b.screenshot(shots, "signed-in-with-github")
	if _, err := g.App.Store.GetUser(ctx, "github|583231"); err != nil {
		t.Fatalf("no github|583231 user: %v", err)
	}
}
