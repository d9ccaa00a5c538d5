package authflow_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

func TestLoginPageContract(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	p := e.get(t, c, "/authorize?"+e.webAppParams("login_hint", "hint@example.com").Encode())
	lp := e.get(t, c, p.location)
	for _, want := range []string{`name="username"`, `name="password"`, `type="password"`, `name="csrf"`,
		`value="hint@example.com"`, `<label for="username">`, `<label for="password">`, `aria-live`,
		"Acme &lt;Test&gt;", "Web App", authflow.SignupPath + "?state="} {
		if !strings.Contains(lp.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if strings.Contains(lp.body, "<script") {
		t.Error("login page needs JavaScript")
	}
	// Browsers apply form-action to the redirect after the POST: the app's callback origin must be in it.
	redirect, _ := url.Parse(e.webAppParams().Get("redirect_uri"))
	if csp := lp.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+redirect.Scheme+"://"+redirect.Host+";") {
		t.Errorf("login page CSP %q does not let the form's redirect reach %s", csp, redirect.Host)
	}
	if lp.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", lp.header.Get("Cache-Control"))
	}
	if css := e.get(t, c, "/u/static/base.css"); css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("static css: %d %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestLoginSuccessStoresCode(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.postLogin.out = trigger.Outcome{
		IDTokenClaims:     map[string]any{"https://yourapp.com/roles": []any{"user"}},
		AccessTokenClaims: map[string]any{"https://yourapp.com/roles": []any{"user"}},
		AddScopes:         []string{"write:own_data"},
		RemoveScopes:      []string{"email"},
	}
	c := e.browser(t)
	q := e.signIn(t, c, e.webAppParams())
	if q.Get("state") != "st-123" || len(q) != 2 {
		t.Fatalf("callback query = %v, want code and state only", q)
	}
	rec := e.redeem(t, q.Get("code"))
	switch {
	case rec.ClientID != e.webApp.ClientID, rec.UserID != e.userID, rec.RedirectURI != webAppCallback,
		rec.Audience != apiAudience, rec.Nonce != "n-1", rec.CodeChallenge != challenge, rec.CodeChallengeMethod != "S256",
		rec.SessionID == "", rec.AuthTime.IsZero(), rec.IncludeAuthTime:
		t.Errorf("code record = %+v", rec)
	}
	// RBAC: admin:read is not held and is dropped; the Action adds write:own_data and removes email.
	if rec.Scope != "openid profile offline_access read:own_data write:own_data" {
		t.Errorf("scope = %q", rec.Scope)
	}
	if got := rec.ExpiresAt.Sub(rec.CreatedAt); got != domain.AuthorizationCodeLifetime {
		t.Errorf("code lifetime = %v", got)
	}
	if rec.IDTokenClaims["https://yourapp.com/roles"] == nil || rec.AccessTokenClaims["https://yourapp.com/roles"] == nil {
		t.Errorf("action claims not stored: %v %v", rec.IDTokenClaims, rec.AccessTokenClaims)
	}
	if !slices.Equal(rec.ActionScopes, []string{"write:own_data"}) {
		t.Errorf("scopes added by actions = %v", rec.ActionScopes)
	}
	in := e.postLogin.in[0]
	if in.Roles != nil || in.User.UserID != e.userID || in.Audience != apiAudience ||
		in.Session == nil || in.Session.ID != rec.SessionID || !in.Interactive || in.Methods[0].Name != "pwd" {
		t.Errorf("post-login input = %+v", in)
	}
	s, err := e.st.GetSession(context.Background(), rec.SessionID)
	must(t, err)
	if s.UserID != e.userID || !slices.Contains(s.ClientIDs, e.webApp.ClientID) {
		t.Errorf("session = %+v", s)
	}
	u, err := e.st.GetUser(context.Background(), e.userID)
	must(t, err)
	if u.LoginsCount != 1 {
		t.Errorf("logins_count = %d", u.LoginsCount)
	}
	if types := e.logTypes(t); !slices.Contains(types, "s") {
		t.Errorf("log types %v lack s", types)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams())
	form := func(user, pw string) url.Values {
		return url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {user}, "password": {pw}}
	}
	wrong := e.post(t, c, lp, form(userEmail, "Wrong-Password-1"))
	unknown := e.post(t, c, lp, form("nobody@example.com", "Wrong-Password-1"))
	for _, p := range []page{wrong, unknown} {
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, authflow.MsgWrongCredentials) || p.location != "" {
			t.Errorf("failure: %d %q", p.status, p.location)
		}
		if len(p.header.Values("Set-Cookie")) != 0 {
			t.Errorf("failure sets cookies: %v", p.header.Values("Set-Cookie"))
		}
	}
	if wrong.status != unknown.status {
		t.Errorf("statuses differ: %d vs %d", wrong.status, unknown.status)
	}
	types := e.logTypes(t)
	if !slices.Contains(types, "fp") || !slices.Contains(types, "fu") {
		t.Errorf("log types %v lack fp/fu", types)
	}
	// The transaction survives failed attempts.
	q := callbackQuery(t, e.post(t, c, lp, form(userEmail, userPassword)), webAppCallback)
	if q.Get("code") == "" {
		t.Error("no code after a correct password")
	}
}

