package app_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
)

// samlPostStart starts a sign-in for the samlp connection and returns the page that posts the
// AuthnRequest to the IdP (HTTP-POST binding), its CSP and its fields.
func samlPostStart(t *testing.T, c *http.Client, appl *brokerApp, connection string) (string, string, url.Values) {
	t.Helper()
	resp, page := get(t, c, appl.cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(appl.verifier), oidc.Nonce("app-nonce"),
		oauth2.SetAuthURLParam("connection", connection)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/authorize with an HTTP-POST samlp connection: %d %s", resp.StatusCode, page)
	}
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form: %s", page)
	}
	return htmlUnescape(m[1]), resp.Header.Get("Content-Security-Policy"), formFields(page)
}

// idpPost is the browser's POST of the form to the IdP.
func idpPost(action string, form url.Values) *http.Request {
	r := httptest.NewRequest("POST", action, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestSAMLPostBindingSignedAuthnRequest: with protocolBinding HTTP-POST the browser posts the
// AuthnRequest to the IdP from a page whose CSP lets the form go to the IdP only; with
// signSAMLRequest the request carries an enveloped signature that crewjam/saml's IdP (which wants
// signed requests) verifies against the SP metadata, and the sign-in completes. Unsigned, or
// changed after signing, the IdP refuses it.
func TestSAMLPostBindingSignedAuthnRequest(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	idp := newTestIdP(t)
	idp.idp.WantAuthnRequestsSigned = true
	status, created := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options": map[string]any{"signInEndpoint": idp.idp.SSOURL.String(), "signingCert": idp.cert, "signSAMLRequest": true,
			"protocolBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"}})
	if status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, created)
	}
	idp.loadSP(browser(t), n, "partner")
	appl := newBrokerApp(t, n)

	c := browser(t)
	action, csp, form := samlPostStart(t, c, appl, "partner")
	if action != idp.idp.SSOURL.String() || form.Get("SAMLRequest") == "" || form.Get("RelayState") == "" {
		t.Fatalf("form to %s: %v", action, form)
	}
	if !strings.Contains(csp, "form-action http://127.0.0.1:9") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if xml := mustDecode(t, form.Get("SAMLRequest")); !strings.Contains(xml, "SignatureValue") || !strings.Contains(xml, "HTTP-POST") {
		t.Errorf("AuthnRequest not signed: %s", xml)
	}
	to, response, relay := idp.respondTo(idpPost(action, form), spoil{})
	resp, body := postSAML(t, c, to, response, relay)
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("ACS: %d %s", resp.StatusCode, body)
	}
	if id := appl.idToken(appl.finish(c, loc.String())); id["sub"] != "samlp|partner|ada@partner.example" {
		t.Fatalf("sign-in through an HTTP-POST AuthnRequest: %v", id["sub"])
	}

	// Changed after signing: refused by the IdP.
	_, _, form = samlPostStart(t, browser(t), appl, "partner")
	xml := strings.Replace(mustDecode(t, form.Get("SAMLRequest")), "http://127.0.0.1", "http://127.0.0.2", 1)
	form.Set("SAMLRequest", encodeB64(xml))
	if req, err := saml.NewIdpAuthnRequest(idp.idp, idpPost(action, form)); err == nil && req.Validate() == nil {
		t.Error("the IdP accepted an AuthnRequest changed after signing")
	}
	// Unsigned: refused by an IdP that wants signed requests.
	opts := created["options"].(map[string]any)
	opts["signSAMLRequest"] = false
	delete(opts, "signing_key")
	if status, out := m.do("PATCH", "connections/"+created["id"].(string), map[string]any{"options": opts}); status != http.StatusOK {
		t.Fatalf("patch: %d %v", status, out)
	}
	_, _, form = samlPostStart(t, browser(t), appl, "partner")
	if xml := mustDecode(t, form.Get("SAMLRequest")); strings.Contains(xml, "SignatureValue") {
		t.Fatal("signed without signSAMLRequest")
	}
	if req, err := saml.NewIdpAuthnRequest(idp.idp, idpPost(action, form)); err == nil && req.Validate() == nil {
		t.Error("the IdP accepted an unsigned AuthnRequest")
	}
}

func encodeB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
