package app_test

import (
	"crypto"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// samlSignedIn reports whether the browser's session still signs it in without a form.
func samlSignedIn(t *testing.T, c *http.Client, appl *brokerApp) bool {
	t.Helper()
	resp, _ := get(t, c, appl.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(appl.verifier), oidc.Nonce("n")))
	loc, _ := resp.Location()
	return loc != nil && loc.Scheme+"://"+loc.Host+loc.Path == devtenant.Callback && loc.Query().Get("code") != ""
}

// idpLogoutSender makes the IdP's own LogoutRequests: crewjam/saml's message code with the IdP's
// key and entity id, sent to the node's SingleLogoutService.
func idpLogoutSender(idp *testIdP, issuer, slo string, signed bool) *saml.ServiceProvider {
	sp := &saml.ServiceProvider{EntityID: issuer, Key: idp.idp.Key.(crypto.Signer), Certificate: idp.idp.Certificate,
		IDPMetadata: &saml.EntityDescriptor{EntityID: "unused", IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{SingleLogoutServices: []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: slo}}}}}}}
	if signed {
		sp.LogoutSignatureMethod = dsig.RSASHA256SignatureMethod
	}
	return sp
}

// TestSAMLSingleLogout: a session that signed in through a samlp connection with a
// signOutEndpoint. IdP-initiated: an unsigned LogoutRequest and one from another issuer end
// nothing (an flo entry each), one for another NameID ends no other session; the IdP's signed LogoutRequest ends the session
// and is answered with a LogoutResponse crewjam/saml's IdP accepts; the same request again is a
// replay. SP-initiated: /v2/logout?federated ends the session and sends a signed LogoutRequest
// the IdP accepts; its LogoutResponse brings the browser back to the application's returnTo.
func TestSAMLSingleLogout(t *testing.T) {
	samlSingleLogout(t, startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true }))
}

// TestSAMLSingleLogoutPostgres is the same on PostgreSQL (the pending LogoutRequest, the replay
// records). Skips without GATEHOUSE_TEST_POSTGRES_URL.
func TestSAMLSingleLogoutPostgres(t *testing.T) {
	samlSingleLogout(t, startPostgresNodes(t, 1, func(o *app.Options) { o.AllowPrivateDestinations = true })[0])
}

