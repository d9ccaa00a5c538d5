package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestTOTPEndToEnd: the tenant asks MFA of every sign-in. The admin enrolls an authenticator app
// (the code computed here from the key the page shows), gets amr and acr in a verified ID token and
// keeps them on refresh; a later sign-in from another browser is challenged: the code already used
// is refused, one two steps old is refused, the next step's code passes; then wrong codes end a
// transaction at its limit and block the user at theirs, right code or not.
func TestTOTPEndToEnd(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		setMFAPolicy(t, n.node, domain.PolicyAllApplications)
		client := newMFAClient(t, n.node)
		admin := n.tenant.Users[0]

		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		b.start(authURL, admin.Email, admin.Password)
		secret, _ := b.enroll()
		enrolledAt := n.clock.Now()
		claims, tok := client.idToken(t, b.finish(), verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
		if logCount(t, n.node, audit.TypeMFAEnrollmentComplete) != 1 {
			t.Error("no gd_enrollment_complete log")
		}
		// A refresh keeps what the sign-in established.
		refreshed, err := client.cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		wantMFAClaims(t, client.verify(t, refreshed), "pwd", "mfa", "otp")

		// The same browser signs in again: its SSO session passed MFA, no page is shown.
		authURL, verifier = client.authURL()
		b.start(authURL, admin.Email, admin.Password)
		claims, _ = client.idToken(t, b.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")

		// Another browser is challenged.
		b2 := newMFABrowser(t, n)
		authURL, verifier = client.authURL()
		if loc := b2.start(authURL, admin.Email, admin.Password); loc.Path != "/u/mfa-otp-challenge" {
			t.Fatalf("sent to %s, want the challenge", loc)
		}
		b2.open()
		b2.submit(url.Values{"code": {totpCode(t, secret, enrolledAt)}})
		if b2.code != http.StatusBadRequest || !strings.Contains(b2.page, "already used") {
			t.Fatalf("a used code: %d %s", b2.code, b2.page)
		}
		b2.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now().Add(-60*time.Second))}})
		if b2.code != http.StatusBadRequest || !strings.Contains(b2.page, "Invalid code") {
			t.Fatalf("a code two steps old: %d", b2.code)
		}
		b2.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now().Add(30*time.Second))}})
		if b2.code != http.StatusFound {
			t.Fatalf("the next step's code: %d %s", b2.code, b2.page)
		}
		claims, _ = client.idToken(t, b2.loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
		if logCount(t, n.node, audit.TypeMFAAuthSucceed) != 1 || logCount(t, n.node, audit.TypeMFAAuthFailed) < 3 {
			t.Error("gd_auth_succeed / gd_auth_failed not logged")
		}

		// Wrong codes: the transaction ends after five.
		n.clock.Advance(5 * time.Minute)
		b3 := newMFABrowser(t, n)
		authURL, _ = client.authURL()
		b3.start(authURL, admin.Email, admin.Password)
		b3.open()
		challenge := b3.page
		for i := range 5 {
			b3.submit(url.Values{"code": {"000000"}})
			if b3.code != http.StatusBadRequest {
				t.Fatalf("wrong code %d: %d", i+1, b3.code)
			}
		}
		b3.submit(url.Values{"code": {"000000"}})
		if b3.code != http.StatusTooManyRequests || !strings.Contains(b3.page, "sign in again") {
			t.Fatalf("sixth wrong code in one transaction: %d %s", b3.code, b3.page)
		}
		b3.page = challenge
		b3.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b3.code != http.StatusBadRequest || !strings.Contains(b3.page, "no longer valid") {
			t.Fatalf("the ended transaction took a right code: %d", b3.code)
		}
		// A new transaction: four more wrong codes reach the user's limit of ten; then even the
		// right code is refused and gd_otp_rate_limit_exceed is logged.
		b3.start(authURL, admin.Email, admin.Password)
		b3.open()
		for range 4 {
			b3.submit(url.Values{"code": {"000000"}})
		}
		b3.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b3.code != http.StatusTooManyRequests || !strings.Contains(b3.page, "Too many attempts") {
			t.Fatalf("a right code from a blocked user: %d %s", b3.code, b3.page)
		}
		if logCount(t, n.node, audit.TypeMFAOTPRateLimit) == 0 {
			t.Error("no gd_otp_rate_limit_exceed log")
		}
		// The block lifts after fifteen minutes.
		n.clock.Advance(16 * time.Minute)
		b3.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b3.code != http.StatusFound {
			t.Fatalf("after the block: %d %s", b3.code, b3.page)
		}
	})
}

