package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/authflow"
)

// TestBruteForceProtection: after ten consecutive wrong passwords for one user from one address, even
// the right password is refused, with Auth0's message and a Retry-After; another user is unaffected.
func TestBruteForceProtection(t *testing.T) {
	bruteForce(t, []*node{startNode(t)})
}

// TestBruteForceAcrossNodes: the same attempts spread round-robin over two nodes on one PostgreSQL
// are refused at the same attempt: the count lives in the database both share.
func TestBruteForceAcrossNodes(t *testing.T) {
	bruteForce(t, startPostgresNodes(t, 2))
}

// bruteForce signs in through nodes[i % len(nodes)] for the i-th attempt, with one browser (one
// address, one transaction stored in the shared database).
func bruteForce(t *testing.T, nodes []*node) {
	t.Helper()
	n := nodes[0]
	c := browser(t)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	verifier := oauth2.GenerateVerifier()
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(verifier)))
	loginURL, _ := resp.Location()
	_, page := get(t, c, loginURL.String())
	form := formFields(page)
	admin, user := n.tenant.Users[0], n.tenant.Users[1]

	attempt := 0
	post := func(email, pw string) (*http.Response, string) {
		t.Helper()
		target := *loginURL
		u, _ := url.Parse(nodes[attempt%len(nodes)].issuer)
		target.Host = u.Host
		attempt++
		form.Set("username", email)
		form.Set("password", pw)
		resp, err := c.Post(target.String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for i := range 10 {
		if resp, body := post(admin.Email, "wrong-Password-1"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, authflow.MsgWrongCredentials) {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	for _, pw := range []string{"wrong-Password-1", admin.Password} {
		resp, body := post(admin.Email, pw)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "blocked after multiple consecutive login attempts") {
			t.Fatalf("attempt %d (after 10 failures): %d; want 429 with the blocked message", attempt, resp.StatusCode)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("attempt %d: 429 without Retry-After", attempt)
		}
	}
	if resp, _ := post(user.Email, user.Password); resp.StatusCode != http.StatusFound {
		t.Errorf("another user from the same address: %d; want a sign-in", resp.StatusCode)
	}
	m := newMgmtClient(t, n)
	if status, logs := m.do("GET", "logs?q=type:limit_wc", nil); status != 200 || len(logs["list"].([]any)) == 0 {
		t.Errorf("no limit_wc log event: %d %v", status, logs)
	}
}
