package e2e_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// authenticator is a virtual CTAP2 authenticator in one browser tab (the DevTools WebAuthn
// domain), with resident keys and user verification, answering without a touch.
type authenticator struct {
	b  *browser
	id webauthn.AuthenticatorID
}

func mustAddAuthenticator(t *testing.T, b *browser, transport webauthn.AuthenticatorTransport) *authenticator {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: transport,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return &authenticator{b: b, id: res.AuthenticatorID}
}

// credentials are the authenticator's credentials, private keys and counters included.
func (a *authenticator) credentials(t *testing.T) []*webauthn.Credential {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: a.id})
	if err != nil {
		t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	return res.Credentials
}

// add copies a credential into the authenticator with the given signature counter: a copy of a
// key, or a clone of it whose counter lags behind.
func (a *authenticator) add(t *testing.T, c *webauthn.Credential, signCount float64) {
	t.Helper()
	cp := credentialCopy{CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RpID: c.RpID,
		PrivateKey: c.PrivateKey, UserHandle: c.UserHandle, SignCount: signCount}
	ctx, cancel := context.WithTimeout(a.b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, addCredential, addCredentialParams{AuthenticatorID: a.id, Credential: &cp}); err != nil {
		t.Fatalf("WebAuthn.addCredential: %v", err)
	}
}

// credentialCopy is WebAuthn.addCredential's credential without the fields this Chromium does not
// know (a false generateCmtgKeyOnNextOperation is refused as "CMTG is not supported").
type credentialCopy struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      *credentialCopy          `json:"credential"`
}

var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

// clear removes every credential of the authenticator.
func (a *authenticator) clear(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: a.id}); err != nil {
		t.Fatalf("WebAuthn.clearCredentials: %v", err)
	}
}

// onlyCredential is the one credential of the authenticator.
func (a *authenticator) onlyCredential(t *testing.T) *webauthn.Credential {
	t.Helper()
	list := a.credentials(t)
	if len(list) != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", len(list))
	}
	return list[0]
}

// assertJS asks the authenticator for an assertion over the options of the page's WebAuthn form
// (or the options given) and returns it encoded as the pages post it.
const assertJS = `(async (optsJSON) => {
  const b64 = s => Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')), c => c.charCodeAt(0)).buffer;
  const enc = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g,'-').replace(/\//g,'_').replace(/=+$/,'');
  const o = JSON.parse(optsJSON).publicKey;
  o.challenge = b64(o.challenge);
  (o.allowCredentials || []).forEach(c => c.id = b64(c.id));
  const cred = await navigator.credentials.get({publicKey: o});
  const r = cred.response;
  return JSON.stringify({id: cred.id, rawId: enc(cred.rawId), type: cred.type, clientExtensionResults: {},
    response: {clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData),
      signature: enc(r.signature), userHandle: r.userHandle ? enc(r.userHandle) : undefined}});
})(%s)`

// postCredentialJS puts an answer into the page's WebAuthn form and posts it.
const postCredentialJS = `(() => { const f = document.querySelector('form[data-webauthn]');
  f.querySelector('input[name=credential]').value = %s; f.submit(); return true; })()`

