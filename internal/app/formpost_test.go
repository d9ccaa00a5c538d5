package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestUpstreamAnswerByFormPost: a provider answering by form_post (as Sign in with Apple does)
// posts to /login/callback; the answer goes on to GET /login/callback, where the browser's
// binding cookie is checked as for a query answer, and the sign-in completes. A forged state
// posted the same way is refused there.
func TestUpstreamAnswerByFormPost(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	g := newGitHub(t)
	createGitHubConnection(t, m, n, g)
	appl := newBrokerApp(t, n)

	c := browser(t)
	resp, _ := get(t, c, appl.authorize(c, "github").String())
	back, _ := resp.Location()
	post := func(form url.Values) *url.URL {
		t.Helper()
		resp, err := c.PostForm(n.issuer+"login/callback", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login/callback" {
			t.Fatalf("POST /login/callback: %d %v", resp.StatusCode, loc)
		}
		return loc
	}
	forged := post(url.Values{"state": {back.Query().Get("state") + "x"}, "code": {"c"}})
	if resp, body := get(t, c, forged.String()); resp.StatusCode == http.StatusFound || !strings.Contains(body, "<") {
		t.Errorf("forged state by form_post: %d", resp.StatusCode)
	}
	loc := post(url.Values{"state": {back.Query().Get("state")}, "code": {back.Query().Get("code")}, "user": {`{"name":{}}`}})
	if strings.Contains(loc.RawQuery, "user=") {
		t.Errorf("parameters other than the answer's were passed on: %s", loc)
	}
	id := appl.idToken(appl.finish(c, loc.String()))
	if id["sub"] != "github|4242" {
		t.Errorf("sub %v", id["sub"])
	}
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// TestFrontChannelThroughUpstreamGatehouse: an oidc connection of type front_channel (no client
// secret) to a second Gatehouse whose client is implicit: the upstream node answers with an ID
// token by form_post, which the downstream node keeps on the transaction (never in a URL) and
// checks on the browser's GET /login/callback. The same post replayed finds nothing to answer.
func TestFrontChannelThroughUpstreamGatehouse(t *testing.T) {
	up := startNode(t)
	down := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	upM, downM := newMgmtClient(t, up), newMgmtClient(t, down)
	status, client := upM.do("POST", "clients", map[string]any{"name": "Downstream front channel", "app_type": "spa",
		"callbacks": []string{down.issuer + "login/callback"}, "token_endpoint_auth_method": "none", "grant_types": []string{"implicit"}})
	if status != http.StatusCreated {
		t.Fatalf("upstream client: %d %v", status, client)
	}
	if status, out := downM.do("POST", "connections", map[string]any{"name": "acme-fc", "strategy": "oidc",
		"enabled_clients": []string{down.tenant.WebApp.ClientID},
		"options": map[string]any{"type": "front_channel", "client_id": client["client_id"],
			"discovery_url": up.issuer + ".well-known/openid-configuration"}}); status != http.StatusCreated {
		t.Fatalf("front_channel connection: %d %v", status, out)
	}
	appl := newBrokerApp(t, down)
	downJar, upJar := browser(t), browser(t)
	toUp := appl.authorize(downJar, "acme-fc")
	q := toUp.Query()
	if q.Get("response_type") != "id_token" || q.Get("response_mode") != "form_post" || q.Get("nonce") == "" || q.Get("code_challenge") != "" {
		t.Fatalf("front_channel request %s", toUp)
	}
	// Sign in at the upstream node; its answer is a page that posts the ID token back.
	admin := up.tenant.Users[0]
	resp, _ := get(t, upJar, toUp.String())
	login, _ := resp.Location()
	_, page := get(t, upJar, login.String())
	form := formFields(page)
	form.Set("username", admin.Email)
	form.Set("password", admin.Password)
	resp, err := upJar.PostForm(login.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for resp.StatusCode == http.StatusFound {
		loc, _ := resp.Location()
		var b string
		resp, b = get(t, upJar, loc.String())
		body = []byte(b)
	}
	answer := formFields(string(body))
	action := formAction.FindStringSubmatch(string(body))
	if answer.Get("id_token") == "" || action == nil || htmlUnescape(action[1]) != down.issuer+"login/callback" {
		t.Fatalf("upstream form_post answer: %d %s", resp.StatusCode, body)
	}
	postAnswer := func() *http.Response {
		t.Helper()
		resp, err := downJar.PostForm(down.issuer+"login/callback", answer)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp = postAnswer()
	next, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || next == nil || strings.Contains(next.RawQuery, "id_token") {
		t.Fatalf("POST /login/callback: %d %v", resp.StatusCode, next)
	}
	id := appl.idToken(appl.finish(downJar, next.String()))
	if sub, _ := id["sub"].(string); !strings.HasPrefix(sub, "oidc|acme-fc|") || id["email"] != admin.Email {
		t.Errorf("front_channel sign-in: %v", id)
	}
	if resp := postAnswer(); resp.StatusCode == http.StatusSeeOther {
		t.Errorf("a replayed form_post answer was taken: %d", resp.StatusCode)
	}
}