// TestLoginBusyWhenHashingIsFull: with password hashing at its memory budget, a sign-in (known user
// or not) is refused with 503, Retry-After and a message, after a bounded wait; once a slot frees,
// the same form signs in.
func TestLoginBusyWhenHashingIsFull(t *testing.T) {
	gate := password.NewGate(1, 1)
	e := newEnv(t, envOptions{gate: gate})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams())
	form := func(user, pw string) url.Values {
		return url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {user}, "password": {pw}}
	}
	release, ok := gate.TryAcquire()
	if !ok {
		t.Fatal("gate not free")
	}
	for _, user := range []string{userEmail, "nobody@example.com"} {
		p := e.post(t, c, lp, form(user, userPassword))
		if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") != "1" || !strings.Contains(p.body, authflow.MsgBusy) {
			t.Errorf("%s while hashing is full: %d Retry-After %q", user, p.status, p.header.Get("Retry-After"))
		}
	}
	release()
	if q := callbackQuery(t, e.post(t, c, lp, form(userEmail, userPassword)), webAppCallback); q.Get("code") == "" {
		t.Error("no code once the gate is free")
	}
}

func TestLoginCSRFAndBrowserBinding(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams())
	ok := url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}}
	for name, csrfValue := range map[string]string{"missing": "", "wrong": strings.Repeat("A", len(csrf)), "other transaction": ""} {
		f := url.Values{}
		for k, v := range ok {
			f[k] = v
		}
		if name == "other transaction" {
			_, other := e.startLogin(t, c, e.webAppParams())
			csrfValue = other
		}
		f.Set("csrf", csrfValue)
		p := e.post(t, c, lp, f)
		if p.status != http.StatusForbidden || p.location != "" || !strings.Contains(p.body, authflow.MsgFormExpired) {
			t.Errorf("csrf %s: %d %q", name, p.status, p.location)
		}
	}
	// Another browser (its own cookie jar) presenting the same transaction id and token.
	other := e.browser(t)
	for _, p := range []page{e.get(t, other, lp), e.post(t, other, lp, ok)} {
		if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.body, "This login link is no longer valid") {
			t.Errorf("other browser: %d %q", p.status, p.location)
		}
	}
	if u, _ := e.st.GetUser(context.Background(), e.userID); u.LoginsCount != 0 {
		t.Errorf("a rejected attempt signed in: logins_count = %d", u.LoginsCount)
	}
	// The right browser still completes, once.
	callbackQuery(t, e.post(t, c, lp, ok), webAppCallback)
	if p := e.post(t, c, lp, ok); p.status != http.StatusBadRequest || !strings.Contains(p.body, "no longer valid") {
		t.Errorf("replayed transaction: %d %q", p.status, p.location)
	}
	if p := e.get(t, c, authflow.LoginPath+"?state=unknown"); p.status != http.StatusBadRequest {
		t.Errorf("unknown transaction: %d", p.status)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		e := newEnv(t, envOptions{tls: tlsOn})
		c := e.browser(t)
		lp, csrf := e.startLogin(t, c, e.webAppParams())
		resp, err := c.PostForm(e.srv.URL+lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
		must(t, err)
		resp.Body.Close()
		wantName := session.CookieNameInsecure
		if tlsOn {
			wantName = session.CookieNameSecure
		}
		var found *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == wantName {
				found = ck
			}
		}
		if found == nil {
			t.Fatalf("tls=%v: no %s cookie in %v", tlsOn, wantName, resp.Header.Values("Set-Cookie"))
		}
		// The SSO session is sent cross-site on https (silent authentication in an SPA's iframe).
		wantSameSite := http.SameSiteLaxMode
		if tlsOn {
			wantSameSite = http.SameSiteNoneMode
		}
		if !found.HttpOnly || found.SameSite != wantSameSite || found.Path != "/" || found.Domain != "" || found.Secure != tlsOn {
			t.Errorf("tls=%v: cookie %+v", tlsOn, found)
		}

		// The login transaction's binding is never needed cross-site: it stays Lax.
		ar, err := c.Get(e.srv.URL + "/authorize?" + e.webAppParams("prompt", "login").Encode())
		must(t, err)
		ar.Body.Close()
		var tx *http.Cookie
		for _, ck := range ar.Cookies() {
			if ck.Name == authflow.TxCookieInsecure || ck.Name == authflow.TxCookieSecure {
				tx = ck
			}
		}
		if tx == nil || tx.SameSite != http.SameSiteLaxMode || !tx.HttpOnly || tx.Secure != tlsOn {
			t.Errorf("tls=%v: binding cookie %+v", tlsOn, tx)
		}
	}
}

func TestSSOAndNewSessionPerSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	first := e.redeem(t, e.signIn(t, c, e.webAppParams()).Get("code"))

	// A second app signs in without the form while the session lives.
	spaQ := url.Values{"client_id": {e.spa.ClientID}, "redirect_uri": {spaCallback}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"spa"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	q := callbackQuery(t, e.get(t, c, "/authorize?"+spaQ.Encode()), spaCallback)
	if q.Get("state") != "spa" {
		t.Errorf("state = %q", q.Get("state"))
	}
	sso := e.redeem(t, q.Get("code"))
	if sso.SessionID != first.SessionID || sso.UserID != e.userID || sso.IncludeAuthTime {
		t.Errorf("SSO code = %+v", sso)
	}
	// prompt=none with a session answers with a code.
	q = callbackQuery(t, e.get(t, c, "/authorize?"+e.webAppParams("prompt", "none").Encode()), webAppCallback)
	if q.Get("code") == "" {
		t.Errorf("prompt=none with a session: %v", q)
	}
	// prompt=login shows the form again, and the new sign-in gets a new session id.
	lp, csrf := e.startLogin(t, c, e.webAppParams("prompt", "login"))
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	again := e.redeem(t, callbackQuery(t, p, webAppCallback).Get("code"))
	if again.SessionID == first.SessionID || !again.IncludeAuthTime {
		t.Errorf("re-authentication reused session %q (include auth_time %v)", again.SessionID, again.IncludeAuthTime)
	}
	if _, err := e.st.GetSession(context.Background(), first.SessionID); err == nil {
		t.Error("the previous session survived a new sign-in")
	}
	types := e.logTypes(t)
	if !slices.Contains(types, "ssa") {
		t.Errorf("log types %v lack ssa", types)
	}
}

func TestMaxAge(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	e.signIn(t, c, e.webAppParams())
	e.clock.Advance(10 * time.Minute)
	// Recent enough: no form, auth_time included.
	q := callbackQuery(t, e.get(t, c, "/authorize?"+e.webAppParams("max_age", "3600").Encode()), webAppCallback)
	if rec := e.redeem(t, q.Get("code")); !rec.IncludeAuthTime {
		t.Error("max_age did not ask for auth_time")
	}
	// Too old: the form again; max_age=0 likewise.
	for _, ma := range []string{"60", "0"} {
		p := e.get(t, c, "/authorize?"+e.webAppParams("max_age", ma).Encode())
		if !strings.HasPrefix(p.location, authflow.LoginPath) {
			t.Errorf("max_age=%s: Location = %q, want the login page", ma, p.location)
		}
	}
	// prompt=none cannot show it.
	q = callbackQuery(t, e.get(t, c, "/authorize?"+e.webAppParams("max_age", "60", "prompt", "none").Encode()), webAppCallback)
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none with an old session: %v", q)
	}
}

