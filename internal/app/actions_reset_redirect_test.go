package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// resetRedirectCode sends the user to an identity verification site from the password reset and,
// back at /continue, reads the site's answer from a token it signed: a failed check ends the reset,
// and the site may ask for the second factor as well.
const resetRedirectCode = `
exports.onExecutePostChallenge = async (event, api) => {
  const token = api.redirect.encodeToken({secret: '` + redirectSecret + `', expiresInSeconds: 120,
    payload: {email: event.user.email}});
  api.redirect.sendUserTo('https://idv.example.test/verify', {query: {session_token: token}});
};
exports.onContinuePostChallenge = async (event, api) => {
  const p = api.redirect.validateToken({secret: '` + redirectSecret + `', tokenParameterName: 'answer'});
  console.log('continued ' + event.user.email + ' ' + event.request.method + ' ' + p.verified);
  if (p.verified !== 'yes') api.access.deny('The identity check failed.');
  if (p.mfa === 'yes') api.authentication.challengeWith({ type: 'otp' });
};`

// resetAnswer is the verification site's reply for a reset's state.
func resetAnswer(t *testing.T, state string, exp time.Time, claims jwt.MapClaims) url.Values {
	t.Helper()
	c := jwt.MapClaims{"state": state, "exp": exp.Unix(), "verified": "yes"}
	for k, v := range claims {
		c[k] = v
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(redirectSecret))
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"state": {state}, "answer": {tok}}
}

