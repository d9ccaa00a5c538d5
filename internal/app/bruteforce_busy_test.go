package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/password"
)

// TestLoginBusyGivesTheAttemptBack: a sign-in refused with 503 because password hashing is at its
// memory budget checked no password, so it does not count toward brute-force protection: two rounds
// of wrong passwords at once, each under the threshold but together over it, leave the account
// open, and the right password signs in once hashing is free.
func TestLoginBusyGivesTheAttemptBack(t *testing.T) {
	gate := password.NewGate(1, 1)
	n := startNode(t, func(o *app.Options) { o.Hasher = password.Hasher{P: password.Fast(), Gate: gate} })
	c := browser(t)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	loginURL, _ := resp.Location()
	_, page := get(t, c, loginURL.String())
	fields := formFields(page)
	admin := n.tenant.Users[0]
	post := func(pw string) (int, string, string) {
		f := url.Values{}
		for k, v := range fields {
			f[k] = v
		}
		f.Set("username", admin.Email)
		f.Set("password", pw)
		resp, err := c.Post(loginURL.String(), "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		if err != nil {
			t.Error(err)
			return 0, "", ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
	}
	release, ok := gate.TryAcquire()
	if !ok {
		t.Fatal("gate not free")
	}
	for round := range 2 {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, retry, body := post("wrong-Password-1"); status != http.StatusServiceUnavailable || retry != "1" || !strings.Contains(body, authflow.MsgBusy) {
					t.Errorf("round %d while hashing is full: %d Retry-After %q", round, status, retry)
				}
			}()
		}
		wg.Wait()
	}
	release()
	if status, _, _ := post(admin.Password); status != http.StatusFound {
		t.Fatalf("the right password once hashing is free: %d, want a sign-in (the busy answers were counted)", status)
	}
}
