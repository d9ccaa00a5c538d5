// Package appverify runs the seed guide's "How to Verify It Worked" against a running app, as a
// person would work through it: callback tampering fails, an invalid token gets 401 from the API,
// an expired access token is refreshed, a non-admin is denied the admin route, after logout a
// protected page redirects to login, and the session cookie is HttpOnly and Secure.
//
// The app is driven over HTTP as a browser would drive it (cookies, redirects, the hosted login
// form), or through a real headless browser (see Browser), and each check reports its evidence.
package appverify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Config says where the app is and which of its routes play which part of the guide.
type Config struct {
	App           string // the app's base URL (AUTH0_BASE_URL)
	LoginPath     string // default /api/auth/login
	LogoutPath    string // default /api/auth/logout
	CallbackPath  string // default /api/auth/callback
	ProtectedPage string // a page that needs a session; default /dashboard
	AdminPage     string // a page that needs the admin role; default /admin
	TokenRoute    string // an app route that calls the API with the session's access token; default /api/data
	API           string // a route of the API that validates tokens (the guide's step 7), e.g. http://localhost:3001/api/private
	SessionCookie string // the app's session cookie; default: appSession, __session, or the cookie the callback sets

	User, Password           string // a user without the admin role
	AdminUser, AdminPassword string // optional: a user with it, to show the admin route works at all

	// Wait is how long the access token lives: the refresh check signs in, waits this long and
	// calls TokenRoute again. Zero skips that check.
	Wait time.Duration

	HTTP *http.Client // trusts the app's and the tenant's certificates; its Jar and redirects are set per session
	// Browser, when set, signs in through a real browser (it fills the login form and reads the
	// cookies as the browser stored them); otherwise an HTTP client does.
	Browser Browser
}

// Browser signs a user in through a real browser and reports the app's cookies as it stored
// them; the HTTP checks then go on with those cookies.
type Browser interface {
	SignIn(ctx context.Context, loginURL, user, password string) ([]*http.Cookie, error)
	Name() string
}

// Status of a check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check with what was seen.
type Result struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"` // the guide's words
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence"`
}

func (r *Result) seen(format string, a ...any) {
	r.Evidence = append(r.Evidence, fmt.Sprintf(format, a...))
}
func (r *Result) fail(format string, a ...any) {
	r.Status = Fail
	r.seen(format, a...)
}

func (c *Config) defaults() error {
	u, err := url.Parse(c.App)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--app %q is not an http(s) URL", c.App)
	}
	c.App = strings.TrimRight(c.App, "/")
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.LoginPath, "/api/auth/login")
	def(&c.LogoutPath, "/api/auth/logout")
	def(&c.CallbackPath, "/api/auth/callback")
	def(&c.ProtectedPage, "/dashboard")
	def(&c.AdminPage, "/admin")
	def(&c.TokenRoute, "/api/data")
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 20 * time.Second}
	}
	if c.User == "" || c.Password == "" {
		return errors.New("a user without the admin role is needed (--user and --password)")
	}
	return nil
}

// Run works through the guide's list and returns one result per check, in the guide's order.
func Run(ctx context.Context, c Config) ([]Result, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	v := &verifier{Config: c}
	results := []Result{v.callbackTampering(ctx), v.invalidToken(ctx)}
	// One signed-in session serves the next checks, in an order where each leaves the next a
	// session to work with: refresh, roles, cookies, then logout.
	s, signInErr := v.signIn(ctx, c.User, c.Password)
	results = append(results, v.refresh(ctx, s, signInErr), v.roles(ctx, s, signInErr), v.logout(ctx, s, signInErr), v.cookies(s, signInErr))
	return results, nil
}

type verifier struct {
	Config
}

// callbackTampering: the tenant refuses an authorization request whose callback was changed,
// and the app refuses a callback it did not start.
func (v *verifier) callbackTampering(ctx context.Context) Result {
	r := Result{ID: "callback-tampering", Title: "Test callback URL validation: modifying the callback URL fails", Status: Pass}
	s := v.newSession()
	resp, _, err := s.do(ctx, http.MethodGet, v.App+v.LoginPath, nil)
	if err != nil {
		r.fail("GET %s: %v", v.LoginPath, err)
		return r
	}
	auth, err := resp.Location()
	if err != nil || !isRedirect(resp.StatusCode) {
		r.fail("GET %s answered %d, not a redirect to the tenant's /authorize", v.LoginPath, resp.StatusCode)
		return r
	}
	q := auth.Query()
	if q.Get("redirect_uri") == "" {
		r.fail("the authorization request %s carries no redirect_uri", redact(auth))
		return r
	}
	r.seen("%s sends the browser to %s with redirect_uri=%s", v.LoginPath, auth.Host+auth.Path, q.Get("redirect_uri"))
	const tampered = "https://tampered.invalid/api/auth/callback"
	q.Set("redirect_uri", tampered)
	auth.RawQuery = q.Encode()
	resp, body, err := s.do(ctx, http.MethodGet, auth.String(), nil)
	switch {
	case err != nil:
		r.fail("the tampered request failed to reach the tenant: %v", err)
	case isRedirect(resp.StatusCode) && strings.HasPrefix(resp.Header.Get("Location"), tampered):
		r.fail("with redirect_uri=%s the tenant redirected there (%d): callbacks are not matched exactly", tampered, resp.StatusCode)
	default:
		r.seen("with redirect_uri=%s the tenant answered %d %q", tampered, resp.StatusCode, pageText(body, 120))
	}
	// A callback the app did not start: a forged code and state must not make a session.
	resp, _, err = s.do(ctx, http.MethodGet, v.App+v.CallbackPath+"?code=forged-code&state=forged-state", nil)
	if err != nil {
		r.fail("GET %s: %v", v.CallbackPath, err)
		return r
	}
	r.seen("a forged callback (code and state made up) answered %d", resp.StatusCode)
	if signedIn, why := v.hasSession(ctx, s); signedIn {
		r.fail("after the forged callback %s", why)
	}
	return r
}

