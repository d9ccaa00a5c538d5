package authflow_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestAuthorizePageErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	enc := func(q url.Values) string { return q.Encode() }
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"callback mismatch", enc(e.webAppParams("redirect_uri", "http://localhost:3000/api/auth/callback/")), []string{
			"Callback URL mismatch.",
			"The provided redirect_uri is not in the list of allowed callback URLs.",
			"Please go to the Application Settings page and make sure you are sending a valid callback url from your application.",
		}},
		{"callback other host", enc(e.webAppParams("redirect_uri", "https://evil.example/cb")), []string{"Callback URL mismatch."}},
		{"callback case", enc(e.webAppParams("redirect_uri", "http://LOCALHOST:3000/api/auth/callback")), []string{"Callback URL mismatch."}},
		{"unknown client", enc(e.webAppParams("client_id", "nope<script>")), []string{"invalid_request", "Unknown client: nope&lt;script&gt;"}},
		{"missing client_id", enc(e.webAppParams("client_id", "")), []string{"Missing required parameter: client_id"}},
		{"missing redirect_uri", enc(e.webAppParams("redirect_uri", "")), []string{"Missing required parameter: redirect_uri"}},
		{"repeated redirect_uri", enc(e.webAppParams()) + "&redirect_uri=" + url.QueryEscape(webAppCallback), []string{"Duplicate parameter: redirect_uri"}},
		{"repeated client_id", enc(e.webAppParams()) + "&client_id=" + e.webApp.ClientID, []string{"Duplicate parameter: client_id"}},
		{"malformed query", enc(e.webAppParams()) + "&x=%zz", []string{"malformed"}},
		{"semicolon", enc(e.webAppParams()) + ";x=1", []string{"malformed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.get(t, c, "/authorize?"+tt.query)
			if p.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", p.status)
			}
			if p.location != "" {
				t.Errorf("Location = %q, want none", p.location)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q:\n%s", w, p.body)
				}
			}
			if strings.Contains(p.body, "<script>") {
				t.Error("page echoes unescaped markup")
			}
		})
	}
}

func TestAuthorizeRedirectErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	spa := func(extra ...string) url.Values {
		q := url.Values{"client_id": {e.spa.ClientID}, "redirect_uri": {spaCallback}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s1"}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				q.Del(extra[i])
			} else {
				q.Set(extra[i], extra[i+1])
			}
		}
		return q
	}
	tests := []struct {
		name     string
		query    string
		redirect string
		code     string
		desc     string // substring of error_description
		state    string
	}{
		{"public client without PKCE", spa().Encode(), spaCallback, "invalid_request", "code_challenge", "s1"},
		{"plain method", spa("code_challenge", challenge, "code_challenge_method", "plain").Encode(), spaCallback, "invalid_request", "S256", "s1"},
		{"challenge without method means plain", spa("code_challenge", challenge).Encode(), spaCallback, "invalid_request", "S256", "s1"},
		{"method without challenge", e.webAppParams("code_challenge", "").Encode(), webAppCallback, "invalid_request", "Missing required parameter: code_challenge", "st-123"},
		{"challenge too short", spa("code_challenge", "abc", "code_challenge_method", "S256").Encode(), spaCallback, "invalid_request", "43 to 128", "s1"},
		{"challenge bad characters", spa("code_challenge", strings.Repeat("a", 42)+"=", "code_challenge_method", "S256").Encode(), spaCallback, "invalid_request", "43 to 128", "s1"},
		{"challenge too long", spa("code_challenge", strings.Repeat("a", 129), "code_challenge_method", "S256").Encode(), spaCallback, "invalid_request", "43 to 128", "s1"},
		// RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA256(verifier)), 43 characters, never more.
		{"S256 challenge of 44 characters", spa("code_challenge", challenge+"A", "code_challenge_method", "S256").Encode(), spaCallback, "invalid_request", "exactly 43 for S256", "s1"},
		{"S256 challenge of 128 characters", spa("code_challenge", strings.Repeat("a", 128), "code_challenge_method", "S256").Encode(), spaCallback, "invalid_request", "exactly 43 for S256", "s1"},
		{"unknown method", spa("code_challenge", challenge, "code_challenge_method", "S512").Encode(), spaCallback, "invalid_request", "S512", "s1"},
		{"implicit token", e.webAppParams("response_type", "token").Encode(), webAppCallback, "unsupported_response_type", "token", "st-123"},
		{"missing response_type", e.webAppParams("response_type", "").Encode(), webAppCallback, "invalid_request", "response_type", "st-123"},
		{"unknown audience", e.webAppParams("audience", "https://nope.example").Encode(), webAppCallback, "access_denied", "Service not found: https://nope.example", "st-123"},
		{"repeated scope", e.webAppParams().Encode() + "&scope=openid", webAppCallback, "invalid_request", "Duplicate parameter: scope", "st-123"},
		{"repeated state is not echoed", e.webAppParams().Encode() + "&state=other", webAppCallback, "invalid_request", "Duplicate parameter: state", ""},
		{"repeated extra parameter", e.webAppParams().Encode() + "&auth0Client=a&auth0Client=b", webAppCallback, "invalid_request", "auth0Client", "st-123"},
		{"prompt none with login", e.webAppParams("prompt", "none login").Encode(), webAppCallback, "invalid_request", "prompt", "st-123"},
		{"negative max_age", e.webAppParams("max_age", "-1").Encode(), webAppCallback, "invalid_request", "max_age", "st-123"},
		{"other connection", e.webAppParams("connection", "google-oauth2").Encode(), webAppCallback, "invalid_request", "connection", "st-123"},
		{"organization", e.webAppParams("organization", "org_123").Encode(), webAppCallback, "invalid_request", "organization", "st-123"},
		{"prompt none without session", e.webAppParams("prompt", "none").Encode(), webAppCallback, "login_required", "", "st-123"},
		{"request object", e.webAppParams("request", "eyJhbGciOiJub25lIn0.e30.").Encode(), webAppCallback, "request_not_supported", "request", "st-123"},
		{"request_uri", e.webAppParams("request_uri", "https://app.example/req.jwt").Encode(), webAppCallback, "request_uri_not_supported", "request_uri", "st-123"},
		{"request_uri with prompt none", e.webAppParams("request_uri", "urn:x", "prompt", "none").Encode(), webAppCallback, "request_uri_not_supported", "", "st-123"},
		{"empty request", e.webAppParams().Encode() + "&request=", webAppCallback, "request_not_supported", "", "st-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.get(t, c, "/authorize?"+tt.query)
			q := callbackQuery(t, p, tt.redirect)
			if q.Get("error") != tt.code || !strings.Contains(q.Get("error_description"), tt.desc) {
				t.Errorf("error = %q %q, want %q containing %q", q.Get("error"), q.Get("error_description"), tt.code, tt.desc)
			}
			if _, has := q["state"]; q.Get("state") != tt.state || (tt.state == "" && has) {
				t.Errorf("state = %q, want %q", q.Get("state"), tt.state)
			}
			if q.Get("code") != "" {
				t.Error("an error response carries a code")
			}
		})
	}
}

func TestStateEchoedByteForByte(t *testing.T) {
	e := newEnv(t, envOptions{})
	states := []string{"a b", "ünïcødé ✓ 日本", "x&y=z+%20#frag?", " leading and trailing ", "\"quote'<>"}
	for _, st := range states {
		// Error response (unknown audience) and success response both carry it unchanged.
		p := e.get(t, e.browser(t), "/authorize?"+e.webAppParams("state", st, "audience", "urn:missing").Encode())
		if got := callbackQuery(t, p, webAppCallback).Get("state"); got != st {
			t.Errorf("error response state = %q, want %q", got, st)
		}
		q := e.signIn(t, e.browser(t), e.webAppParams("state", st))
		if got := q.Get("state"); got != st || q.Get("code") == "" {
			t.Errorf("success response state = %q code %q, want %q", got, q.Get("code"), st)
		}
	}
}

