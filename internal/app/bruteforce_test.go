package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/authflow"
)

// TestBruteForceProtection: after ten consecutive wrong passwords for one user from one address, even
// the right password is refused, with Auth0's message; another user is unaffected.
func TestBruteForceProtection(t *testing.T) {
	n := startNode(t)
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

	post := func(email, pw string) (int, string) {
		t.Helper()
		form.Set("username", email)
		form.Set("password", pw)
		resp, err := c.Post(loginURL.String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := range 10 {
		if status, body := post(admin.Email, "wrong-Password-1"); status != http.StatusBadRequest || !strings.Contains(body, authflow.MsgWrongCredentials) {
			t.Fatalf("attempt %d: %d", i+1, status)
		}
	}
	status, body := post(admin.Email, admin.Password)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "blocked after multiple consecutive login attempts") {
		t.Fatalf("right password after 10 failures: %d; want 429 with the blocked message", status)
	}
	if status, _ := post(user.Email, user.Password); status != http.StatusFound {
		t.Errorf("another user from the same address: %d; want a sign-in", status)
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
	if status, logs := m.do("GET", "logs?q=type:limit_wc", nil); status != 200 || len(logs["list"].([]any)) == 0 {
		t.Errorf("no limit_wc log event: %d %v", status, logs)
	}
}
