package oauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// A CORS preflight is answered by the origins clients register (web origins, allowed origins, the
// origins of callbacks), exactly, and only for the methods the endpoint takes.
func TestPreflight(t *testing.T) {
	e := MustEnv(t, envOptions{})
	ctx := context.Background()
	corsOnly := &domain.Client{ClientID: "corsOnlyClient000000000000000001", Name: "CORS only", AppType: domain.AppTypeSPA,
		AllowedOrigins: []string{"https://cors.example.test"}}
	domain.ApplyClientDefaults(corsOnly)
	must(t, e.Store.CreateClient(ctx, corsOnly))
	gone := &domain.Client{ClientID: "goneClient0000000000000000000001", Name: "Gone", AppType: domain.AppTypeSPA,
		WebOrigins: []string{"https://gone.example.test"}}
	domain.ApplyClientDefaults(gone)
	must(t, e.Store.CreateClient(ctx, gone))
	if got := preflight(t, e, "oauth/token", "https://gone.example.test", "POST"); got.Get("Access-Control-Allow-Origin") == "" {
		t.Fatal("a registered origin is refused")
	}
	must(t, e.Store.DeleteClient(ctx, gone.ClientID))
	e.Handler.ConfigChanged()

	tests := []struct {
		name, path, origin, method string
		methods                    string // "" means no allow headers at all
	}{
		{"SPA web origin", "oauth/token", spaOrigin, "POST", "POST"},
		{"revoke", "oauth/revoke", spaOrigin, "POST", "POST"},
		{"pushed authorization request", "oauth/par", spaOrigin, "POST", "POST"},
		{"device authorization", "oauth/device/code", spaOrigin, "POST", "POST"},
		{"unknown origin at /oauth/par", "oauth/par", "https://evil.example.test", "POST", ""},
		{"userinfo GET", "userinfo", spaOrigin, "GET", "GET, POST"},
		{"userinfo POST", "userinfo", spaOrigin, "POST", "GET, POST"},
		{"origin of a callback", "oauth/token", "http://localhost:3000", "POST", "POST"},
		{"allowed origins (CORS)", "oauth/token", "https://cors.example.test", "POST", "POST"},
		{"unknown origin", "oauth/token", "https://evil.example.test", "POST", ""},
		{"deleted client's origin", "oauth/token", "https://gone.example.test", "POST", ""},
		{"other port", "oauth/token", "http://localhost:51730", "POST", ""},
		{"other scheme", "oauth/token", "https://localhost:5173", "POST", ""},
		{"look-alike host", "oauth/token", "http://localhost.evil.test:5173", "POST", ""},
		{"opaque origin", "oauth/token", "null", "POST", ""},
		{"not serialised: case", "oauth/token", "HTTP://LOCALHOST:5173", "POST", ""},
		{"not serialised: path", "oauth/token", spaOrigin + "/", "POST", ""},
		{"two origins", "oauth/token", spaOrigin + " https://evil.example.test", "POST", ""},
		{"method the endpoint does not take", "oauth/token", spaOrigin, "GET", ""},
		{"DELETE", "userinfo", spaOrigin, "DELETE", ""},
		{"not a preflight", "oauth/token", spaOrigin, "", ""},
		{"no origin", "oauth/token", "", "POST", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := preflight(t, e, tt.path, tt.origin, tt.method)
			if tt.methods == "" {
				for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
					if v := h.Get(k); v != "" {
						t.Errorf("%s: %q, want none", k, v)
					}
				}
			} else if h.Get("Access-Control-Allow-Origin") != tt.origin || h.Get("Access-Control-Allow-Methods") != tt.methods ||
				h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, Auth0-Client, DPoP" {
				t.Errorf("allow headers %v", h)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
			if h.Get("Vary") != "Origin" {
				t.Errorf("Vary = %q", h.Get("Vary"))
			}
		})
	}
}

func preflight(t *testing.T, e *env, path, origin, method string) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, e.url(path), nil)
	must(t, err)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method != "" {
		req.Header.Set("Access-Control-Request-Method", method)
	}
	req.Header.Set("Access-Control-Request-Headers", "content-type,auth0-client")
	res, err := e.Server.Client().Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight status %d", res.StatusCode)
	}
	return res.Header
}
