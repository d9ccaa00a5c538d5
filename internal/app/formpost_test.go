package app_test

import (
	"net/http"
	"net/url"
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
