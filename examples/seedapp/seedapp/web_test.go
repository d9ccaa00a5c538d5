package seedapp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/examples/seedapp/seedapp"
	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// testConfig points at an issuer nobody answers on: none of these tests reaches it.
func testConfig() seedapp.Config {
	return seedapp.Config{Auth: webauth.Config{
		Secret:        strings.Repeat("s", 32),
		BaseURL:       "http://localhost:3000",
		IssuerBaseURL: "https://127.0.0.1:1",
		ClientID:      "client",
		ClientSecret:  "secret",
		Audience:      "https://api.yourapp.com",
	}}
}

func TestWebWithoutSession(t *testing.T) {
	h, err := seedapp.NewWeb(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path         string
		status       int
		location     string // prefix
		bodyContains string
	}{
		{"/", http.StatusOK, "", `href="/api/auth/login"`},
		{"/dashboard", http.StatusFound, "/api/auth/login?returnTo=%2Fdashboard", ""},
		{"/settings", http.StatusFound, "/api/auth/login?returnTo=%2Fsettings", ""},
		{"/admin", http.StatusFound, "/api/auth/login?returnTo=%2Fadmin", ""},
		{"/unauthorized", http.StatusForbidden, "", "needs the <code>admin</code> role"},
		{"/api/protected/data", http.StatusUnauthorized, "", "not_authenticated"},
		{"/api/data", http.StatusUnauthorized, "", "not_authenticated"},
		{"/api/data/admin", http.StatusUnauthorized, "", "not_authenticated"},
		{"/api/auth/me", http.StatusUnauthorized, "", "not_authenticated"},
		{"/static/style.css", http.StatusOK, "", ".card"},
		{"/nowhere", http.StatusNotFound, "", "Not found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, body)
			}
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, tt.location) || (tt.location == "" && loc != "") {
				t.Errorf("Location %q, want %q", loc, tt.location)
			}
			if !strings.Contains(string(body), tt.bodyContains) {
				t.Errorf("body does not contain %q:\n%s", tt.bodyContains, body)
			}
		})
	}
}

func TestWebPagesCarrySecurityHeaders(t *testing.T) {
	h, err := seedapp.NewWeb(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	for name, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := rec.Header().Get(name); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to contain %q", name, got, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	noAudience := testConfig()
	noAudience.Auth.Audience = ""
	if _, err := seedapp.NewWeb(noAudience); err == nil || !strings.Contains(err.Error(), "AUTH0_AUDIENCE") {
		t.Errorf("NewWeb without an audience: %v", err)
	}
	if _, err := seedapp.NewAPI(noAudience); err == nil {
		t.Error("NewAPI without an audience: no error")
	}
	short := testConfig()
	short.Auth.Secret = "short"
	if _, err := seedapp.NewWeb(short); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("NewWeb with a short secret: %v (must fail without echoing it)", err)
	}
	badAPI := testConfig()
	badAPI.APIBaseURL = "localhost:3001"
	if _, err := seedapp.NewWeb(badAPI); err == nil {
		t.Error("NewWeb with a relative API URL: no error")
	}
}

func TestAPIWithoutToken(t *testing.T) {
	h, err := seedapp.NewAPI(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		status int
	}{
		{"/api/public", http.StatusOK},
		{"/api/private", http.StatusUnauthorized},
		{"/api/admin", http.StatusUnauthorized},
		{"/api/other", http.StatusNotFound},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d; body %s", tt.path, rec.Code, tt.status, rec.Body)
		}
		if tt.status == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
			t.Errorf("%s: challenge %q", tt.path, rec.Header().Get("WWW-Authenticate"))
		}
	}
}
