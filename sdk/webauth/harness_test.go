package webauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

const testSecret = "0123456789abcdef0123456789abcdef-test-secret"

// env is one app under test: a fake issuer, a webauth client and the seed guide's routes.
type env struct {
	t      *testing.T
	clock  *testClock
	issuer *fakeIssuer
	client *webauth.Client
	app    http.Handler
}

func newEnv(t *testing.T, mutate ...func(*webauth.Config)) *env {
	t.Helper()
	clock := newClock()
	iss := newFakeIssuer(t, clock)
	cfg := webauth.Config{
		Secret:        testSecret,
		BaseURL:       "http://localhost:3000",
		IssuerBaseURL: iss.srv.URL, // no trailing slash, as in the guide
		ClientID:      testClientID,
		ClientSecret:  testClientSecret,
		Audience:      "https://api.yourapp.com",
		HTTPClient:    iss.srv.Client(),
		Now:           clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := webauth.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", c.Handler())
	mux.Handle("/admin/login", c.LoginHandler(webauth.LoginOptions{Scope: "openid profile email admin:read", ReturnTo: "/admin"}))
	mux.Handle("/dashboard", c.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := webauth.SessionFrom(r.Context())
		fmt.Fprintf(w, "Welcome, %s", s.User.Name())
	})))
	mux.Handle("/api/protected/data", c.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := c.AccessToken(w, r, webauth.AccessTokenOptions{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, tok)
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	return &env{t: t, clock: clock, issuer: iss, client: c, app: mux}
}

// browser keeps cookies between requests like a user agent would (RFC 6265, simplified: one
// host, and Max-Age<=0 deletes).
type browser struct {
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

func (b *browser) do(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return rec
}

func (b *browser) get(h http.Handler, target string) *httptest.ResponseRecorder {
	return b.do(h, http.MethodGet, target, nil)
}

func (b *browser) names() []string {
	var out []string
	for n := range b.cookies {
		out = append(out, n)
	}
	return out
}

// authorize follows the login redirect to the fake issuer and returns the callback URL
// (path and query on the app) the issuer redirects back to.
func (e *env) authorize(b *browser, loginPath string) string {
	e.t.Helper()
	rec := b.get(e.app, loginPath)
	if rec.Code != http.StatusFound {
		e.t.Fatalf("login: status %d, body %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, e.issuer.srv.URL+"/authorize?") {
		e.t.Fatalf("login redirected to %q", loc)
	}
	hc := *e.issuer.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(loc)
	if err != nil {
		e.t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || cb.Path != "/api/auth/callback" {
		e.t.Fatalf("authorize redirected to %q", resp.Header.Get("Location"))
	}
	return cb.RequestURI()
}

// login runs login → issuer → callback and returns the callback response.
func (e *env) login(b *browser, loginPath string) *httptest.ResponseRecorder {
	e.t.Helper()
	return b.get(e.app, e.authorize(b, loginPath))
}

func (e *env) mustLogin(b *browser) {
	e.t.Helper()
	rec := e.login(b, "/api/auth/login")
	if rec.Code != http.StatusFound {
		e.t.Fatalf("callback: status %d, body %s", rec.Code, rec.Body)
	}
}

func (e *env) me(b *browser) (int, map[string]any) {
	e.t.Helper()
	rec := b.get(e.app, "/api/auth/me")
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body
}

// setCookies returns the response's Set-Cookie values by cookie name.
func setCookies(rec *httptest.ResponseRecorder) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range rec.Result().Cookies() {
		out[c.Name] = c
	}
	return out
}
