package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/devtenant"
)

const idvSecret = "identity-verification-shared-secret"

// redirectAction is Auth0's "Redirect with Actions" pattern: send the user to a verification site
// with a signed session token, and at /continue take the site's signed answer into the ID token.
const redirectAction = `
exports.onExecutePostLogin = async (event, api) => {
  if (!api.redirect.canRedirect()) return;
  const token = api.redirect.encodeToken({
    secret: event.secrets.IDV_SECRET, expiresInSeconds: 300,
    payload: {email: event.user.email},
  });
  api.redirect.sendUserTo(event.secrets.IDV_URL, {query: {session_token: token}});
};
exports.onContinuePostLogin = async (event, api) => {
  const answer = api.redirect.validateToken({secret: event.secrets.IDV_SECRET, tokenParameterName: 'idv_token'});
  api.idToken.setCustomClaim('https://yourapp.com/identity', answer.identity);
  api.idToken.setCustomClaim('https://yourapp.com/continued_with', event.request.body.idv_token ? 'POST body' : 'query');
};`

var idvPage = template.Must(template.New("idv").Parse(`<!doctype html><html><head><title>Verify your identity</title>
<style>body{font-family:sans-serif;margin:3em;max-width:40em} button{font-size:1.2em;padding:.5em 1em}</style></head>
<body><h1>Verify your identity</h1>
<p>Signed in at Gatehouse as <strong id="email">{{.Email}}</strong> ({{.Sub}}).</p>
<p>The session token from the Action checked out: issuer {{.Iss}}, expires {{.Exp}}.</p>
<form method="post" action="{{.Continue}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="idv_token" value="{{.Answer}}">
<button id="confirm" type="submit">I am who I say I am</button>
</form></body></html>`))

// verificationSite is the site the Action redirects to, served by the test on 127.0.0.1 (another
// site than https://localhost, so its POST back to /continue is cross-site, as in production).
type verificationSite struct {
	URL  string
	mu   sync.Mutex
	seen jwt.MapClaims
}

func startVerificationSite(t *testing.T, issuer string) *verificationSite {
	t.Helper()
	s := &verificationSite{}
	ln := mustListen(t)
	s.URL = "http://127.0.0.1:" + port(ln) + "/verify"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		state := r.URL.Query().Get("state")
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(r.URL.Query().Get("session_token"), claims,
			func(*jwt.Token) (any, error) { return []byte(idvSecret), nil }, jwt.WithValidMethods([]string{"HS256"}))
		if err != nil || claims["state"] != state {
			http.Error(w, fmt.Sprintf("bad session token: %v", err), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.seen = claims
		s.mu.Unlock()
		ans, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"state": state, "sub": claims["sub"], "identity": "passport checked", "exp": time.Now().Add(time.Minute).Unix(),
		}).SignedString([]byte(idvSecret))
		exp, _ := claims.GetExpirationTime()
		_ = idvPage.Execute(w, map[string]any{"Email": claims["email"], "Sub": claims["sub"], "Iss": claims["iss"],
			"Exp": exp.UTC().Format(time.RFC3339), "Continue": issuer + "continue", "State": state, "Answer": ans})
	})
	serve(t, mux, ln)
	return s
}

// TestRedirectActionRoundTrip: sign in at the seed app, an Action sends the browser to a
// verification site with encodeToken's token, the site posts its own token back to /continue,
// onContinuePostLogin validates it and sets a claim, the guide's Action runs after it, and the
// app's session (built from the ID token) carries both.
func TestRedirectActionRoundTrip(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	site := MustStartSeedApp(t, ctx, g)
	idv := startVerificationSite(t, g.Issuer)

	token := mustClientCredentials(t, ctx, g, g.Tenant.ManagementAPI.ClientID, g.Tenant.ManagementAPI.ClientSecret, g.Tenant.ManagementAPI.Audience)
	call := func(method, path string, body any, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, g.Issuer+"api/v2"+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := g.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
	}
	var created struct {
		ID string `json:"id"`
	}
	call("POST", "/actions/actions", map[string]any{"name": "Verify identity", "code": redirectAction,
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}},
		"secrets":            []map[string]string{{"name": "IDV_SECRET", "value": idvSecret}, {"name": "IDV_URL", "value": idv.URL}}}, &created)
	call("POST", "/actions/actions/"+created.ID+"/deploy", nil, nil)
	call("PATCH", "/actions/triggers/post-login/bindings", map[string]any{"bindings": []map[string]any{
		{"ref": map[string]string{"type": "action_id", "value": created.ID}, "display_name": "Verify identity"},
		{"ref": map[string]string{"type": "action_name", "value": devtenant.ActionName}, "display_name": devtenant.ActionName}}}, nil)

	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")
	b.navigate(site.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	b.waitFor("the verification site", fmt.Sprintf(`location.href.startsWith(%q) && !!document.querySelector('#confirm')`, idv.URL))
	if got := b.text("#email"); got != admin.Email {
		t.Fatalf("the verification page shows %q", got)
	}
	b.screenshot(shots, "redirect-action-verification-site")
	idv.mu.Lock()
	seen := idv.seen
	idv.mu.Unlock()
	issuer, _ := url.Parse(g.Issuer)
	if seen["iss"] != issuer.Host || seen["email"] != admin.Email {
		t.Errorf("session token the site received: %v", seen)
	}

	b.step("confirm on the verification site", chromedp.Click(chromedp.CSS("#confirm")))
	b.waitFor("back at the app", fmt.Sprintf(`location.href === %q`, site.Web+"/dashboard"))
	b.screenshot(shots, "redirect-action-back-at-app")
	r := b.fetchJSON("/api/auth/me")
	var me map[string]any
	if r.Status != 200 || json.Unmarshal(r.Body, &me) != nil {
		t.Fatalf("/api/auth/me: %d %s", r.Status, r.Body)
	}
	if me["https://yourapp.com/identity"] != "passport checked" || me["https://yourapp.com/continued_with"] != "POST body" {
		t.Errorf("the app's user lacks the claim set at /continue: %v", me)
	}
	if roles, _ := me["https://yourapp.com/roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
		t.Errorf("the guide's Action (bound after the redirect) did not run after /continue: roles %v", me["https://yourapp.com/roles"])
	}
	b.navigate(site.Web + "/api/auth/me")
	b.screenshot(shots, "redirect-action-session-user")
}