// TestPasswordResetRedirectAction: a password-reset-post-challenge Action sends the browser away
// from the reset link and the reset resumes at /continue, on both engines: the token carries the
// reset's state; the new-password POST is refused until the continuation; the state works once,
// only in the browser that left, only before it expires; onContinuePostChallenge's denial ends the
// reset (the link is spent); a factor asked for there comes before the form.
func TestPasswordResetRedirectAction(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		ctx := context.Background()
		m := newMgmtClient(t, n.node)
		verify := m.deployAction("verify identity", "password-reset-post-challenge", resetRedirectCode)
		m.bind("password-reset-post-challenge", verify)
		ticket := func(email string) (*domain.User, string) { return resetTicket(t, n.node, m, email) }
		leave := func(c *http.Client, link string) *url.URL {
			t.Helper()
			code, loc := redirectOf(t, c, link)
			away, err := url.Parse(loc)
			if code != http.StatusFound || err != nil || away.Host != "idv.example.test" || away.Path != "/verify" ||
				!strings.HasPrefix(away.Query().Get("state"), domain.ResetContinuePrefix) {
				t.Fatalf("link: %d %s", code, loc)
			}
			return away
		}
		issuer := mustParse(t, n.issuer)
		forge := func(c *http.Client, link string) (int, string) { return forgeResetPost(t, c, n.node, link) }

		// The link sends the browser away with a token for this user and this reset's state.
		user, link := ticket(n.tenant.Users[0].Email)
		c := browser(t)
		away := leave(c, link)
		state := away.Query().Get("state")
		sent := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(away.Query().Get("session_token"), sent, func(*jwt.Token) (any, error) { return []byte(redirectSecret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(n.clock.Now)); err != nil {
			t.Fatalf("session token: %v", err)
		}
		if sent["state"] != state || sent["sub"] != user.UserID || sent["email"] != user.Email || sent["iss"] != issuer.Host {
			t.Fatalf("session token claims %v", sent)
		}

		// Before the continuation a forged new-password POST (a valid form binding) changes nothing.
		if code, body := forge(c, link); code != http.StatusForbidden || !strings.Contains(body, "Verify your identity first") {
			t.Fatalf("forged POST before /continue: %d %s", code, body)
		}
		back := resetAnswer(t, state, n.clock.Now().Add(time.Minute), nil)
		// Another browser cannot use the state: a cross-site POST is re-posted from Gatehouse's
		// origin, and the re-post, still without the reset's cookie, is refused.
		other := browser(t)
		resp, page := postContinue(t, other, n.node, back)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "_gatehouse_continue") {
			t.Fatalf("cross-site POST: %d %s", resp.StatusCode, page)
		}
		if resp, _ := postContinue(t, other, n.node, formFields(page)); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("re-post from another browser: %d", resp.StatusCode)
		}
		if resp, _ := get(t, other, n.issuer+"continue?"+back.Encode()); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("GET from another browser: %d", resp.StatusCode)
		}
		if after, _ := n.Store.GetUser(ctx, user.UserID); after.PasswordHash != user.PasswordHash {
			t.Fatal("a forged request changed the password")
		}

		// Back in the browser that left: onContinuePostChallenge runs and the form opens.
		resp, _ = postContinue(t, c, n.node, back)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != strings.TrimPrefix(link, strings.TrimSuffix(n.issuer, "/")) {
			t.Fatalf("continue: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := actionLines(t, n.node, "password-reset-post-challenge", "continued "+user.Email+" POST yes"); got != 1 {
			t.Fatalf("onContinuePostChallenge logged %d times", got)
		}
		// The state works once.
		if resp, _ := postContinue(t, c, n.node, back); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed state: %d", resp.StatusCode)
		}
		_, page = get(t, c, link)
		form := formFields(page)
		if form.Get("csrf") == "" {
			t.Fatalf("no form after /continue: %s", page)
		}
		// The link in another browser still goes away, and a forged POST there is refused: the
		// continuation belongs to the first browser.
		second := browser(t)
		leave(second, link)
		if code, body := forge(second, link); code != http.StatusForbidden || !strings.Contains(body, "Verify your identity first") {
			t.Fatalf("forged POST from another browser: %d %s", code, body)
		}
		// Nor is a reset's state a sign-in's, even with the sign-in cookie set to the reset's.
		var resetCookie string
		for _, ck := range c.Jar.Cookies(issuer) {
			if ck.Name == "gh_reset" {
				resetCookie = ck.Value
			}
		}
		_, link2 := ticket(n.tenant.Users[1].Email)
		state2 := leave(c, link2).Query().Get("state")
		c.Jar.SetCookies(issuer, []*http.Cookie{{Name: "gh_tx", Value: resetCookie, Path: "/"}})
		if resp, page := get(t, c, n.issuer+"u/login?state="+url.QueryEscape(state2)); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(page, "no longer valid") {
			t.Fatalf("a reset's state opened the login page: %d", resp.StatusCode)
		}
		form.Set("password", "Redirect-Passw0rd!")
		form.Set("password_confirm", "Redirect-Passw0rd!")
		if resp, body := post(t, c, n.issuer+"u/reset-password", form); resp.StatusCode != 200 || !strings.Contains(body, "Password changed") {
			t.Fatalf("change: %d %s", resp.StatusCode, body)
		}

		// The site says no: onContinuePostChallenge denies, the reset ends and the link is spent.
		user, link = ticket(n.tenant.Users[1].Email)
		c = browser(t)
		state = leave(c, link).Query().Get("state")
		resp, page = get(t, c, n.issuer+"continue?"+resetAnswer(t, state, n.clock.Now().Add(time.Minute), jwt.MapClaims{"verified": "no"}).Encode())
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "The identity check failed.") {
			t.Fatalf("denied continuation: %d %s", resp.StatusCode, page)
		}
		if !logged(t, n.node, audit.TypeChangePasswordFailed) {
			t.Fatal("no fcp event for the denial")
		}
		if resp, _ := get(t, c, link); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("the link after the denial: %d", resp.StatusCode)
		}

		// A factor asked for in onContinuePostChallenge comes before the form (this user has none).
		_, link = ticket(n.tenant.Users[1].Email)
		c = browser(t)
		state = leave(c, link).Query().Get("state")
		resp, _ = get(t, c, n.issuer+"continue?"+resetAnswer(t, state, n.clock.Now().Add(time.Minute), jwt.MapClaims{"mfa": "yes"}).Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("continue with a factor: %d", resp.StatusCode)
		}
		if resp, page := get(t, c, link); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "second factor you have not set up") {
			t.Fatalf("form without the factor: %d %s", resp.StatusCode, page)
		}

		// The state expires with the transaction.
		_, link = ticket(n.tenant.Users[1].Email)
		c = browser(t)
		state = leave(c, link).Query().Get("state")
		n.clock.Advance(domain.LoginTransactionLifetime + time.Minute)
		if resp, _ := get(t, c, n.issuer+"continue?"+resetAnswer(t, state, n.clock.Now().Add(time.Minute), nil).Encode()); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("expired state: %d", resp.StatusCode)
		}
		// Two actions that redirect: the POST back from the first site leaves for the second by a
		// page whose GET form (and CSP form-action) targets that site; the second comes back too.
		second2 := `exports.onExecutePostChallenge = async (event, api) => {
  api.redirect.sendUserTo('https://second.example.test/check', {query: {step: 2}});
};
exports.onContinuePostChallenge = async (event, api) => { console.log('second back ' + event.request.method); };`
		m.bind("password-reset-post-challenge", verify, m.deployAction("second check", "password-reset-post-challenge", second2))
		_, link = ticket(n.tenant.Users[1].Email)
		c = browser(t)
		state = leave(c, link).Query().Get("state")
		resp, page = postContinue(t, c, n.node, resetAnswer(t, state, n.clock.Now().Add(time.Minute), nil))
		fa := getFormAction.FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || fa == nil || fa[1] != "https://second.example.test/check" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action https://second.example.test;") {
			t.Fatalf("second redirect after a POST: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
		}
		next := formFields(page)
		if next.Get("step") != "2" || !strings.HasPrefix(next.Get("state"), domain.ResetContinuePrefix) || next.Get("state") == state {
			t.Fatalf("second redirect's fields %v", next)
		}
		if resp, _ := get(t, c, n.issuer+"continue?state="+url.QueryEscape(next.Get("state"))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("back from the second site: %d", resp.StatusCode)
		}
		if resp, page := get(t, c, link); resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="password"`) {
			t.Fatalf("form after two redirects: %d", resp.StatusCode)
		}
		if got := actionLines(t, n.node, "password-reset-post-challenge", "second back GET"); got != 1 {
			t.Fatalf("the second onContinuePostChallenge logged %d times", got)
		}

		// A state of neither kind is refused; an overlong one is refused before it is looked up,
		// in the cross-site POST's re-post as well.
		for _, bad := range []string{"not-a-reset", domain.ResetContinuePrefix + strings.Repeat("x", 200)} {
			if resp, _ := get(t, c, n.issuer+"continue?state="+url.QueryEscape(bad)); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("state %.20s…: %d", bad, resp.StatusCode)
			}
			if resp, page := postContinue(t, browser(t), n.node, url.Values{"state": {bad}}); resp.StatusCode != http.StatusBadRequest ||
				strings.Contains(page, "_gatehouse_continue") {
				t.Fatalf("cross-site POST of state %.20s…: %d", bad, resp.StatusCode)
			}
		}
	})
}
