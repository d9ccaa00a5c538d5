package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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
	m := newMgmtClient(t, n)
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{
		"grant_types": []string{"authorization_code", "refresh_token", "client_credentials", "password"}}); status != 200 {
		t.Fatalf("enable the password grant: %d %v", status, body)
	}

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
	// The token endpoint's password grant counts toward the same block: the right password is refused
	// there too, while another user signs in.
	ropc := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, ClientSecret: n.tenant.WebApp.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: n.issuer + "oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c)
	_, err := ropc.PasswordCredentialsToken(ctx, admin.Email, admin.Password)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusTooManyRequests || re.ErrorCode != "too_many_attempts" {
		t.Fatalf("password grant for a blocked pair: %v; want 429 too_many_attempts", err)
	}
	if _, err := ropc.PasswordCredentialsToken(ctx, user.Email, user.Password); err != nil {
		t.Errorf("password grant for another user: %v", err)
	}
	waitLogCount(t, n, "limit_wc", 1) // the tenant log is written in batches, just after the answer
	if status, logs := m.do("GET", "logs?q=type:limit_wc", nil); status != 200 || len(logs["list"].([]any)) == 0 {
		t.Errorf("no limit_wc log event: %d %v", status, logs)
	}
}

// TestBruteForceRace: 30 wrong passwords for one account from one address, posted at once on
// separate connections: exactly ten reach a password check, the other twenty are refused with 429.
func TestBruteForceRace(t *testing.T) {
	raceWrongPasswords(t, []*node{startNode(t)})
}

// TestBruteForceRaceAcrossNodes: the same race, half the posts to each of two nodes on one
// PostgreSQL, whichever node they reach.
func TestBruteForceRaceAcrossNodes(t *testing.T) {
	raceWrongPasswords(t, startPostgresNodes(t, 2))
}

func raceWrongPasswords(t *testing.T, nodes []*node) {
	t.Helper()
	n := nodes[0]
	c := browser(t)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	loginURL, _ := resp.Location()
	_, page := get(t, c, loginURL.String())
	form := formFields(page)
	form.Set("username", n.tenant.Users[0].Email)
	form.Set("password", "wrong-Password-1")
	body := form.Encode()

	const racers = 30
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		statuses = make([]int, racers)
	)
	for i := range racers {
		target := *loginURL
		u, _ := url.Parse(nodes[i%len(nodes)].issuer)
		target.Host = u.Host
		// Each racer its own connection: a transport of its own, sharing the browser's cookies.
		rc := &http.Client{Jar: c.Jar, Timeout: 30 * time.Second, Transport: &http.Transport{},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := rc.Post(target.String(), "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusBadRequest] != 10 || count[http.StatusTooManyRequests] != 20 {
		t.Fatalf("statuses %v; want 10×400 (checked) and 20×429 (blocked)", count)
	}
}