func TestFormPostResponse(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams("response_mode", "form_post", "state", "s&<1>"))
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	if p.status != http.StatusOK || p.location != "" {
		t.Fatalf("form_post: status %d location %q", p.status, p.location)
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action http://localhost:3000;") {
		t.Errorf("CSP %q does not limit form-action to the callback origin", csp)
	}
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if m == nil || !strings.Contains(p.body, `<script nonce="`+m[1]+`">`) {
		t.Errorf("script nonce does not match CSP %q", csp)
	}
	if !strings.Contains(p.body, `action="`+webAppCallback+`"`) || !strings.Contains(p.body, "<noscript>") {
		t.Errorf("form does not post to the callback or lacks a noscript button:\n%s", p.body)
	}
	code := regexp.MustCompile(`name="code" value="([^"]+)"`).FindStringSubmatch(p.body)
	state := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(p.body)
	if code == nil || state == nil || html.UnescapeString(state[1]) != "s&<1>" {
		t.Fatalf("hidden fields missing or wrong: %v %v", code, state)
	}
	if rec := e.redeem(t, html.UnescapeString(code[1])); rec.ClientID != e.webApp.ClientID {
		t.Errorf("code belongs to %q", rec.ClientID)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", p.header.Get("Cache-Control"))
	}
}

func TestCallbackWithQueryKeepsIt(t *testing.T) {
	const cb = "http://localhost:3000/cb?tenant=a%2Fb"
	e := newEnv(t, envOptions{callbacks: []string{cb}})
	q := e.webAppParams("redirect_uri", cb)
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, q)
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	if !strings.HasPrefix(p.location, cb+"&code=") {
		t.Fatalf("Location = %q, want the registered query kept and the code appended", p.location)
	}
}

// FuzzAuthorizeParams drives /authorize with arbitrary query strings: it must never panic, and every
// redirect goes either to a hosted page or to a callback registered for some client.
func FuzzAuthorizeParams(f *testing.F) {
	e := newEnv(f, envOptions{noServer: true})
	registered := []string{webAppCallback, spaCallback}
	for _, q := range []string{
		e.webAppParams().Encode(),
		e.webAppParams("redirect_uri", webAppCallback+"/").Encode(),
		e.webAppParams("response_mode", "form_post").Encode(),
		e.webAppParams("response_mode", "fragment", "prompt", "none").Encode(),
		e.webAppParams("audience", "x", "state", "ü").Encode(),
		"client_id=" + e.spa.ClientID + "&redirect_uri=" + url.QueryEscape(spaCallback) + "&response_type=code",
		"client_id=" + e.spa.ClientID + "&redirect_uri=" + url.QueryEscape(spaCallback) + "&redirect_uri=x",
		"", "%", ";", "client_id=&redirect_uri=",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		if len(rawQuery) > 8192 {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/authorize", nil)
		r.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		loc := w.Header().Get("Location")
		switch w.Code {
		case http.StatusFound:
		case http.StatusOK, http.StatusBadRequest:
			if loc != "" {
				t.Fatalf("status %d with Location %q", w.Code, loc)
			}
			return
		default:
			t.Fatalf("unexpected status %d for %q", w.Code, rawQuery)
		}
		if strings.HasPrefix(loc, "/u/login?state=") || strings.HasPrefix(loc, "/u/signup?state=") {
			return
		}
		for _, cb := range registered {
			if strings.HasPrefix(loc, cb+"?") || strings.HasPrefix(loc, cb+"#") {
				return
			}
		}
		t.Fatalf("redirect to unregistered %q for query %q", loc, rawQuery)
	})
}
