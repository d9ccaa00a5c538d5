package authflow_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
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

// Native apps (RFC 8252 §7.3): a loopback callback registered without a port takes any port; every
// other part, and every other callback, is still matched byte for byte.
func TestRedirectURIAllowedNativeLoopback(t *testing.T) {
	native := &domain.Client{AppType: domain.AppTypeNative, Callbacks: []string{
		"http://127.0.0.1/callback",
		"http://[::1]/cb?x=1",
		"http://localhost/oauth",
		"http://127.0.0.1",
		"http://127.0.0.1:7000/fixed",
		"com.example.app:/callback",
	}}
	tests := []struct {
		uri  string
		want bool
	}{
		{"http://127.0.0.1/callback", true},        // as registered
		{"http://127.0.0.1:51004/callback", true},  // ephemeral port
		{"http://127.0.0.1:1/callback", true},      // lowest port
		{"http://127.0.0.1:65535/callback", true},  // highest port
		{"http://[::1]:8080/cb?x=1", true},         // IPv6 loopback
		{"http://localhost:8080/oauth", true},      // localhost, as Auth0 allows
		{"http://127.0.0.1:8080", true},            // no path
		{"http://127.0.0.1:8080/", false},          // path added
		{"http://127.0.0.1:7000/fixed", true},      // registered with a port: exact
		{"http://127.0.0.1:7001/fixed", false},     // …and only that port
		{"http://127.0.0.1:8080/fixed", false},     //
		{"com.example.app:/callback", true},        // custom scheme: exact
		{"http://127.0.0.1:0/callback", false},     // port 0
		{"http://127.0.0.1:65536/callback", false}, // out of range
		{"http://127.0.0.1:080/callback", false},   // leading zero
		{"http://127.0.0.1:/callback", false},      // empty port
		{"http://127.0.0.1:+80/callback", false},   // sign
		{"http://127.0.0.1:80:81/callback", false}, // two ports
		{"http://127.0.0.1.evil.test:80/callback", false},
		{"http://127.0.0.1.evil.test/callback", false},
		{"http://127.0.0.1:80@evil.test/callback", false},   // userinfo trick
		{"http://evil.test@127.0.0.1:80/callback", false},   // userinfo
		{"http://127.0.0.1:80\\@evil.test/callback", false}, // backslash trick
		{"http://127.0.0.1:80#@evil.test/callback", false},  // fragment trick
		{"https://127.0.0.1:8080/callback", false},          // other scheme
		{"HTTP://127.0.0.1:8080/callback", false},           // scheme case
		{"http://127.000.000.001:8080/callback", false},     // other spelling
		{"http://127.0.0.2:8080/callback", false},           // other loopback address
		{"http://2130706433:8080/callback", false},          // integer IPv4
		{"http://[0:0:0:0:0:0:0:1]:8080/cb?x=1", false},     // long IPv6
		{"http://LOCALHOST:8080/oauth", false},              // host case
		{"http://localhost.:8080/oauth", false},             // trailing dot
		{"http://127.0.0.1:8080/callback/", false},          // trailing slash
		{"http://127.0.0.1:8080/Callback", false},           // path case
		{"http://127.0.0.1:8080/callback?x=1", false},       // query added
		{"http://[::1]:8080/cb?x=2", false},                 // query changed
		{"http://[::1]:8080/cb", false},                     // query dropped
		{"http://127.0.0.1:8080/oauth", false},              // another callback's path
		{"http://localhost:8080/callback", false},           // another callback's host
		{"http://127.0.0.1:8080/callback\x00", false},       // NUL
		{"com.example.app:8080/callback", false},            // custom scheme takes no port
	}
	for _, tt := range tests {
		if got := authflow.RedirectURIAllowed(native, tt.uri); got != tt.want {
			t.Errorf("native: RedirectURIAllowed(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
	// Other app types keep exact matching: a web app or SPA registering a loopback URL means it.
	for _, appType := range []string{domain.AppTypeSPA, domain.AppTypeRegularWeb, ""} {
		c := &domain.Client{AppType: appType, Callbacks: []string{"http://127.0.0.1/callback", "http://localhost/oauth"}}
		for _, uri := range []string{"http://127.0.0.1:8080/callback", "http://localhost:3000/oauth"} {
			if authflow.RedirectURIAllowed(c, uri) {
				t.Errorf("%q app: %s allowed", appType, uri)
			}
		}
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

// FuzzLoopbackMatches: a requested URI matches a portless loopback callback exactly when it is that
// callback with ":PORT" inserted after the host.
func FuzzLoopbackMatches(f *testing.F) {
	const registered = "http://127.0.0.1/cb?x=1"
	for _, s := range []string{"http://127.0.0.1:8080/cb?x=1", "http://127.0.0.1.evil:1/cb?x=1", "http://127.0.0.1:1@e/cb?x=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		got := protocol.LoopbackMatches(registered, uri)
		port, ok := strings.CutPrefix(uri, "http://127.0.0.1:")
		port, tail, _ := strings.Cut(port, "/")
		n, err := strconv.Atoi(port)
		want := ok && tail == "cb?x=1" && err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == port
		if got != want {
			t.Fatalf("LoopbackMatches(%q) = %v, want %v", uri, got, want)
		}
	})
}
