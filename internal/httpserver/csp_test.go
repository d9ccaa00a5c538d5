package httpserver_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

func TestFormActionSource(t *testing.T) {
	tests := []struct{ target, want string }{
		{"https://app.example.com/callback?x=1", "https://app.example.com"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"http://[::1]:8080/cb", "http://[::1]:8080"},
		{"com.example.app:/callback", "com.example.app:"},
		{"https://app.example.com;script-src/x", ""},
		{"https://a b/", ""},
		{"/relative", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := httpserver.FormActionSource(tt.target)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FormActionSource(%q) = %q, %v; want %q", tt.target, got, ok, tt.want)
		}
	}
	w := httptest.NewRecorder()
	httpserver.SetFormPageCSP(w, "https://app.example.com/bye")
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example.com;") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("form page CSP %q", csp)
	}
	w = httptest.NewRecorder()
	httpserver.SetFormPageCSP(w, "not a url;")
	if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
		t.Errorf("unusable target set a policy: %q", csp)
	}
}