// TestWebAuthnSecondFactor: with security keys as the tenant's factor and MFA on every sign-in,
// the admin enrolls a key after the password, and later signs in with it; then the refusals: an
// assertion made by another origin, an assertion made for another transaction's challenge, and
// a cloned key whose counter lags behind. Each page is screenshotted.
func TestWebAuthnSecondFactor(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 420*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	settings := domain.GuardianSettings{Policies: []string{domain.PolicyAllApplications},
		Enabled: map[string]bool{domain.FactorWebAuthnRoaming: true, domain.FactorOTP: true}}
	if err := g.App.Store.PutGuardianSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	app := MustStartSeedApp(t, ctx, g)
	shots := artifactsDir(t)
	admin := g.User(t, "admin")

	// Enrollment right after the password.
	b := MustStartBrowser(t, ctx)
	key := mustAddAuthenticator(t, b, webauthn.AuthenticatorTransportUsb)
	b.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, admin.Email, admin.Password)
	b.step("wait for the enrollment page", chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)))
	if loc := b.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-webauthn-roaming-enrollment") {
		t.Fatalf("enrollment at %s", loc)
	}
	b.screenshot(shots, "webauthn-enroll")
	b.step("name the key and enroll it", chromedp.SendKeys(chromedp.CSS(`#key-name`), "Blue key"),
		chromedp.Click(chromedp.CSS(`#webauthn-start`)))
	b.waitFor("the dashboard or an error", `!!document.querySelector('#welcome') || !!document.querySelector('#form-error p')`)
	if msg := run(b, "error", chromedp.Evaluate[string](`(document.querySelector('#form-error p')||{}).textContent||''`)); msg != "" {
		t.Fatalf("enrollment refused: %s", msg)
	}
	if loc := b.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after enrollment the browser is at %s", loc)
	}
	cred := key.onlyCredential(t)
	if cred.IsResidentCredential || cred.RpID != "localhost" {
		t.Fatalf("enrolled credential: resident %v, rp %q", cred.IsResidentCredential, cred.RpID)
	}
	stored, err := g.App.Store.ListWebAuthnCredentials(ctx, mustUserID(t, ctx, g, admin.Email))
	if err != nil || len(stored) != 1 || stored[0].Type != domain.FactorWebAuthnRoaming || stored[0].Name != "Blue key" {
		t.Fatalf("stored credentials %+v, %v", stored, err)
	}

	// A later sign-in, from another browser holding the same key: the challenge page.
	b2 := MustStartBrowser(t, ctx)
	key2 := mustAddAuthenticator(t, b2, webauthn.AuthenticatorTransportUsb)
	key2.add(t, cred, cred.SignCount)
	b2.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b2, g)
	signIn(t, b2, admin.Email, admin.Password)
	b2.step("wait for the challenge", chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)))
	if loc := b2.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-webauthn-challenge") {
		t.Fatalf("challenge at %s", loc)
	}
	b2.screenshot(shots, "webauthn-challenge")

	// An assertion made by another origin (same host, another port: the same RP ID, so the
	// authenticator signs it) over this page's challenge is refused.
	options := run(b2, "read the options", chromedp.Evaluate[string](`document.querySelector('form[data-webauthn]').dataset.options`))
	other := mustServeBlankPage(t)
	tb := MustStartBrowser(t, ctx)
	otherKey := mustAddAuthenticator(t, tb, webauthn.AuthenticatorTransportUsb)
	otherKey.add(t, cred, cred.SignCount+50)
	tb.navigate(other)
	foreign := run(tb, "assert at another origin", chromedp.Evaluate[string](fmt.Sprintf(assertJS, jsString(options)), chromedp.EvalAwaitPromise))
	mustPostAndRefuse(t, b2, foreign, "could not verify")
	b2.screenshot(shots, "webauthn-wrong-origin")

	// An assertion over another transaction's challenge is refused: made here for this page's
	// challenge, it is posted to a new sign-in's page.
	options = run(b2, "read the options", chromedp.Evaluate[string](`document.querySelector('form[data-webauthn]').dataset.options`))
	earlier := run(b2, "assert for this transaction", chromedp.Evaluate[string](fmt.Sprintf(assertJS, jsString(options)), chromedp.EvalAwaitPromise))
	b3 := MustStartBrowser(t, ctx)
	key3 := mustAddAuthenticator(t, b3, webauthn.AuthenticatorTransportUsb)
	key3.add(t, cred, cred.SignCount+100)
	b3.navigate(app.Web + "/dashboard")
	mustBeOnLoginPage(t, b3, g)
	signIn(t, b3, admin.Email, admin.Password)
	b3.step("wait for the challenge", chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)))
	mustPostAndRefuse(t, b3, earlier, "could not verify")
	b3.screenshot(shots, "webauthn-other-transaction")

	// The right answer on b2 lets the admin in.
	b2.step("use the key", chromedp.Click(chromedp.CSS(`#webauthn-start`)), chromedp.WaitVisible(chromedp.CSS(`#welcome`)))
	if loc := b2.location(); loc != app.Web+"/dashboard" {
		t.Fatalf("after the key the browser is at %s", loc)
	}
	if me := b2.fetchJSON(app.Web + "/api/auth/me"); !strings.Contains(string(me.Body), `"amr":["pwd","mfa","hwk"]`) {
		t.Fatalf("the ID token's amr after a security key: %s", me.Body)
	}

	// A clone of the key whose counter is behind the last one seen is refused: b3's authenticator
	// now holds the clone, and b3's session (password only) is asked for the key again.
	key3.clear(t)
	key3.add(t, cred, 0)
	b4 := b3
	b4.navigate(app.Web + "/dashboard")
	b4.step("use the cloned key", chromedp.WaitVisible(chromedp.CSS(`#webauthn-start`)),
		chromedp.Click(chromedp.CSS(`#webauthn-start`)))
	b4.waitFor("the refusal", `(document.querySelector('#form-error p')||{}).textContent?.includes('could not be trusted') === true`)
	if loc := b4.location(); !strings.HasPrefix(loc, g.Origin+"/u/mfa-webauthn-challenge") {
		t.Fatalf("the cloned key got the browser to %s", loc)
	}
	b4.screenshot(shots, "webauthn-cloned")

	// The Management API lists the key in Auth0's shape and deletes it; then the next sign-in asks
	// for a factor to enroll again.
	tok := mustClientCredentials(t, ctx, g, g.Tenant.ManagementAPI.ClientID, g.Tenant.ManagementAPI.ClientSecret, g.Tenant.ManagementAPI.Audience)
	adminID := mustUserID(t, ctx, g, admin.Email)
	methods := mustMgmtJSON[[]map[string]any](t, ctx, g, tok, http.MethodGet, "users/"+adminID+"/authentication-methods", http.StatusOK)
	if len(methods) != 1 || methods[0]["type"] != "webauthn-roaming" || methods[0]["name"] != "Blue key" || methods[0]["confirmed"] != true ||
		methods[0]["key_id"] == "" || methods[0]["created_at"] == "" || methods[0]["last_auth_at"] == nil {
		t.Fatalf("authentication methods %v", methods)
	}
	id, _ := methods[0]["id"].(string)
	mustMgmtJSON[any](t, ctx, g, tok, http.MethodDelete, "users/"+adminID+"/authentication-methods/"+id, http.StatusNoContent)
	mustMgmtJSON[any](t, ctx, g, tok, http.MethodGet, "users/"+adminID+"/authentication-methods/"+id, http.StatusNotFound)
	if left, err := g.App.Store.ListWebAuthnCredentials(ctx, adminID); err != nil || len(left) != 0 {
		t.Fatalf("after the delete: %+v, %v", left, err)
	}
}

// mustPostAndRefuse posts answer through the page's WebAuthn form and waits for the page's error
// to contain want.
func mustPostAndRefuse(t *testing.T, b *browser, answer, want string) {
	t.Helper()
	run(b, "post the answer", chromedp.Evaluate[bool](fmt.Sprintf(postCredentialJS, jsString(answer))))
	b.waitFor("the refusal", fmt.Sprintf(`(document.querySelector('#form-error p')||{}).textContent?.includes(%q) === true`, want))
}

// mustServeBlankPage serves an empty page on http://localhost:PORT, another origin of the same host.
func mustServeBlankPage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>elsewhere</title><p>elsewhere</p>")
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
}

func mustUserID(t *testing.T, ctx context.Context, g *gatehouse, email string) string {
	t.Helper()
	u, err := g.App.Store.GetUserByEmail(ctx, domain.DefaultConnection, email)
	if err != nil {
		t.Fatal(err)
	}
	return u.UserID
}
