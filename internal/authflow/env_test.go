package authflow_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"
	"github.com/gatehouse/gatehouse/internal/testclock"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/web"
	"golang.org/x/crypto/bcrypt"
)

const (
	webAppCallback = "http://localhost:3000/api/auth/callback"
	spaCallback    = "http://localhost:5173/callback"
	apiAudience    = "https://api.yourapp.com"
	userEmail      = "jane@example.com"
	userPassword   = "Correct-Horse-9"
	adminEmail     = "blocked@example.com"
)

// env is a running sign-in flow on 127.0.0.1 over a real SQLite store.
type env struct {
	st        *sqlite.Store
	srv       *httptest.Server
	clock     *testclock.Clock
	webApp    *domain.Client
	spa       *domain.Client
	userID    string
	hasher    password.Hasher
	handler   http.Handler
	postLogin *fakePostLogin
	tokens    *token.Issuer
}

type envOptions struct {
	tls       bool
	noServer  bool
	callbacks []string // extra callbacks for the web app
	gate      *password.Gate
	idTokens  bool // sign ID tokens at /authorize (implicit and hybrid responses)
}

// fakePostLogin records its input and answers with out.
type fakePostLogin struct {
	mu  sync.Mutex
	in  []trigger.PostLogin
	out trigger.Outcome
}

func (f *fakePostLogin) PostLogin(_ context.Context, in trigger.PostLogin) (trigger.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.in = append(f.in, in)
	return f.out, nil
}

func mustStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return sqlitetest.New(tb, sqlite.Options{})
}

func newEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	ctx := context.Background()
	st := mustStore(tb)
	e := &env{st: st, clock: testclock.New(time.Now().UTC()), hasher: password.Hasher{P: password.Fast()}, postLogin: &fakePostLogin{}}

	settings := domain.DefaultTenantSettings()
	settings.FriendlyName = "Acme <Test>"
	settings.AllowedLogoutURLs = []string{"http://localhost:3000"}
	must(tb, st.PutTenantSettings(ctx, settings))

	api := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: "API", Identifier: apiAudience, EnforcePolicies: true,
		Scopes: []domain.Scope{{Value: "read:own_data"}, {Value: "write:own_data"}, {Value: "admin:read"}}}
	domain.ApplyResourceServerDefaults(api)
	must(tb, st.CreateResourceServer(ctx, api))

	e.webApp = &domain.Client{ClientID: domain.NewClientID(), Name: "Web App", AppType: domain.AppTypeRegularWeb,
		Callbacks: append([]string{webAppCallback}, o.callbacks...), AllowedLogoutURLs: []string{"http://localhost:3000"},
		SecretHash: domain.HashSecret("secret")}
	domain.ApplyClientDefaults(e.webApp)
	must(tb, st.CreateClient(ctx, e.webApp))
	e.spa = &domain.Client{ClientID: domain.NewClientID(), Name: "SPA", AppType: domain.AppTypeSPA, Callbacks: []string{spaCallback}}
	domain.ApplyClientDefaults(e.spa)
	must(tb, st.CreateClient(ctx, e.spa))

	hash, err := e.hasher.Hash(userPassword)
	must(tb, err)
	e.hasher.Gate = o.gate
	u := &domain.User{UserID: domain.NewUserID(), Email: userEmail, PasswordHash: hash}
	domain.ApplyUserDefaults(u)
	must(tb, st.CreateUser(ctx, u))
	e.userID = u.UserID
	role := &domain.Role{ID: domain.NewRoleID(), Name: "user"}
	must(tb, st.CreateRole(ctx, role))
	must(tb, st.AddRolePermissions(ctx, role.ID, []domain.Permission{{ResourceServerIdentifier: apiAudience, PermissionName: "read:own_data"}}))
	must(tb, st.AssignRolesToUser(ctx, u.UserID, []string{role.ID}))
	blocked := &domain.User{UserID: domain.NewUserID(), Email: adminEmail, PasswordHash: hash, Blocked: true}
	domain.ApplyUserDefaults(blocked)
	must(tb, st.CreateUser(ctx, blocked))

	issuer := "http://127.0.0.1/"
	if o.tls {
		issuer = "https://127.0.0.1/"
	}
	pages, err := web.Load("")
	must(tb, err)
	sessions, err := session.NewManager(session.Options{Issuer: issuer, Store: st, Now: e.clock.Now})
	must(tb, err)
	rec := &audit.Recorder{Store: st, Now: e.clock.Now}
	var idTokens authflow.IDTokenSigner
	if o.idTokens {
		// Signing keys are generated only where a test needs ID tokens from /authorize: RSA key
		// generation is the slowest thing an env could do.
		master := make([]byte, 32)
		km, err := keys.NewManager(ctx, st, master, keys.Options{Now: e.clock.Now, UnknownKIDReloadInterval: -1})
		must(tb, err)
		e.tokens, err = token.NewIssuer(token.Options{Issuer: issuer, Keys: km, MasterKey: master, Now: e.clock.Now})
		must(tb, err)
		idTokens = e.tokens
	}
	h, err := authflow.New(authflow.Options{Issuer: issuer, Store: st, Sessions: sessions, Hasher: e.hasher,
		Audit: rec, Now: e.clock.Now, PostLogin: e.postLogin, Pages: pages, IDTokens: idTokens})
	must(tb, err)
	mux := http.NewServeMux()
	h.Mount(mux)
	session.NewLogoutHandler(session.LogoutOptions{Store: st, Sessions: sessions, Audit: rec, Pages: pages}).Mount(mux)
	e.handler = mux
	if o.noServer {
		return e
	}
	if o.tls {
		e.srv = httptest.NewTLSServer(mux)
	} else {
		e.srv = httptest.NewServer(mux)
	}
	tb.Cleanup(e.srv.Close)
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// browser returns a client with its own cookie jar that does not follow redirects.
func (e *env) browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	must(tb, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if e.srv.TLS != nil {
		c.Transport = e.srv.Client().Transport
	}
	return c
}

