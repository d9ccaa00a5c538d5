package app_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// TestLoginFormSubmittedTwiceIssuesOneCode: racing submissions of one login form (a double click, a
// replayed request) finish the transaction once; only one of them gets a code.
func TestLoginFormSubmittedTwiceIssuesOneCode(t *testing.T) {
	n := startNode(t)
	c := browser(t)
	verifier := oauth2.GenerateVerifier()
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(verifier)))
	loc, _ := resp.Location()
	_, page := get(t, c, loc.String())
	form := formFields(page)
	admin := n.tenant.Users[0]
	form.Set("username", admin.Email)
	form.Set("password", admin.Password)

	var mu sync.Mutex
	codes := 0
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Post(loc.String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if l, _ := resp.Location(); resp.StatusCode == http.StatusFound && l != nil && l.Query().Get("code") != "" {
				mu.Lock()
				codes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes != 1 {
		t.Errorf("%d of 10 racing submissions got a code; want exactly 1", codes)
	}
}