// TestRecoveryCodeFlow: the recovery code shown at enrollment signs the user in once, in place of
// the authenticator, and a new one is shown; the old one is then refused and the new one works.
func TestRecoveryCodeFlow(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		setMFAPolicy(t, n.node, domain.PolicyAllApplications)
		client := newMFAClient(t, n.node)
		user := n.tenant.Users[1]
		b := newMFABrowser(t, n)
		authURL, _ := client.authURL()
		b.start(authURL, user.Email, user.Password)
		_, recovery := b.enroll()
		b.finish()

		useRecovery := func(code string) *mfaBrowser {
			t.Helper()
			b := newMFABrowser(t, n)
			authURL, _ := client.authURL()
			b.start(authURL, user.Email, user.Password)
			b.open()
			link := regexp.MustCompile(`<a href="(/u/mfa-recovery-code-challenge[^"]*)">Use a recovery code</a>`).FindStringSubmatch(b.page)
			if link == nil {
				t.Fatalf("no recovery code link on the challenge: %s", b.page)
			}
			b.loc = mustParse(t, htmlUnescape(link[1]))
			b.open()
			b.submit(url.Values{"recovery_code": {code}})
			return b
		}
		b2 := useRecovery(strings.ToLower(recovery))
		next := recoveryText.FindStringSubmatch(b2.page)
		if b2.code != 200 || next == nil || next[1] == recovery || !strings.Contains(b2.page, "new recovery code") {
			t.Fatalf("after a recovery code: %d %s", b2.code, b2.page)
		}
		cb := b2.finish()
		if cb.Query().Get("code") == "" {
			t.Fatalf("no code after the recovery code: %s", cb)
		}
		if logCount(t, n.node, audit.TypeMFARecoverySucceed) != 1 {
			t.Error("no gd_recovery_succeed log")
		}
		if b3 := useRecovery(recovery); b3.code != http.StatusBadRequest || !strings.Contains(b3.page, "Invalid recovery code") {
			t.Fatalf("a spent recovery code: %d", b3.code)
		}
		if b4 := useRecovery(next[1]); b4.code != 200 || recoveryText.FindStringSubmatch(b4.page) == nil {
			t.Fatalf("the new recovery code: %d", b4.code)
		}
	})
}

// TestMFAFromAction: no tenant policy; a post-login Action asks the admin, and only the admin, for
// a second factor with api.multifactor.enable. The admin enrolls and still gets the guide's roles
// claim; event.authentication.methods then lists mfa. The other user signs in with a password alone.
func TestMFAFromAction(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		m := newMgmtClient(t, n.node)
		guide := m.deployAction("Guide roles", "post-login", `
exports.onExecutePostLogin = async (event, api) => {
  const roles = (event.authorization && event.authorization.roles) || [];
  api.idToken.setCustomClaim('https://yourapp.com/roles', roles);
  api.idToken.setCustomClaim('https://yourapp.com/methods', event.authentication.methods.map(m => m.name));
};`)
		mfaAction := m.deployAction("MFA for admins", "post-login", `
exports.onExecutePostLogin = async (event, api) => {
  if ((event.authorization.roles || []).includes('admin')) {
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }
};`)
		m.bind("post-login", guide, mfaAction)
		client := newMFAClient(t, n.node)

		admin := n.tenant.Users[0]
		b := newMFABrowser(t, n)
		authURL, verifier := client.authURL()
		b.start(authURL, admin.Email, admin.Password)
		b.enroll()
		claims, _ := client.idToken(t, b.finish(), verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
		if got := asList(claims["https://yourapp.com/roles"]); len(got) != 1 || got[0] != "admin" {
			t.Errorf("roles = %v", claims["https://yourapp.com/roles"])
		}
		if got := asList(claims["https://yourapp.com/methods"]); len(got) != 2 || got[1] != "mfa" {
			t.Errorf("methods = %v", claims["https://yourapp.com/methods"])
		}

		user := n.tenant.Users[1]
		authURL, verifier = client.authURL()
		cb := newMFABrowser(t, n).start(authURL, user.Email, user.Password)
		claims, _ = client.idToken(t, cb, verifier)
		wantMFAClaims(t, claims)
	})
}

