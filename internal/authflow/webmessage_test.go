package authflow_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	nonceInCSP      = regexp.MustCompile(`'nonce-([^']+)'`)
	messageInScript = regexp.MustCompile(`var targetOrigin = ("[^"]*");\s*var message = \{type: ("[^"]*"), response: (\{[^}]*\})\};`)
)

// webMessage checks p is a web_message page posting to origin and returns the response it posts.
func webMessage(tb testing.TB, p page, origin string) map[string]string {
	tb.Helper()
	if p.status != http.StatusOK || p.location != "" {
		tb.Fatalf("want a web_message page, got %d %q\n%s", p.status, p.location, p.body)
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "; frame-ancestors "+origin) || !strings.Contains(csp, "default-src 'none'") {
		tb.Errorf("CSP %q does not limit framing to %s", csp, origin)
	}
	n := nonceInCSP.FindStringSubmatch(csp)
	if n == nil || strings.Count(p.body, "<script") != 1 || !strings.Contains(p.body, `<script nonce="`+n[1]+`">`) {
		tb.Errorf("the one script does not carry the CSP nonce %q", csp)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		tb.Errorf("Cache-Control = %q", p.header.Get("Cache-Control"))
	}
	m := messageInScript.FindStringSubmatch(p.body)
	if m == nil {
		tb.Fatalf("no message in the page:\n%s", p.body)
	}
	var target, typ string
	var resp map[string]string
	must(tb, json.Unmarshal([]byte(m[1]), &target))
	must(tb, json.Unmarshal([]byte(m[2]), &typ))
	must(tb, json.Unmarshal([]byte(m[3]), &resp))
	if target != origin || typ != "authorization_response" {
		tb.Errorf("posts %q to %q", typ, target)
	}
	return resp
}

func TestWebMessage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.spa.WebOrigins = []string{"http://localhost:5173"}
	must(t, e.st.UpdateClient(ctx, e.spa))
	spa := func(extra ...string) url.Values {
		q := url.Values{"client_id": {e.spa.ClientID}, "redirect_uri": {spaCallback}, "response_type": {"code"}, "scope": {"openid profile"},
			"state": {`s"</script><b>1`}, "nonce": {"n1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"response_mode": {"web_message"}, "prompt": {"none"}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				q.Del(extra[i])
			} else {
				q.Set(extra[i], extra[i+1])
			}
		}
		return q
	}
	c := e.browser(t)

	// No session yet: login_required, posted (auth0-spa-js rejects getTokenSilently with it).
	resp := webMessage(t, e.get(t, c, "/authorize?"+spa().Encode()), "http://localhost:5173")
	if resp["error"] != "login_required" || resp["error_description"] != "Login required" || resp["state"] != `s"</script><b>1` || resp["code"] != "" {
		t.Errorf("without a session: %v", resp)
	}

	// Without prompt=none the login page is shown (a popup), and its success is a web_message page.
	lp, csrf := e.startLogin(t, c, spa("prompt", ""))
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	resp = webMessage(t, p, "http://localhost:5173")
	if resp["code"] == "" || resp["state"] != `s"</script><b>1` || resp["error"] != "" {
		t.Fatalf("after login: %v", resp)
	}
	if rec := e.redeem(t, resp["code"]); rec.ClientID != e.spa.ClientID || rec.RedirectURI != spaCallback {
		t.Errorf("code for %q %q", rec.ClientID, rec.RedirectURI)
	}

	// With the session: silent authentication answers a code at once, no page shown.
	resp = webMessage(t, e.get(t, c, "/authorize?"+spa().Encode()), "http://localhost:5173")
	if resp["code"] == "" || resp["error"] != "" {
		t.Fatalf("silent authentication: %v", resp)
	}
	if rec := e.redeem(t, resp["code"]); rec.UserID != e.userID || rec.Nonce != "n1" {
		t.Errorf("silent code for %q nonce %q", rec.UserID, rec.Nonce)
	}
}

// A web_message request whose redirect URI's origin the client does not list gets an error page on
// Gatehouse's origin: nothing is posted anywhere, not even the error, and no transaction starts.
func TestWebMessageRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.spa.WebOrigins = []string{"http://localhost:5174"}
	e.spa.Callbacks = append(e.spa.Callbacks, "http://127.0.0.1:5173/callback")
	must(t, e.st.UpdateClient(ctx, e.spa))
	c := e.browser(t)
	signed := e.signIn(t, c, e.webAppParams())
	if signed.Get("code") == "" {
		t.Fatal("no session to test with")
	}
	base := url.Values{"client_id": {e.spa.ClientID}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "response_mode": {"web_message"}}
	tests := []struct {
		name, redirect, prompt string
		heading                string
	}{
		{"origin not listed", spaCallback, "none", "Origin not allowed."},
		{"origin not listed, interactive", spaCallback, "", "Origin not allowed."},
		{"listed origin's look-alike", "http://127.0.0.1:5173/callback", "none", "Origin not allowed."},
		{"redirect not registered", "http://localhost:5174/callback", "none", "Callback URL mismatch."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set("redirect_uri", tt.redirect)
			if tt.prompt != "" {
				q.Set("prompt", tt.prompt)
			}
			before := len(e.logTypes(t))
			p := e.get(t, c, "/authorize?"+q.Encode())
			if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.body, tt.heading) {
				t.Errorf("got %d %q, want 400 %q:\n%s", p.status, p.location, tt.heading, p.body)
			}
			if strings.Contains(p.body, "<script") || strings.Contains(p.body, "postMessage") || strings.Contains(p.body, "code=") {
				t.Errorf("the refusal posts something:\n%s", p.body)
			}
			// The error page sets no policy of its own: the server's default (frame-ancestors 'none',
			// X-Frame-Options DENY) keeps it out of every frame.
			if csp := p.header.Get("Content-Security-Policy"); csp != "" || p.header.Get("X-Frame-Options") != "" {
				t.Errorf("the refusal may be framed: %q", csp)
			}
			if after := len(e.logTypes(t)); after != before {
				t.Errorf("the refusal changed the tenant log (%d → %d events)", before, after)
			}
		})
	}
}
