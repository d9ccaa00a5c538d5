package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crewjam/saml/samlidp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/app"
)

// samlIdP is crewjam/saml's samlidp server on 127.0.0.1: a SAML 2.0 identity provider with its
// own login form, users and registered service providers.
func samlIdP(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "idp.partner.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	base, _ := url.Parse(srv.URL)
	idp, err := samlidp.New(samlidp.Options{URL: *base, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	return srv, base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestContinueWithSAML clicks "Continue with Partner SSO" on the hosted login page, signs in at
// crewjam/saml's IdP with its own form, and lands signed in at the seed app as
// samlp|partner|<NameID>: the AuthnRequest redirect, the IdP's auto-posted response to
// /login/callback?connection=partner, and the GET that finishes the sign-in in this browser.
func TestContinueWithSAML(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	idp, idpCert := samlIdP(t)
	seed := MustStartSeedApp(t, ctx, g)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)

	cc := clientcredentials.Config{ClientID: g.Tenant.ManagementAPI.ClientID, ClientSecret: g.Tenant.ManagementAPI.ClientSecret,
		TokenURL: g.Issuer + "oauth/token", EndpointParams: url.Values{"audience": {g.Tenant.ManagementAPI.Audience}}}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, g.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "partner", "strategy": "samlp", "display_name": "Partner SSO", "show_as_button": true,
		"enabled_clients": []string{g.Tenant.WebApp.ClientID},
		// Unsigned AuthnRequests: samlidp's login form posts the request back to itself without
		// the HTTP-Redirect binding's query signature, and then refuses it as unsigned. Signed
		// requests are proven against crewjam/saml's IdentityProvider in internal/app.
		"options": map[string]any{"signInEndpoint": idp.URL + "/sso", "signingCert": idpCert}})
	req, _ := http.NewRequestWithContext(ctx, "POST", g.Issuer+"api/v2/connections", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.HTTP.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create the samlp connection: %v %v", resp, err)
	}
	resp.Body.Close()

	// The IdP's administrator registers Gatehouse from its SP metadata, and a user.
	resp, err = g.HTTP.Get(g.Issuer + "samlp/metadata?connection=partner")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("SP metadata: %v %v", resp, err)
	}
	metadata, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	put := func(path string, body []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "PUT", idp.URL+path, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("PUT %s at the IdP: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	put("/services/gatehouse", metadata)
	user, _ := json.Marshal(map[string]any{"name": "ada", "password": "correct horse battery", "email": "ada@partner.example",
		"given_name": "Ada", "surname": "Lovelace", "common_name": "Ada Lovelace"})
	put("/users/ada", user)

	b.navigate(seed.Web + "/dashboard")
	mustBeOnLoginPage(t, b, g)
	if got := b.text("main"); !strings.Contains(got, "Continue with Partner SSO") {
		t.Fatalf("login page without the button: %q", got)
	}
	b.screenshot(shots, "login-with-saml")

	b.step("click Continue with Partner SSO", chromedp.Click(chromedp.CSS(`button[data-connection="partner"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="user"]`)))
	if loc := b.location(); !strings.HasPrefix(loc, idp.URL+"/sso?") || !strings.Contains(loc, "SAMLRequest=") {
		t.Fatalf("after the button the browser is at %s", loc)
	}
	b.screenshot(shots, "saml-idp-login")
	b.step("sign in at the IdP", chromedp.SendKeys(`input[name="user"]`, "ada"),
		chromedp.SendKeys(`input[name="password"]`, "correct horse battery"), chromedp.Submit(`input[name="password"]`))
	waitFor := time.Now().Add(30 * time.Second)
	for !strings.HasPrefix(b.location(), seed.Web+"/dashboard") {
		if time.Now().After(waitFor) {
			b.screenshot(shots, "saml-stuck")
			t.Fatalf("after the IdP the browser is at %s", b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.step("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(`main`)))
	if got := b.text("main"); !strings.Contains(got, "ada@partner.example") && !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("the seed app does not show the SAML user: %q", got)
	}
	b.screenshot(shots, "signed-in-with-saml")
	u, err := g.App.Store.GetUser(ctx, "samlp|partner|ada@partner.example")
	if err != nil {
		t.Fatalf("no samlp|partner|ada@partner.example user: %v", err)
	}
	if u.EmailVerified || u.Name != "Ada Lovelace" || u.GivenName != "Ada" || u.FamilyName != "Lovelace" {
		t.Errorf("the SAML user's profile: %+v", u)
	}
}
