package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestSAMLSingleLogoutWithoutSignOutEndpoint: a samlp connection with no signOutEndpoint signs
// out at its signInEndpoint, as Auth0 does ("When not provided, defaults to signInEndpoint"): its
// SP metadata publishes the SingleLogoutService, /v2/logout?federated sends a LogoutRequest
// crewjam/saml's IdP accepts to the sign-in URL, and the answer brings the browser back to
// returnTo. With disableSignout the logout stays local.
func TestSAMLSingleLogoutWithoutSignOutEndpoint(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	idp := newTestIdP(t)
	idp.idp.LogoutURL = idp.idp.SSOURL // an IdP serving both profiles at one URL
	issuer, sso := idp.idp.MetadataURL.String(), idp.idp.SSOURL.String()
	status, created := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options":         map[string]any{"signInEndpoint": sso, "signingCert": idp.cert, "issuer": issuer}})
	if status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, created)
	}
	idp.loadSP(browser(t), n, "partner")
	ourSLO := n.issuer + "samlp/logout?connection=partner"
	if got := idp.sp.SPSSODescriptors[0].SingleLogoutServices; len(got) == 0 || got[0].Location != ourSLO {
		t.Fatalf("SP metadata SingleLogoutService: %v", got)
	}
	appl := newBrokerApp(t, n)
	signIn := func() *http.Client {
		c := browser(t)
		to, response, relay := idp.respond(appl.authorize(c, "partner").String(), spoil{})
		resp, _ := postSAML(t, c, to, response, relay)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil {
			t.Fatalf("ACS: %d", resp.StatusCode)
		}
		appl.idToken(appl.finish(c, loc.String()))
		return c
	}

	c := signIn()
	lr := federatedLogout(t, n, c, idp, sso)
	resp, _ := get(t, c, idpLogoutResponse(t, lr, "", ourSLO))
	next, _ := resp.Location()
	if next == nil || next.Path != "/v2/logout" {
		t.Fatalf("after the LogoutResponse: %d %v", resp.StatusCode, next)
	}
	resp, _ = get(t, c, next.String())
	if final, _ := resp.Location(); final == nil || final.String() != devtenant.LogoutURL {
		t.Errorf("returnTo after federated logout: %d %v", resp.StatusCode, final)
	}

	// disableSignout: /v2/logout?federated ends the session here only.
	if status, out := m.do("PATCH", "connections/"+created["id"].(string), map[string]any{"options": map[string]any{
		"signInEndpoint": sso, "signingCert": idp.cert, "issuer": issuer, "disableSignout": true}}); status != http.StatusOK {
		t.Fatalf("disableSignout: %d %v", status, out)
	}
	c = signIn()
	resp, _ = get(t, c, n.issuer+"v2/logout?federated&client_id="+n.tenant.WebApp.ClientID+"&returnTo="+url.QueryEscape(devtenant.LogoutURL))
	if to, _ := resp.Location(); to == nil || strings.HasPrefix(to.String(), sso) || to.String() != devtenant.LogoutURL {
		t.Errorf("federated logout with disableSignout: %d %v", resp.StatusCode, to)
	}
	if samlSignedIn(t, c, appl) {
		t.Error("the session outlived /v2/logout")
	}
}
