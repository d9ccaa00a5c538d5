package protocol_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"https://app.example.com/callback?x=1", "https://app.example.com"},
		{"HTTPS://App.Example.COM", "https://app.example.com"},
		{"https://app.example.com:443/", "https://app.example.com"},
		{"http://localhost:80/cb", "http://localhost"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"https://app.example.com:8443/cb", "https://app.example.com:8443"},
		{"http://[::1]:3000/cb", "http://[::1]:3000"},
		{"http://127.0.0.1:5173/", "http://127.0.0.1:5173"},
		// No origin a page could be posted to or framed by.
		{"com.example.app://callback", ""},
		{"myapp:/cb", ""},
		{"https://user:pw@app.example.com/cb", ""},
		{"https://app.example.com:/cb", ""},
		{"https:///cb", ""},
		{"/relative", ""},
		{"https://bücher.example/cb", ""},
		{"https://a'b.example/cb", ""},
		{"https://a;b.example/cb", ""},
		{"https://-a.example", ""},
		{"javascript://app.example.com/%0aalert(1)", ""},
		{"", ""},
	} {
		if got := protocol.Origin(tc.raw); got != tc.want {
			t.Errorf("Origin(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestWebMessageTarget(t *testing.T) {
	c := &domain.Client{WebOrigins: []string{"http://localhost:3000", "https://app.example.com/", "https://Other.Example:8443"}}
	for _, tc := range []struct {
		name, redirect, want string
	}{
		{"listed", "http://localhost:3000/callback", "http://localhost:3000"},
		{"listed with trailing slash", "https://app.example.com", "https://app.example.com"},
		{"listed with default port", "https://app.example.com:443/cb", "https://app.example.com"},
		{"listed in other case", "https://other.example:8443/", "https://other.example:8443"},
		{"other port", "http://localhost:3001/callback", ""},
		{"other scheme", "https://localhost:3000/callback", ""},
		{"look-alike host", "https://app.example.com.evil.test/cb", ""},
		{"subdomain", "https://x.app.example.com/cb", ""},
		{"userinfo", "https://app.example.com@evil.test/cb", ""},
		{"custom scheme", "com.example.app://cb", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, e := protocol.WebMessageTarget(c, tc.redirect)
			if got != tc.want {
				t.Errorf("target = %q, want %q", got, tc.want)
			}
			if (e == nil) != (tc.want != "") {
				t.Fatalf("error = %v", e)
			}
			if e != nil && (e.Status != 400 || !strings.Contains(e.Description, "Allowed Web Origins")) {
				t.Errorf("refusal = %d %q", e.Status, e.Description)
			}
		})
	}
	if _, e := protocol.WebMessageTarget(&domain.Client{}, "http://localhost:3000/cb"); e == nil {
		t.Error("a client without web origins may receive web messages")
	}
}

func TestWebMessageCSP(t *testing.T) {
	got := protocol.WebMessageCSP("https://app.example.com", "n0nce")
	for _, want := range []string{"default-src 'none'", "script-src 'nonce-n0nce'", "frame-ancestors https://app.example.com", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(got, want) {
			t.Errorf("CSP %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "*") || strings.Contains(got, "unsafe") {
		t.Errorf("CSP %q is too wide", got)
	}
	resp := protocol.WebMessageResponse([]protocol.FormField{{Name: "code", Value: "c"}, {Name: "state", Value: "s"}})
	if len(resp) != 2 || resp["code"] != "c" || resp["state"] != "s" {
		t.Errorf("response = %v", resp)
	}
}