// TestMFAFromACRValues: no policy, no Action; an app that asks for the multi-factor policy in
// acr_values gets a second factor, one that does not gets none. A silent request that needs a
// factor the session has not passed is refused with interaction_required.
func TestMFAFromACRValues(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		client := newMFAClient(t, n.node)
		admin := n.tenant.Users[0]
		b := newMFABrowser(t, n)

		authURL, verifier := client.authURL()
		claims, _ := client.idToken(t, b.start(authURL, admin.Email, admin.Password), verifier)
		wantMFAClaims(t, claims)

		acr := oauth2.SetAuthURLParam("acr_values", domain.ACRMultiFactor)
		authURL, _ = client.authURL(acr, oauth2.SetAuthURLParam("prompt", "none"))
		resp, _ := get(t, b.c, authURL)
		loc, _ := resp.Location()
		if loc == nil || loc.Query().Get("error") != "interaction_required" {
			t.Fatalf("prompt=none without MFA: %d %v", resp.StatusCode, loc)
		}

		authURL, verifier = client.authURL(acr)
		resp, _ = get(t, b.c, authURL)
		b.loc, _ = resp.Location()
		b.enroll()
		claims, _ = client.idToken(t, b.finish(), verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")

		// Now the session has passed it: prompt=none succeeds and says so.
		authURL, verifier = client.authURL(acr, oauth2.SetAuthURLParam("prompt", "none"))
		resp, _ = get(t, b.c, authURL)
		loc, _ = resp.Location()
		claims, _ = client.idToken(t, loc, verifier)
		wantMFAClaims(t, claims, "pwd", "mfa", "otp")
	})
}

// TestMFAManagementAPI: the policy set through /guardian/policies asks for MFA; the user's methods
// and enrollments are listed in Auth0's shapes; deleting the authenticator (and with it the
// recovery code) sends the next sign-in back to enrollment; turning OTP off turns MFA off.
func TestMFAManagementAPI(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		m := newMgmtClient(t, n.node)
		if status, out := m.do("GET", "guardian/policies", nil); status != 200 || len(asList(out["list"])) != 0 {
			t.Fatalf("default policies: %d %v", status, out)
		}
		for _, bad := range []any{[]string{"sometimes"}, []string{"all-applications", "confidence-score"}, map[string]any{}} {
			if status, _ := m.do("PUT", "guardian/policies", bad); status != 400 {
				t.Fatalf("PUT policies %v: %d", bad, status)
			}
		}
		if status, out := m.do("PUT", "guardian/policies", []string{"all-applications"}); status != 200 || asList(out["list"])[0] != "all-applications" {
			t.Fatalf("PUT policies: %d %v", status, out)
		}
		status, out := m.do("GET", "guardian/factors", nil)
		factors := map[string]bool{}
		for _, f := range asList(out["list"]) {
			f := f.(map[string]any)
			factors[f["name"].(string)] = f["enabled"].(bool)
		}
		if status != 200 || !factors["otp"] || !factors["recovery-code"] || factors["sms"] || len(factors) != 8 {
			t.Fatalf("factors: %d %v", status, out)
		}
		if status, _ := m.do("PUT", "guardian/factors/sms", map[string]any{"enabled": true}); status != 400 {
			t.Fatalf("enabling sms: %d", status)
		}
		if status, _ := m.do("PUT", "guardian/factors/nope", map[string]any{"enabled": true}); status != 404 {
			t.Fatalf("an unknown factor: %d", status)
		}

		client := newMFAClient(t, n.node)
		user := n.tenant.Users[1]
		b := newMFABrowser(t, n)
		authURL, _ := client.authURL()
		b.start(authURL, user.Email, user.Password)
		b.enroll()
		b.finish()

		u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, user.Email)
		if err != nil {
			t.Fatal(err)
		}
		path := "users/" + url.PathEscape(u.UserID) + "/"
		status, out = m.do("GET", path+"authentication-methods", nil)
		methods := asList(out["list"])
		if status != 200 || len(methods) != 2 {
			t.Fatalf("methods: %d %v", status, out)
		}
		byType := map[string]map[string]any{}
		for _, v := range methods {
			byType[v.(map[string]any)["type"].(string)] = v.(map[string]any)
		}
		totpMethod := byType["totp"]
		if totpMethod == nil || totpMethod["confirmed"] != true || totpMethod["created_at"] == nil || totpMethod["last_auth_at"] == nil ||
			!strings.HasPrefix(totpMethod["id"].(string), "totp|") || byType["recovery-code"] == nil {
			t.Fatalf("methods: %v", methods)
		}
		id := totpMethod["id"].(string)
		if status, one := m.do("GET", path+"authentication-methods/"+url.PathEscape(id), nil); status != 200 || one["id"] != id {
			t.Fatalf("one method: %d %v", status, one)
		}
		if status, _ := m.do("GET", path+"authentication-methods/totp%7Cnope", nil); status != 404 {
			t.Fatalf("an unknown method: %d", status)
		}
		status, out = m.do("GET", path+"enrollments", nil)
		if e := asList(out["list"]); status != 200 || len(e) != 1 || e[0].(map[string]any)["status"] != "confirmed" || e[0].(map[string]any)["id"] != id {
			t.Fatalf("enrollments: %d %v", status, out)
		}

		if status, _ := m.do("DELETE", path+"authentication-methods/"+url.PathEscape(id), nil); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		if status, out = m.do("GET", path+"authentication-methods", nil); len(asList(out["list"])) != 0 {
			t.Fatalf("after delete: %d %v", status, out)
		}
		authURL, _ = client.authURL()
		if loc := newMFABrowser(t, n).start(authURL, user.Email, user.Password); loc.Path != "/u/mfa-otp-enrollment-qr" {
			t.Fatalf("after delete, sent to %s", loc)
		}
		if status, _ := m.do("DELETE", path+"authentication-methods", nil); status != 204 {
			t.Fatalf("delete all: %d", status)
		}

		if status, _ := m.do("PUT", "guardian/factors/otp", map[string]any{"enabled": false}); status != 200 {
			t.Fatalf("disable otp: %d", status)
		}
		authURL, _ = client.authURL()
		if loc := newMFABrowser(t, n).start(authURL, user.Email, user.Password); loc.Query().Get("code") == "" {
			t.Fatalf("with OTP off, sent to %s", loc)
		}
	})
}

