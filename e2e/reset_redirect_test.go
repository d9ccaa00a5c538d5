package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// resetRedirectAction sends the user from the password reset to a verification site with a signed
// session token, and at /continue lets the reset go on only with the site's signed answer.
const resetRedirectAction = `
exports.onExecutePostChallenge = async (event, api) => {
  const token = api.redirect.encodeToken({
    secret: event.secrets.IDV_SECRET, expiresInSeconds: 300,
    payload: {email: event.user.email},
  });
  api.redirect.sendUserTo(event.secrets.IDV_URL, {query: {session_token: token}});
};
exports.onContinuePostChallenge = async (event, api) => {
  const answer = api.redirect.validateToken({secret: event.secrets.IDV_SECRET, tokenParameterName: 'idv_token'});
  if (answer.identity !== 'passport checked') api.access.deny('Your identity could not be verified.');
};`

// startResetVerificationSite is the site the reset's Action redirects to, on 127.0.0.1 (another
// site than https://localhost, so its POST back to /continue is cross-site): it reads the token
// with the shared secret and shows a page whose button posts its own signed answer back.
func startResetVerificationSite(t *testing.T, issuer string) string {
	t.Helper()
	ln := mustListen(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		state := r.URL.Query().Get("state")
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(r.URL.Query().Get("session_token"), claims,
			func(*jwt.Token) (any, error) { return []byte(idvSecret), nil }, jwt.WithValidMethods([]string{"HS256"}))
		if err != nil || claims["state"] != state || !strings.HasPrefix(state, domain.ResetContinuePrefix) {
			http.Error(w, fmt.Sprintf("bad session token: %v", err), http.StatusBadRequest)
			return
		}
		ans, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"state": state, "sub": claims["sub"], "identity": "passport checked", "exp": time.Now().Add(time.Minute).Unix(),
		}).SignedString([]byte(idvSecret))
		exp, _ := claims.GetExpirationTime()
		_ = idvPage.Execute(w, map[string]any{"Email": claims["email"], "Sub": claims["sub"], "Iss": claims["iss"],
			"Exp": exp.UTC().Format(time.RFC3339), "Continue": issuer + "continue", "State": state, "Answer": ans})
	})
	serve(t, mux, ln)
	return "http://127.0.0.1:" + port(ln) + "/verify"
}

// TestPasswordResetRedirectRoundTrip: a reset link's password-reset-post-challenge Action sends
// headless Chromium to a verification site, which reads the token with the shared secret and posts
// its answer back to /continue; onContinuePostChallenge validates it, the new-password form opens
// and the new password is saved. Screenshots of the site, the form and the done page.
func TestPasswordResetRedirectRoundTrip(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	idvURL := startResetVerificationSite(t, g.Issuer)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")

	tok := mgmtToken(t, g)
	deployBound(t, g, tok, "password-reset-post-challenge", map[string]any{"name": "Verify identity before a reset",
		"supported_triggers": []map[string]string{{"id": "password-reset-post-challenge", "version": "v1"}}, "code": resetRedirectAction,
		"secrets": []map[string]string{{"name": "IDV_SECRET", "value": idvSecret}, {"name": "IDV_URL", "value": idvURL}}})
	u, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	link := passwordChangeLink(t, ctx, g, tok, admin.Email)

	b := MustStartBrowser(t, ctx)
	b.navigate(link)
	b.waitFor("the verification site", fmt.Sprintf(`location.href.startsWith(%q) && !!document.querySelector('#confirm')`, idvURL))
	if got := b.text("#email"); got != admin.Email {
		t.Fatalf("the verification page shows %q", got)
	}
	b.screenshot(shots, "reset-redirect-verification-site")

	b.step("confirm on the verification site", chromedp.Click(chromedp.CSS("#confirm")))
	b.waitFor("the new-password form", `!!document.querySelector('input[name="password_confirm"]')`)
	if loc := b.location(); loc != link {
		t.Fatalf("form at %s, want the reset link", loc)
	}
	b.screenshot(shots, "reset-redirect-new-password-form")
	const pw = "Reset-After-Redirect-42!"
	b.step("choose the new password", chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), pw),
		chromedp.SendKeys(chromedp.CSS(`input[name="password_confirm"]`), pw), chromedp.Submit(chromedp.CSS(`input[name="password"]`)))
	b.waitFor("the done page", `document.querySelector('h1') && document.querySelector('h1').textContent.trim() === 'Password changed'`)
	b.screenshot(shots, "reset-redirect-done")
	after, err := g.App.Store.GetUser(ctx, u.UserID)
	if err != nil || after.PasswordHash == u.PasswordHash {
		t.Fatalf("the password did not change: %v", err)
	}
}
