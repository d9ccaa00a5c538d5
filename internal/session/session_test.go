package session_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
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
		// https: SameSite=None, so the cross-site iframe of silent authentication carries it; http:
		// Lax, since browsers refuse a None cookie that is not Secure.
		wantSameSite := http.SameSiteLaxMode
		if secure {
			wantSameSite = http.SameSiteNoneMode
		}
		if c.Name != wantName || !c.HttpOnly || c.Secure != secure || c.SameSite != wantSameSite || c.Path != "/" || c.Domain != "" {
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
