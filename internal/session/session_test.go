package session_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/web"
)

type fakeVerifier struct {
	clientID, sid, sub string
	err                error
}

// VerifyIDTokenHint accepts "valid-hint" (for clientID) and "unknown-aud-hint" (a well-signed token
// whose audience is no client); anything else has a bad signature.
func (f fakeVerifier) VerifyIDTokenHint(_ context.Context, raw string) (string, string, string, error) {
	switch raw {
	case "valid-hint":
		return f.clientID, f.sid, f.sub, f.err
	case "unknown-aud-hint":
		return "not-a-client", f.sid, f.sub, nil
	}
	return "", "", "", errors.New("bad signature")
}

type env struct {
	st       *sqlite.Store
	srv      *httptest.Server
	sessions *session.Manager
	client   *domain.Client
	verifier *fakeVerifier
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func newEnv(t *testing.T, issuer string) *env {
	t.Helper()
	ctx := context.Background()
	st := sqlitetest.New(t, sqlite.Options{})
	settings := domain.DefaultTenantSettings()
	settings.AllowedLogoutURLs = []string{"https://tenant.example/bye"}
	must(t, st.PutTenantSettings(ctx, settings))
	e := &env{st: st, verifier: &fakeVerifier{}}
	u := &domain.User{UserID: "auth0|abc", Email: "user@example.com"}
	domain.ApplyUserDefaults(u)
	must(t, st.CreateUser(ctx, u))
	e.client = &domain.Client{ClientID: domain.NewClientID(), Name: "App", Callbacks: []string{"https://allowed.com/cb"},
		AllowedLogoutURLs: []string{"https://allowed.com", "https://allowed.com/bye?x=1"}}
	domain.ApplyClientDefaults(e.client)
	must(t, st.CreateClient(ctx, e.client))
	e.verifier.clientID = e.client.ClientID
	var err error
	e.sessions, err = session.NewManager(session.Options{Issuer: issuer, Store: st})
	must(t, err)
	pages, err := web.Load("")
	must(t, err)
	mux := http.NewServeMux()
	session.NewLogoutHandler(session.LogoutOptions{Store: st, Sessions: e.sessions, Verifier: e.verifier,
		Audit: &audit.Recorder{Store: st}, Pages: pages}).Mount(mux)
	mux.HandleFunc("POST /test/signin", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.sessions.Start(r.Context(), w, r, session.StartParams{UserID: "auth0|abc", ClientID: e.client.ClientID})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_, _ = io.WriteString(w, s.ID)
	})
	mux.HandleFunc("GET /test/current", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.sessions.Current(r.Context(), r)
		if err != nil || s == nil {
			_, _ = io.WriteString(w, "none")
			return
		}
		_, _ = io.WriteString(w, s.ID)
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	must(t, err)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) signIn(t *testing.T, c *http.Client) string {
	t.Helper()
	resp, err := c.Post(e.srv.URL+"/test/signin", "", nil)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || e.current(t, c) != string(b) {
		t.Fatalf("test sign-in failed: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func (e *env) current(t *testing.T, c *http.Client) string {
	t.Helper()
	resp, err := c.Get(e.srv.URL + "/test/current")
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type result struct {
	status   int
	location string
	body     string
}

func (e *env) get(t *testing.T, c *http.Client, path string) result {
	t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

func TestStartCookieAndNewIDs(t *testing.T) {
	for _, issuer := range []string{"http://127.0.0.1/", "https://login.example.com/"} {
		e := newEnv(t, issuer)
		secure := strings.HasPrefix(issuer, "https")
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		s, err := e.sessions.Start(context.Background(), rec, r, session.StartParams{UserID: "auth0|abc"})
		must(t, err)
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("%s: cookies %v", issuer, cookies)
		}
		c := cookies[0]
		wantName := session.CookieNameInsecure
		if secure {
			wantName = session.CookieNameSecure
		}
		if c.Name != wantName || !c.HttpOnly || c.Secure != secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("%s: cookie %+v", issuer, c)
		}
		if strings.Contains(c.Value, s.ID) || len(c.Value) < 43 {
			t.Errorf("cookie value is weak or carries the session id")
		}
		stored, err := e.st.GetSession(context.Background(), s.ID)
		must(t, err)
		if !domain.SecretMatches(stored.TokenHash, c.Value) {
			t.Error("store does not keep the SHA-256 of the cookie secret")
		}
		// Default lifetimes: 7 days absolute, 3 days idle.
		if d := stored.ExpiresAt.Sub(stored.CreatedAt); d != 168*time.Hour {
			t.Errorf("absolute lifetime %v", d)
		}
		if d := stored.IdleExpiresAt.Sub(stored.CreatedAt); d < 71*time.Hour || d > 73*time.Hour {
			t.Errorf("idle lifetime %v", d)
		}
	}
	// A second sign-in in the same browser gets a new id and the old record is gone.
	e := newEnv(t, "http://127.0.0.1/")
	c := e.browser(t)
	first := e.signIn(t, c)
	second := e.signIn(t, c)
	if first == second || e.current(t, c) != second {
		t.Errorf("sign-in reused session: %q %q", first, second)
	}
	if _, err := e.st.GetSession(context.Background(), first); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old session still stored: %v", err)
	}
}

func TestIdleExpiry(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	now := time.Now()
	m, err := session.NewManager(session.Options{Issuer: "http://127.0.0.1/", Store: e.st, Now: func() time.Time { return now }})
	must(t, err)
	rec := httptest.NewRecorder()
	_, err = m.Start(context.Background(), rec, httptest.NewRequest(http.MethodGet, "/", nil), session.StartParams{UserID: "auth0|abc"})
	must(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	if s, _ := m.Current(context.Background(), r); s == nil {
		t.Fatal("fresh session not found")
	}
	now = now.Add(73 * time.Hour)
	if s, _ := m.Current(context.Background(), r); s != nil {
		t.Error("session alive past its idle lifetime")
	}
}

func TestV2LogoutReturnTo(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1/")
	tests := []struct {
		name, query, location string
		status                int
	}{
		{"allowed", "client_id=%s&returnTo=https://allowed.com", "https://allowed.com", 302},
		{"allowed with slash", "client_id=%s&returnTo=https://allowed.com/", "https://allowed.com/", 302},
		{"allowed with query", "client_id=%s&returnTo=" + url.QueryEscape("https://allowed.com/bye?x=1"), "https://allowed.com/bye?x=1", 302},
		{"no returnTo uses the first", "client_id=%s", "https://allowed.com", 302},
		{"other host", "client_id=%s&returnTo=https://evil.com", "", 400},
		{"suffix host", "client_id=%s&returnTo=https://allowed.com.evil.com", "", 400},
		{"scheme-relative", "client_id=%s&returnTo=//evil.com", "", 400},
		{"other path", "client_id=%s&returnTo=https://allowed.com/other", "", 400},
		{"extra query", "client_id=%s&returnTo=" + url.QueryEscape("https://allowed.com/?next=https://evil.com"), "", 400},
		{"query changed", "client_id=%s&returnTo=" + url.QueryEscape("https://allowed.com/bye?x=2"), "", 400},
		{"fragment", "client_id=%s&returnTo=" + url.QueryEscape("https://allowed.com#@evil.com"), "", 400},
		{"userinfo", "client_id=%s&returnTo=" + url.QueryEscape("https://allowed.com@evil.com"), "", 400},
		{"http downgrade", "client_id=%s&returnTo=http://allowed.com", "", 400},
		{"host case", "client_id=%s&returnTo=https://ALLOWED.com", "", 400},
		{"tenant list without client_id", "returnTo=https://tenant.example/bye", "https://tenant.example/bye", 302},
		{"client URL needs client_id", "returnTo=https://allowed.com", "", 400},
		{"nothing: logged-out page", "", "", 200},
		{"id_token_hint ignored", "client_id=%s&returnTo=https://allowed.com&id_token_hint=garbage", "https://allowed.com", 302},
		{"unknown client", "client_id=nope&returnTo=https://allowed.com", "", 400},
		{"repeated returnTo", "client_id=%s&returnTo=https://allowed.com&returnTo=https://evil.com", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser(t)
			sid := e.signIn(t, c)
			q := tt.query
			if strings.Contains(q, "%s") {
				q = strings.Replace(q, "%s", e.client.ClientID, 1)
			}
			res := e.get(t, c, "/v2/logout?"+q)
			if res.status != tt.status || res.location != tt.location {
				t.Errorf("got %d %q, want %d %q", res.status, res.location, tt.status, tt.location)
			}
			if tt.status == 400 && !strings.Contains(res.body, "Allowed Logout URLs") && !strings.Contains(res.body, "invalid_request") {
				t.Errorf("error page does not explain:\n%s", res.body)
			}
			if tt.status == 200 && !strings.Contains(res.body, "You have been logged out") {
				t.Errorf("logged-out page missing")
			}
			// The SSO session ends in every case.
			if got := e.current(t, c); got != "none" {
				t.Errorf("session %q survived logout", got)
			}
			if _, err := e.st.GetSession(context.Background(), sid); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session record survived logout: %v", err)
			}
		})
	}
	events, _, err := e.st.ListLogs(context.Background(), store.LogFilter{}, store.Page{PerPage: 100})
	must(t, err)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	if !slices.Contains(types, "slo") || !slices.Contains(types, "flo") {
		t.Errorf("log types %v lack slo/flo", types)
	}
}

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
	for name, token := range map[string]string{"empty": "", "wrong": "x" + fields.Get("csrf")[1:], "another session's": foreign} {
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