// pkce returns a valid S256 challenge (its verifier is not needed here).
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

func (e *env) webAppParams(extra ...string) url.Values {
	q := url.Values{"client_id": {e.webApp.ClientID}, "redirect_uri": {webAppCallback}, "response_type": {"code"},
		"scope": {"openid profile email offline_access read:own_data admin:read"}, "state": {"st-123"}, "nonce": {"n-1"},
		"audience": {apiAudience}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (e *env) get(tb testing.TB, c *http.Client, path string) page {
	tb.Helper()
	if !strings.HasPrefix(path, "http") {
		path = e.srv.URL + path
	}
	resp, err := c.Get(path)
	must(tb, err)
	return readPage(tb, resp)
}

func (e *env) post(tb testing.TB, c *http.Client, path string, form url.Values) page {
	tb.Helper()
	resp, err := c.PostForm(e.srv.URL+path, form)
	must(tb, err)
	return readPage(tb, resp)
}

func readPage(tb testing.TB, resp *http.Response) page {
	tb.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	must(tb, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// startLogin calls /authorize and returns the login page path and its CSRF token.
func (e *env) startLogin(tb testing.TB, c *http.Client, q url.Values) (loginPath, csrf string) {
	tb.Helper()
	p := e.get(tb, c, "/authorize?"+q.Encode())
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, authflow.LoginPath+"?state=") {
		tb.Fatalf("authorize: status %d location %q body %s", p.status, p.location, p.body)
	}
	lp := e.get(tb, c, p.location)
	if lp.status != http.StatusOK {
		tb.Fatalf("login page: %d %s", lp.status, lp.body)
	}
	m := csrfField.FindStringSubmatch(lp.body)
	if m == nil {
		tb.Fatalf("no csrf field in login page")
	}
	return p.location, m[1]
}

func stateOf(loginPath string) string {
	u, _ := url.Parse(loginPath)
	return u.Query().Get("state")
}

// signIn runs /authorize → login form → callback and returns the callback URL's query.
func (e *env) signIn(tb testing.TB, c *http.Client, q url.Values) url.Values {
	tb.Helper()
	lp, csrf := e.startLogin(tb, c, q)
	p := e.post(tb, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	return callbackQuery(tb, p, q.Get("redirect_uri"))
}

// callbackQuery checks p is a redirect to redirectURI and returns the query it carries.
func callbackQuery(tb testing.TB, p page, redirectURI string) url.Values {
	tb.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, redirectURI+"?") {
		tb.Fatalf("want redirect to %s, got %d %q %s", redirectURI, p.status, p.location, p.body)
	}
	u, err := url.Parse(p.location)
	must(tb, err)
	return u.Query()
}

// redeem consumes a code from the store and returns its record.
func (e *env) redeem(tb testing.TB, code string) *domain.AuthorizationCode {
	tb.Helper()
	rec, err := e.st.RedeemAuthorizationCode(context.Background(), domain.HashSecret(code), time.Now())
	if err != nil {
		tb.Fatalf("redeem code: %v", err)
	}
	return rec
}

func (e *env) logTypes(tb testing.TB) []string {
	tb.Helper()
	events, _, err := e.st.ListLogs(context.Background(), store.LogFilter{}, store.Page{PerPage: 100})
	must(tb, err)
	var out []string
	for _, ev := range events {
		out = append(out, ev.Type)
	}
	return out
}

func bcryptHash(tb testing.TB, pw string) string {
	tb.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	must(tb, err)
	return string(h)
}