func TestBlockedAndDenied(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams())
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {adminEmail}, "password": {userPassword}})
	if q := callbackQuery(t, p, webAppCallback); q.Get("error") != "access_denied" || q.Get("error_description") != "user is blocked" || q.Get("state") != "st-123" {
		t.Errorf("blocked user: %v", q)
	}
	e.postLogin.out = trigger.Outcome{Denial: &trigger.Denial{Code: "access_denied", Reason: "Only staff may sign in"},
		AppMetadata: map[string]any{"denied": true}}
	q := e.signIn(t, e.browser(t), e.webAppParams())
	if q.Get("error") != "access_denied" || q.Get("error_description") != "Only staff may sign in" || q.Get("code") != "" {
		t.Errorf("denied by action: %v", q)
	}
	// The metadata the Actions queued is saved although they denied (spec §5.3).
	u, err := e.st.GetUser(context.Background(), e.userID)
	must(t, err)
	if u.AppMetadata["denied"] != true {
		t.Errorf("app_metadata after a denial: %v", u.AppMetadata)
	}
}

func TestSignup(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser(t)
	p := e.get(t, c, "/authorize?"+e.webAppParams("screen_hint", "signup").Encode())
	if !strings.HasPrefix(p.location, authflow.SignupPath+"?state=") {
		t.Fatalf("screen_hint=signup: Location = %q", p.location)
	}
	sp := e.get(t, c, p.location)
	m := csrfField.FindStringSubmatch(sp.body)
	if sp.status != http.StatusOK || m == nil || !strings.Contains(sp.body, `name="email"`) || !strings.Contains(sp.body, authflow.LoginPath+"?state=") {
		t.Fatalf("signup page: %d", sp.status)
	}
	form := func(email, pw string) url.Values {
		return url.Values{"state": {stateOf(p.location)}, "csrf": {m[1]}, "email": {email}, "password": {pw}}
	}
	weak := e.post(t, c, p.location, form("new@example.com", "short"))
	if weak.status != http.StatusBadRequest || !strings.Contains(weak.body, "Your password is too weak") ||
		!strings.Contains(weak.body, `<li class="unmet">`) || !strings.Contains(weak.body, "At least 8 characters in length") {
		t.Errorf("weak password: %d", weak.status)
	}
	dup := e.post(t, c, p.location, form("JANE@example.com", "Another-Pass-7"))
	if dup.status != http.StatusBadRequest || !strings.Contains(dup.body, authflow.MsgSignupFailed) || strings.Contains(dup.body, "exists") {
		t.Errorf("duplicate email: %d", dup.status)
	}
	bad := e.post(t, c, p.location, form("not-an-email", "Another-Pass-7"))
	if bad.status != http.StatusBadRequest {
		t.Errorf("invalid email: %d", bad.status)
	}
	q := callbackQuery(t, e.post(t, c, p.location, form("New@Example.com", "Another-Pass-7")), webAppCallback)
	rec := e.redeem(t, q.Get("code"))
	u, err := e.st.GetUser(context.Background(), rec.UserID)
	must(t, err)
	if u.Email != "new@example.com" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") || u.UserID == e.userID {
		t.Errorf("new user = %+v", u)
	}
	types := e.logTypes(t)
	if !slices.Contains(types, "ss") || !slices.Contains(types, "fs") {
		t.Errorf("log types %v lack ss/fs", types)
	}
}

func TestBcryptHashUpgraded(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	u, err := e.st.GetUser(ctx, e.userID)
	must(t, err)
	// bcrypt of userPassword at cost 4 (an imported hash).
	u.PasswordHash = bcryptHash(t, userPassword)
	must(t, e.st.UpdateUser(ctx, u))
	e.signIn(t, e.browser(t), e.webAppParams())
	u, err = e.st.GetUser(ctx, e.userID)
	must(t, err)
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("hash not upgraded: %q", u.PasswordHash[:10])
	}
}

func TestDefaultAudienceAndFragmentMode(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	settings, err := e.st.GetTenantSettings(ctx)
	must(t, err)
	settings.DefaultAudience = apiAudience
	must(t, e.st.PutTenantSettings(ctx, settings))
	c := e.browser(t)
	lp, csrf := e.startLogin(t, c, e.webAppParams("audience", "", "response_mode", "fragment"))
	p := e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, webAppCallback+"#code=") {
		t.Fatalf("fragment response: %d %q", p.status, p.location)
	}
	u, err := url.Parse(p.location)
	must(t, err)
	frag, err := url.ParseQuery(u.Fragment)
	must(t, err)
	if frag.Get("state") != "st-123" {
		t.Errorf("fragment state = %q", frag.Get("state"))
	}
	if rec := e.redeem(t, frag.Get("code")); rec.Audience != apiAudience {
		t.Errorf("audience = %q, want the tenant default", rec.Audience)
	}
}