// TestRememberBrowser: a user who ticks "remember this browser" is not asked for the factor at a
// later sign-in from that browser (a new session, prompt=login), until the Management API's
// invalidate-remember-browser forgets it.
func TestRememberBrowser(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		setMFAPolicy(t, n.node, domain.PolicyAllApplications)
		client := newMFAClient(t, n.node)
		user := n.tenant.Users[1]
		b := newMFABrowser(t, n)
		authURL, _ := client.authURL()
		b.start(authURL, user.Email, user.Password)
		b.open()
		if !strings.Contains(b.page, `name="remember"`) {
			t.Fatal("no remember-this-browser box on the enrollment page")
		}
		secret := strings.ReplaceAll(secretText.FindStringSubmatch(b.page)[1], " ", "")
		b.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}, "remember": {"1"}})
		b.finish()

		n.clock.Advance(time.Hour)
		relogin, verifier := client.authURL(oauth2.SetAuthURLParam("prompt", "login"))
		claims, _ := client.idToken(t, b.start(relogin, user.Email, user.Password), verifier)
		wantMFAClaims(t, claims, "pwd", "mfa")

		u, _ := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, user.Email)
		m := newMgmtClient(t, n.node)
		if status, _ := m.do("POST", "users/"+url.PathEscape(u.UserID)+"/multifactor/actions/invalidate-remember-browser", nil); status != 204 {
			t.Fatalf("invalidate-remember-browser: %d", status)
		}
		relogin, _ = client.authURL(oauth2.SetAuthURLParam("prompt", "login"))
		if loc := b.start(relogin, user.Email, user.Password); loc.Path != "/u/mfa-otp-challenge" {
			t.Fatalf("after invalidation, sent to %s", loc)
		}
		if status, _ := m.do("POST", "users/auth0%7Cnope/multifactor/actions/invalidate-remember-browser", nil); status != 404 {
			t.Fatalf("an unknown user: %d", status)
		}
	})
}

// TestPasswordGrantWithMFA: where the tenant asks MFA of every sign-in, the password grant does
// not turn a password alone into tokens: 403 mfa_required (golang.org/x/oauth2's PasswordCredentialsToken).
func TestPasswordGrantWithMFA(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	if status, body := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{
		"grant_types": []string{"authorization_code", "refresh_token", "password"}}); status != 200 {
		t.Fatalf("enable the password grant: %d %v", status, body)
	}
	client := newMFAClient(t, n)
	user := n.tenant.Users[1]
	ctx := context.Background()
	if _, err := client.cfg.PasswordCredentialsToken(ctx, user.Email, user.Password); err != nil {
		t.Fatalf("without a policy: %v", err)
	}
	setMFAPolicy(t, n, domain.PolicyAllApplications)
	_, err := client.cfg.PasswordCredentialsToken(ctx, user.Email, user.Password)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusForbidden || re.ErrorCode != "mfa_required" {
		t.Fatalf("with the policy: %v", err)
	}
}
