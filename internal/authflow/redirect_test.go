package authflow_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestRedirectURIAllowed(t *testing.T) {
	c := &domain.Client{Callbacks: []string{
		"https://app.example.com/callback",
		"https://app.example.com:8443/cb",
		"http://localhost:3000/api/auth/callback",
		"https://app.example.com/q?tenant=a",
	}}
	tests := []struct {
		uri  string
		want bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com:8443/cb", true},
		{"http://localhost:3000/api/auth/callback", true},
		{"https://app.example.com/q?tenant=a", true},
		{"", false},
		{"https://APP.example.com/callback", false},             // host case
		{"HTTPS://app.example.com/callback", false},             // scheme case
		{"https://app.example.com/Callback", false},             // path case
		{"https://app.example.com/callback/", false},            // trailing slash
		{"https://app.example.com/callback/../callback", false}, // dot segments
		{"https://app.example.com/foo/../callback", false},      // dot segments
		{"https://app.example.com/%63allback", false},           // percent-encoded unreserved
		{"https://app.example.com/callback%2F", false},          // encoded slash
		{"https://app.example.com/callback?x=1", false},         // extra query
		{"https://app.example.com/callback?", false},            // empty query
		{"https://app.example.com/callback#frag", false},        // fragment
		{"https://app.example.com/callbackx", false},            // prefix
		{"https://app.example.com/callback/evil", false},        // path prefix
		{"https://app.example.com.evil.com/callback", false},    // host suffix
		{"https://evil.com@app.example.com/callback", false},    // userinfo
		{"https://app.example.com@evil.com/callback", false},    // userinfo trick
		{"https://app.example.com:443/callback", false},         // explicit default port
		{"https://app.example.com:8444/cb", false},              // other port
		{"https://app.example.com/cb", false},                   // missing port
		{"http://app.example.com/callback", false},              // scheme downgrade
		{"//app.example.com/callback", false},                   // scheme-relative
		{"https://app.example.com/q?tenant=b", false},           // query value
		{"https://app.example.com/q?tenant=a&x=1", false},       // query addition
		{"https://app.example.com/q?tenant=%61", false},         // query encoding
		{" https://app.example.com/callback", false},            // whitespace
		{"https://app.example.com/callback\x00", false},         // NUL
		{"http://localhost:3000/api/auth/callback/", false},     // trailing slash
		{"http://127.0.0.1:3000/api/auth/callback", false},      // loopback alias
		{"http://localhost:3001/api/auth/callback", false},      // other port
		{"https://app.example.com/callback;x", false},           // path parameter
		{"https://app.example.com/callback%00", false},          // encoded NUL
		{"https://app.example.com\\@evil.com/callback", false},  // backslash trick
		{"https://app.example.com/callback?redirect=https://evil.com", false},
	}
	for _, tt := range tests {
		if got := authflow.RedirectURIAllowed(c, tt.uri); got != tt.want {
			t.Errorf("RedirectURIAllowed(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
	if authflow.RedirectURIAllowed(nil, "https://app.example.com/callback") {
		t.Error("a nil client allows a redirect")
	}
}

// FuzzRedirectURIAllowed: a URI is allowed exactly when it is byte-equal to a registered callback.
func FuzzRedirectURIAllowed(f *testing.F) {
	registered := []string{"https://app.example.com/callback", "http://localhost:3000/cb?x=1"}
	c := &domain.Client{Callbacks: registered}
	for _, s := range []string{"https://app.example.com/callback", "https://app.example.com/callback/",
		"https://APP.example.com/callback", "http://localhost:3000/cb?x=1", "http://localhost:3000/cb?x=1&y", "", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		want := uri == registered[0] || uri == registered[1]
		if got := authflow.RedirectURIAllowed(c, uri); got != want {
			t.Fatalf("RedirectURIAllowed(%q) = %v, want %v", uri, got, want)
		}
	})
}