// invalidToken: the API answers 401 with no token, a malformed one, and a well-formed JWT signed
// by a key that is not the tenant's.
func (v *verifier) invalidToken(ctx context.Context) Result {
	r := Result{ID: "invalid-token", Title: "Test token validation: an invalid token gets 401 from the API", Status: Pass}
	if v.API == "" {
		r.Status = Skip
		r.seen("no API route given (--api URL of a route that validates access tokens, the guide's step 7)")
		return r
	}
	forged, err := forgedJWT()
	if err != nil {
		r.fail("making a forged token: %v", err)
		return r
	}
	for _, tc := range []struct{ name, header string }{
		{"no token", ""},
		{"a malformed token", "Bearer not-a-jwt"},
		{"a JWT signed by another key", "Bearer " + forged},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.API, nil)
		if err != nil {
			r.fail("%v", err)
			return r
		}
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := v.HTTP.Do(req)
		if err != nil {
			r.fail("GET %s with %s: %v", v.API, tc.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			r.fail("GET %s with %s answered %d, not 401", v.API, tc.name, resp.StatusCode)
			continue
		}
		r.seen("GET %s with %s: 401 (%s)", v.API, tc.name, resp.Header.Get("WWW-Authenticate"))
	}
	return r
}

// forgedJWT is a token of the right shape signed by a key the tenant never published.
func forgedJWT() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "forged"))
	if err != nil {
		return "", err
	}
	now := time.Now()
	return jwt.Signed(sig).Claims(jwt.Claims{Subject: "auth0|forged", Audience: jwt.Audience{"forged"}, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Serialize()
}

// refresh: the app's token route works, and works again once the access token has expired.
func (v *verifier) refresh(ctx context.Context, s *session, signInErr error) Result {
	r := Result{ID: "refresh", Title: "Test expired tokens: after the access token expires, refresh works", Status: Pass}
	if signInErr != nil {
		r.fail("signing in as %s failed: %v", v.User, signInErr)
		return r
	}
	call := func(when string) bool {
		resp, body, err := s.follow(ctx, http.MethodGet, v.App+v.TokenRoute, nil)
		if err != nil {
			r.fail("GET %s %s: %v", v.TokenRoute, when, err)
			return false
		}
		if resp.StatusCode != http.StatusOK {
			r.fail("GET %s %s answered %d %q", v.TokenRoute, when, resp.StatusCode, pageText(body, 160))
			return false
		}
		r.seen("GET %s %s: 200", v.TokenRoute, when)
		return true
	}
	if !call("right after sign-in") {
		return r
	}
	if v.Wait <= 0 {
		r.Status = Skip
		r.seen("--wait not given: set it to the API's access token lifetime to see an expired token refreshed")
		return r
	}
	select {
	case <-ctx.Done():
		r.fail("stopped while waiting: %v", ctx.Err())
		return r
	case <-time.After(v.Wait):
	}
	call(fmt.Sprintf("%s later, with the first access token expired", v.Wait))
	return r
}

// roles: a user without the admin role does not get the admin page; an admin, when given, does.
func (v *verifier) roles(ctx context.Context, s *session, signInErr error) Result {
	r := Result{ID: "roles", Title: "Test role-based access: the admin route without the admin role is denied", Status: Pass}
	if signInErr != nil {
		r.fail("signing in as %s failed: %v", v.User, signInErr)
		return r
	}
	resp, body, err := s.follow(ctx, http.MethodGet, v.App+v.AdminPage, nil)
	if err != nil {
		r.fail("GET %s: %v", v.AdminPage, err)
		return r
	}
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Path == v.AdminPage {
		r.fail("%s (no admin role) got %s: 200 %q", v.User, v.AdminPage, pageText(body, 120))
	} else {
		r.seen("%s (no admin role) asked for %s and got %d at %s", v.User, v.AdminPage, resp.StatusCode, resp.Request.URL.Path)
	}
	if v.AdminUser == "" {
		return r
	}
	as, err := v.signIn(ctx, v.AdminUser, v.AdminPassword)
	if err != nil {
		r.fail("signing in as %s failed: %v", v.AdminUser, err)
		return r
	}
	resp, _, err = as.follow(ctx, http.MethodGet, v.App+v.AdminPage, nil)
	switch {
	case err != nil:
		r.fail("GET %s as %s: %v", v.AdminPage, v.AdminUser, err)
	case resp.StatusCode != http.StatusOK || resp.Request.URL.Path != v.AdminPage:
		r.fail("%s (admin) was denied %s too (%d at %s): the route is broken rather than role-checked", v.AdminUser, v.AdminPage, resp.StatusCode, resp.Request.URL.Path)
	default:
		r.seen("%s (admin) got %s: 200", v.AdminUser, v.AdminPage)
	}
	return r
}

// logout: after logout the protected page sends the browser to log in, and the tenant's session
// is gone too (logging in again shows the login form).
func (v *verifier) logout(ctx context.Context, s *session, signInErr error) Result {
	r := Result{ID: "logout", Title: "Test logout: after signing out, a protected page redirects to login", Status: Pass}
	if signInErr != nil {
		r.fail("signing in as %s failed: %v", v.User, signInErr)
		return r
	}
	if ok, why := v.hasSession(ctx, s); !ok {
		r.fail("before logout the session is not there: %s", why)
		return r
	}
	resp, _, err := s.follow(ctx, http.MethodGet, v.App+v.LogoutPath, nil)
	if err != nil {
		r.fail("GET %s: %v", v.LogoutPath, err)
		return r
	}
	r.seen("GET %s ended at %s (%d) after %d redirect(s)", v.LogoutPath, hostPath(resp.Request.URL), resp.StatusCode, len(s.lastHops)-1)
	if !s.visited("/v2/logout", "/oidc/logout") {
		r.fail("logout never reached the tenant's /v2/logout or /oidc/logout: the tenant's session stays")
	}
	if ok, why := v.hasSession(ctx, s); ok {
		r.fail("after logout %s", why)
	} else {
		r.seen("after logout %s", why)
	}
	resp, body, err := s.follow(ctx, http.MethodGet, v.App+v.LoginPath, nil)
	switch {
	case err != nil:
		r.fail("logging in again: %v", err)
	case !strings.Contains(body, `type="password"`):
		r.fail("logging in again did not show the login form (ended at %s, %d): the tenant's session survived", hostPath(resp.Request.URL), resp.StatusCode)
	default:
		r.seen("logging in again shows the login form at %s", hostPath(resp.Request.URL))
	}
	return r
}

// hasSession says whether the protected page serves s, and what happened.
func (v *verifier) hasSession(ctx context.Context, s *session) (bool, string) {
	resp, _, err := s.do(ctx, http.MethodGet, v.App+v.ProtectedPage, nil)
	if err != nil {
		return false, fmt.Sprintf("GET %s failed: %v", v.ProtectedPage, err)
	}
	if resp.StatusCode == http.StatusOK {
		return true, fmt.Sprintf("GET %s answered 200", v.ProtectedPage)
	}
	loc := resp.Header.Get("Location")
	if isRedirect(resp.StatusCode) && (strings.Contains(loc, v.LoginPath) || strings.Contains(loc, "/authorize")) {
		return false, fmt.Sprintf("GET %s redirected to %s", v.ProtectedPage, loc)
	}
	return false, fmt.Sprintf("GET %s answered %d (Location %q), not a redirect to login", v.ProtectedPage, resp.StatusCode, loc)
}

// cookies: the session cookie the callback set is HttpOnly, and Secure wherever the app is
// served over https (a browser drops Secure cookies on plain http, so an app on
// http://localhost cannot set it); SameSite is reported.
func (v *verifier) cookies(s *session, signInErr error) Result {
	r := Result{ID: "cookies", Title: "Verify cookies: the session cookie has the HttpOnly and Secure flags", Status: Pass}
	if signInErr != nil {
		r.fail("signing in as %s failed: %v", v.User, signInErr)
		return r
	}
	c := s.sessionCookie(v.SessionCookie)
	if c == nil {
		r.fail("the sign-in set no session cookie%s", ifName(v.SessionCookie))
		return r
	}
	app, _ := url.Parse(v.App)
	r.seen("session cookie %s: HttpOnly=%t Secure=%t SameSite=%s Path=%s (%s)", c.Name, c.HttpOnly, c.Secure, sameSite(c.SameSite), c.Path, s.cookieSource)
	if !c.HttpOnly {
		r.fail("%s is not HttpOnly: any script on the page can read the session", c.Name)
	}
	switch {
	case c.Secure:
	case app.Scheme == "https":
		r.fail("%s is not Secure although the app is served over https", c.Name)
	case loopback(app.Hostname()):
		r.seen("the app runs on %s over plain http, where a browser keeps no Secure cookie; served over https the cookie must be Secure", app.Host)
	default:
		r.fail("%s is not Secure and the app is served over plain http off this machine", c.Name)
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		r.fail("%s is SameSite=None without Secure, which browsers refuse", c.Name)
	}
	return r
}

func ifName(n string) string {
	if n == "" {
		return ""
	}
	return " named " + n
}

func sameSite(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return "(not set: browsers treat it as Lax)"
}
