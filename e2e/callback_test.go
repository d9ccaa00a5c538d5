package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestCallbackURLMismatch is the guide's "Test callback URL validation: try modifying callback URL
// in browser - should fail", for each near miss its troubleshooting section lists (trailing slash,
// http vs https, path) and an attacker's host: Gatehouse answers 400 on its own page and redirects
// nowhere. The browser test shows the same page in Chromium.
func TestCallbackURLMismatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	app := MustStartSeedApp(t, ctx, g)
	registered := app.Web + "/api/auth/callback"

	tests := []struct{ name, redirectURI string }{
		{"attacker host", "https://attacker.example/api/auth/callback"},
		{"trailing slash", registered + "/"},
		{"https instead of http", strings.Replace(registered, "http://", "https://", 1)},
		{"other path", app.Web + "/api/auth/callback2"},
		{"other port", "http://localhost:1/api/auth/callback"},
		{"127.0.0.1 for localhost", strings.Replace(registered, "localhost", "127.0.0.1", 1)},
		{"extra query", registered + "?next=https://attacker.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := mustGet(t, ctx, g.HTTP, mustTamperedAuthorizeURL(t, ctx, g, app, tt.redirectURI))
			if resp.status != http.StatusBadRequest || resp.location != "" {
				t.Errorf("status %d Location %q, want 400 and no redirect", resp.status, resp.location)
			}
			if !strings.Contains(resp.body, "Callback URL mismatch.") {
				t.Errorf("page does not say %q:\n%s", "Callback URL mismatch.", resp.body)
			}
		})
	}

	t.Run("registered callback is accepted", func(t *testing.T) {
		resp := mustGet(t, ctx, g.HTTP, mustTamperedAuthorizeURL(t, ctx, g, app, registered))
		if resp.status != http.StatusFound || !strings.HasPrefix(resp.location, "/u/login") && !strings.HasPrefix(resp.location, g.Origin+"/u/login") {
			t.Errorf("status %d Location %q, want a redirect to the login page", resp.status, resp.location)
		}
	})
}

// mustAuthorizeURL starts a login at the seed app and returns where it sends the browser.
func mustAuthorizeURL(t *testing.T, ctx context.Context, g *gatehouse, app *seedApp) *url.URL {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := mustGet(t, ctx, client, app.Web+"/api/auth/login")
	u, err := url.Parse(resp.location)
	if resp.status != http.StatusFound || err != nil || !strings.HasPrefix(resp.location, g.Origin+"/authorize?") {
		t.Fatalf("/api/auth/login: status %d Location %q, want a redirect to %s/authorize", resp.status, resp.location, g.Origin)
	}
	return u
}

type response struct {
	status         int
	location, body string
}

func mustGet(t *testing.T, ctx context.Context, c *http.Client, rawURL string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}