func samlSingleLogout(t *testing.T, n *node) {
	m := newMgmtClient(t, n)
	idp := newTestIdP(t)
	slo, _ := url.Parse("http://127.0.0.1:9/slo")
	idp.idp.LogoutURL = *slo
	issuer := idp.idp.MetadataURL.String()
	status, created := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options": map[string]any{"signInEndpoint": idp.idp.SSOURL.String(), "signingCert": idp.cert, "issuer": issuer,
			"signOutEndpoint": slo.String()}})
	if status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, created)
	}
	idp.loadSP(browser(t), n, "partner")
	ourSLO := n.issuer + "samlp/logout?connection=partner"
	if got := idp.sp.SPSSODescriptors[0].SingleLogoutServices; len(got) == 0 || got[0].Location != ourSLO {
		t.Fatalf("SP metadata SingleLogoutService: %v", got)
	}
	appl := newBrokerApp(t, n)
	signInSAML := func() *http.Client {
		c := browser(t)
		to, response, relay := idp.respond(appl.authorize(c, "partner").String(), spoil{})
		resp, _ := postSAML(t, c, to, response, relay)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil {
			t.Fatalf("ACS: %d", resp.StatusCode)
		}
		appl.idToken(appl.finish(c, loc.String()))
		if !samlSignedIn(t, c, appl) {
			t.Fatal("no session after the SAML sign-in")
		}
		return c
	}

	// IdP-initiated: refusals first, each ending nothing.
	c := signInSAML()
	for _, tc := range []struct {
		name   string
		sender *saml.ServiceProvider
		nameID string
		want   string
	}{
		{"unsigned", idpLogoutSender(idp, issuer, ourSLO, false), "ada@partner.example", "not signed"},
		{"wrong issuer", idpLogoutSender(idp, "https://evil.example/metadata", ourSLO, true), "ada@partner.example", "Issuer"},
	} {
		u, err := tc.sender.MakeRedirectLogoutRequest(tc.nameID, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, browser(t), u.String())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if !samlSignedIn(t, c, appl) {
			t.Fatalf("%s ended the session", tc.name)
		}
	}
	// Another NameID: accepted, but ends nobody's session.
	u, _ := idpLogoutSender(idp, issuer, ourSLO, true).MakeRedirectLogoutRequest("mallory@partner.example", "")
	if resp, body := get(t, browser(t), u.String()); resp.StatusCode != http.StatusFound || !samlSignedIn(t, c, appl) {
		t.Fatalf("LogoutRequest for another NameID: %d %s", resp.StatusCode, body)
	}
	// The IdP's signed LogoutRequest ends the session; the answer is a LogoutResponse to the IdP.
	u, _ = idpLogoutSender(idp, issuer, ourSLO, true).MakeRedirectLogoutRequest("ada@partner.example", "idp-relay")
	resp, body := get(t, browser(t), u.String())
	back, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || back == nil || !strings.HasPrefix(back.String(), slo.String()+"?") ||
		back.Query().Get("SAMLResponse") == "" || back.Query().Get("Signature") == "" || back.Query().Get("RelayState") != "idp-relay" {
		t.Fatalf("IdP-initiated logout: %d %v %s", resp.StatusCode, back, body)
	}
	if samlSignedIn(t, c, appl) {
		t.Fatal("the IdP's LogoutRequest left the session")
	}
	if resp, _ := get(t, browser(t), u.String()); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed LogoutRequest: %d", resp.StatusCode)
	}

	// SP-initiated: /v2/logout?federated. The IdP's LogoutResponse must answer the LogoutRequest
	// this browser was sent with: another browser bringing it, or a replay, is refused.
	c = signInSAML()
	lr := federatedLogout(t, n, c, idp, slo.String())
	if samlSignedIn(t, c, appl) {
		t.Fatal("the session outlived /v2/logout")
	}
	if lr.Request.NameID == nil || lr.Request.NameID.Value != "ada@partner.example" {
		t.Errorf("LogoutRequest NameID %+v", lr.Request.NameID)
	}
	answer := idpLogoutResponse(t, lr, "", ourSLO)
	if resp, body := get(t, browser(t), answer); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "waiting for an answer") {
		t.Errorf("the LogoutResponse in another browser: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, c, answer)
	next, _ := resp.Location()
	if next == nil || next.Path != "/v2/logout" {
		t.Fatalf("after the LogoutResponse: %d %v", resp.StatusCode, next)
	}
	resp, _ = get(t, c, next.String())
	if final, _ := resp.Location(); final == nil || final.String() != devtenant.LogoutURL {
		t.Errorf("returnTo after federated logout: %d %v", resp.StatusCode, final)
	}
	if resp, body := get(t, c, answer); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "waiting for an answer") {
		t.Errorf("the LogoutResponse replayed: %d %s", resp.StatusCode, body)
	}
	// A LogoutResponse signed by the IdP for another request (InResponseTo) is refused.
	c = signInSAML()
	lr = federatedLogout(t, n, c, idp, slo.String())
	if resp, body := get(t, c, idpLogoutResponse(t, lr, "id-another-request", ourSLO)); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "InResponseTo") {
		t.Errorf("a LogoutResponse for another request: %d %s", resp.StatusCode, body)
	}

	_, logs := m.do("GET", "logs?per_page=100", nil)
	var failed []string
	for _, l := range logs["list"].([]any) {
		if e := l.(map[string]any); e["type"] == "flo" {
			failed = append(failed, e["description"].(string))
		}
	}
	if len(failed) < 6 || !strings.Contains(strings.Join(failed, "|"), "InResponseTo") {
		t.Errorf("flo entries: %v", failed)
	}
}

// federatedLogout calls /v2/logout?federated in browser c and returns the LogoutRequest it sent
// to the IdP's endpoint at, as crewjam/saml's IdP reads and accepts it.
func federatedLogout(t *testing.T, n *node, c *http.Client, idp *testIdP, at string) *saml.IdpLogoutRequest {
	t.Helper()
	resp, _ := get(t, c, n.issuer+"v2/logout?federated&client_id="+n.tenant.WebApp.ClientID+"&returnTo="+url.QueryEscape(devtenant.LogoutURL))
	toIdP, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || toIdP == nil || !strings.HasPrefix(toIdP.String(), at+"?") {
		t.Fatalf("/v2/logout?federated: %d %v, want %s", resp.StatusCode, toIdP, at)
	}
	lr, err := saml.NewIdpLogoutRequest(idp.idp, httptest.NewRequest("GET", toIdP.String(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := lr.Validate(); err != nil {
		t.Fatalf("the IdP refuses the LogoutRequest: %v", err)
	}
	return lr
}

// idpLogoutResponse is the IdP's signed LogoutResponse to lr (to inResponseTo instead, when given),
// as the URL it sends the browser to, which must be ourSLO.
func idpLogoutResponse(t *testing.T, lr *saml.IdpLogoutRequest, inResponseTo, ourSLO string) string {
	t.Helper()
	out := lr.MakeLogoutResponse(saml.StatusSuccess)
	if inResponseTo != "" {
		out.InResponseTo = inResponseTo
	}
	rec := httptest.NewRecorder()
	if err := lr.WriteLogoutResponse(rec, out); err != nil {
		t.Fatal(err)
	}
	answer := rec.Header().Get("Location")
	if !strings.HasPrefix(answer, ourSLO) {
		t.Fatalf("the IdP answered to %q (%d %s)", answer, rec.Code, rec.Body)
	}
	return answer
}
