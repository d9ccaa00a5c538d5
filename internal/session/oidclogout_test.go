package session_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestOIDCLogout(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	tests := []struct {
		name     string
		query    func(sid string) url.Values
		status   int
		location string
	}{
		{"hint and registered uri with state", func(sid string) url.Values {
			return url.Values{"id_token_hint": {"valid-hint"}, "post_logout_redirect_uri": {"https://allowed.com/bye?x=1"}, "state": {"a b&c"}}
		}, 302, "https://allowed.com/bye?x=1&state=a+b%26c"},
		{"hint without uri", func(string) url.Values { return url.Values{"id_token_hint": {"valid-hint"}} }, 200, ""},
		{"client_id without hint", func(string) url.Values {
			return url.Values{"client_id": {e.client.ClientID}, "post_logout_redirect_uri": {"https://allowed.com"}}
		}, 302, "https://allowed.com"},
		{"logout_hint matches sid", func(sid string) url.Values {
			return url.Values{"id_token_hint": {"valid-hint"}, "logout_hint": {sid}, "post_logout_redirect_uri": {"https://allowed.com"}}
		}, 302, "https://allowed.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser(t)
			sid := e.signIn(t, c)
			e.verifier.sid = sid
			res := e.get(t, c, "/oidc/logout?"+tt.query(sid).Encode())
			if res.status != tt.status || res.location != tt.location {
				t.Errorf("got %d %q, want %d %q\n%s", res.status, res.location, tt.status, tt.location, res.body)
			}
			if got := e.current(t, c); got != "none" {
				t.Errorf("session %q survived logout", got)
			}
		})
	}
	// A verified hint ends the session it names even from another browser.
	c := e.browser(t)
	sid := e.signIn(t, c)
	e.verifier.sid = sid
	if res := e.get(t, e.browser(t), "/oidc/logout?id_token_hint=valid-hint"); res.status != 200 {
		t.Fatalf("logout from elsewhere: %d", res.status)
	}
	if got := e.current(t, c); got != "none" {
		t.Errorf("session named by the hint survived: %q", got)
	}
}

// TestOIDCLogoutRefusalEndsNothing: a request /oidc/logout refuses is answered with the error page
// and nothing else — no redirect, and neither the browser's session nor the one a hint names ends.
func TestOIDCLogoutRefusalEndsNothing(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	id := e.client.ClientID
	tests := []struct{ name, query string }{
		{"forged hint", "id_token_hint=forged&post_logout_redirect_uri=https://allowed.com"},
		{"garbage hint", "id_token_hint=not.a.jwt"},
		{"hint for no known client", "id_token_hint=unknown-aud-hint&post_logout_redirect_uri=https://allowed.com"},
		{"client_id disagrees with hint", "id_token_hint=valid-hint&client_id=other&post_logout_redirect_uri=https://allowed.com"},
		{"logout_hint differs from sid", "id_token_hint=valid-hint&logout_hint=other-sid"},
		{"unknown client_id", "client_id=nope&post_logout_redirect_uri=https://allowed.com"},
		{"unlisted uri with hint", "id_token_hint=valid-hint&post_logout_redirect_uri=https://evil.com&state=s"},
		{"unlisted uri with client_id", "client_id=" + id + "&post_logout_redirect_uri=https://allowed.com/other"},
		{"client URL without a client", "post_logout_redirect_uri=https://allowed.com"},
		{"repeated parameter", "client_id=" + id + "&client_id=" + id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser(t)
			sid := e.signIn(t, c)
			e.verifier.sid = sid
			res := e.get(t, c, "/oidc/logout?"+tt.query)
			if res.status != http.StatusBadRequest || res.location != "" || !strings.Contains(res.body, "invalid_request") {
				t.Errorf("got %d %q, want 400 with the error page\n%s", res.status, res.location, res.body)
			}
			if got := e.current(t, c); got != sid {
				t.Errorf("session %q ended by a refused logout (now %q)", sid, got)
			}
			if _, err := e.st.GetSession(context.Background(), sid); err != nil {
				t.Errorf("session record gone after a refused logout: %v", err)
			}
		})
	}
}

func (e *env) post(t *testing.T, c *http.Client, path, contentType, body string) result {
	t.Helper()
	resp, err := c.Post(e.srv.URL+path, contentType, strings.NewReader(body))
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

// TestOIDCLogoutByPOST: RP-Initiated Logout 1.0 §2 lets the RP send the request as a form POST; it is
// checked and answered exactly as the GET is.
func TestOIDCLogoutByPOST(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	const form = "application/x-www-form-urlencoded"
	c := e.browser(t)
	sid := e.signIn(t, c)
	e.verifier.sid = sid
	for _, bad := range []struct{ name, contentType, body string }{
		{"forged hint", form, "id_token_hint=forged&post_logout_redirect_uri=https://allowed.com"},
		{"unlisted uri", form, "id_token_hint=valid-hint&post_logout_redirect_uri=https://evil.com"},
		{"not a form", "application/json", `{"id_token_hint":"valid-hint"}`},
	} {
		res := e.post(t, c, "/oidc/logout", bad.contentType, bad.body)
		if res.status != http.StatusBadRequest || res.location != "" {
			t.Errorf("%s: got %d %q, want 400 without a redirect", bad.name, res.status, res.location)
		}
		if got := e.current(t, c); got != sid {
			t.Fatalf("%s: session ended (now %q)", bad.name, got)
		}
	}
	body := url.Values{"id_token_hint": {"valid-hint"}, "post_logout_redirect_uri": {"https://allowed.com/bye?x=1"}, "state": {"s 1"}}
	res := e.post(t, c, "/oidc/logout", form, body.Encode())
	if res.status != http.StatusFound || res.location != "https://allowed.com/bye?x=1&state=s+1" {
		t.Errorf("POST with a valid hint: %d %q\n%s", res.status, res.location, res.body)
	}
	if got := e.current(t, c); got != "none" {
		t.Errorf("session %q survived a POSTed logout", got)
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// confirmForm returns the hidden fields of a logout confirmation page, failing unless the page is one.
func confirmForm(t *testing.T, res result) url.Values {
	t.Helper()
	if res.status != http.StatusOK || !strings.Contains(res.body, `<form method="post" action="/oidc/logout">`) {
		t.Fatalf("want the confirmation page, got %d %q\n%s", res.status, res.location, res.body)
	}
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(res.body, -1) {
		v.Set(m[1], strings.NewReplacer("&#43;", "+", "&amp;", "&").Replace(m[2]))
	}
	if v.Get("csrf") == "" {
		t.Fatalf("confirmation form without a CSRF token:\n%s", res.body)
	}
	return v
}

// TestOIDCLogoutAsksWhenNoClientIsNamed: with neither id_token_hint nor client_id, /oidc/logout
// shows a confirmation form and ends the session only when that form comes back, by POST, with the
// CSRF token bound to this browser's session cookie.
func TestOIDCLogoutAsksWhenNoClientIsNamed(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	const form = "application/x-www-form-urlencoded"
	c := e.browser(t)
	sid := e.signIn(t, c)
	alive := func(step string) {
		t.Helper()
		if got := e.current(t, c); got != sid {
			t.Fatalf("%s: session ended (now %q)", step, got)
		}
	}

	confirmForm(t, e.get(t, c, "/oidc/logout"))
	alive("bare GET")

	resp, err := c.Get(e.srv.URL + "/oidc/logout?post_logout_redirect_uri=" + url.QueryEscape("https://tenant.example/bye") + "&state=a%2Bb")
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://tenant.example;") {
		t.Errorf("confirmation page CSP %q does not let the confirmed form redirect", csp)
	}
	fields := confirmForm(t, result{resp.StatusCode, resp.Header.Get("Location"), string(b)})
	if fields.Get("post_logout_redirect_uri") != "https://tenant.example/bye" || fields.Get("state") != "a+b" {
		t.Errorf("form does not carry the request: %v", fields)
	}
	alive("GET with a tenant-listed redirect")

	// Submissions that change nothing.
	noToken := url.Values{"post_logout_redirect_uri": {"https://tenant.example/bye"}}
	confirmForm(t, e.post(t, c, "/oidc/logout", form, noToken.Encode()))
	alive("POST without a token")
	other := e.browser(t)
	e.signIn(t, other)
	foreign := confirmForm(t, e.get(t, other, "/oidc/logout")).Get("csrf")
	for name, token := range map[string]string{"empty": "", "wrong": flipFirst(fields.Get("csrf")), "another session's": foreign} {
		bad := url.Values{"csrf": {token}, "post_logout_redirect_uri": {"https://tenant.example/bye"}}
		res := e.post(t, c, "/oidc/logout", form, bad.Encode())
		if res.status != http.StatusForbidden || res.location != "" || !strings.Contains(res.body, "Your form has expired") {
			t.Errorf("%s token: %d %q", name, res.status, res.location)
		}
		alive(name + " token")
	}
	if res := e.get(t, c, "/oidc/logout?csrf="+url.QueryEscape(fields.Get("csrf"))); res.status != http.StatusOK {
		t.Errorf("token in a GET: %d", res.status)
	}
	alive("token in a GET")

	// The real submission ends the session and returns to the tenant-listed URL with state.
	res := e.post(t, c, "/oidc/logout", form, fields.Encode())
	if res.status != http.StatusFound || res.location != "https://tenant.example/bye?state=a%2Bb" {
		t.Fatalf("confirmed: %d %q\n%s", res.status, res.location, res.body)
	}
	if got := e.current(t, c); got != "none" {
		t.Errorf("session %q survived the confirmed logout", got)
	}
	if got := e.current(t, other); got == "none" {
		t.Error("another browser's session ended")
	}

	// A token dies with its session: after signing in again the old one is refused.
	e.signIn(t, c)
	if res := e.post(t, c, "/oidc/logout", form, fields.Encode()); res.status != http.StatusForbidden {
		t.Errorf("old token after a new sign-in: %d %q", res.status, res.location)
	}
	// Without a session there is nothing to confirm.
	if res := e.get(t, e.browser(t), "/oidc/logout"); res.status != http.StatusOK || !strings.Contains(res.body, "You have been logged out") {
		t.Errorf("no session: %d\n%s", res.status, res.body)
	}
}

// flipFirst changes a token's first character (always: a fixed replacement would equal the token
// whenever it already starts with it).
func flipFirst(token string) string {
	if token == "" || token[0] == 'x' {
		return "y" + token[min(1, len(token)):]
	}
	return "x" + token[1:]
}
