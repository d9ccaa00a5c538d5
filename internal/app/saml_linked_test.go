package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestSAMLLinkedIdentity: a samlp user linked to a database account through the Management API
// signs that account in at the next SAML sign-in, and the Action sees the samlp connection as
// event.connection and both identities.
func TestSAMLLinkedIdentity(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	idp := newTestIdP(t)
	if status, out := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options":         map[string]any{"signInEndpoint": idp.idp.SSOURL.String(), "signingCert": idp.cert}}); status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, out)
	}
	idp.loadSP(browser(t), n, "partner")
	appl := newBrokerApp(t, n)
	signInSAML := func() map[string]any {
		c := browser(t)
		to, response, relay := idp.respond(appl.authorize(c, "partner").String(), spoil{})
		resp, _ := postSAML(t, c, to, response, relay)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil {
			t.Fatalf("ACS: %d", resp.StatusCode)
		}
		return appl.idToken(appl.finish(c, loc.String()))
	}
	if id := signInSAML(); id["sub"] != "samlp|partner|ada@partner.example" {
		t.Fatalf("first SAML sign-in: %v", id["sub"])
	}
	admin := n.tenant.Users[0]
	_, list := m.do("GET", "users?q=email:"+url.QueryEscape(admin.Email)+"&connection=Username-Password-Authentication", nil)
	adminID := list["list"].([]any)[0].(map[string]any)["user_id"].(string)
	if status, out := m.do("POST", "users/"+adminID+"/identities", map[string]any{"provider": "samlp", "user_id": "partner|ada@partner.example"}); status != http.StatusCreated {
		t.Fatalf("link: %d %v", status, out)
	}
	action := m.deployAction("linked saml", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://t/connection", event.connection.name + ":" + event.connection.strategy);
  api.idToken.setCustomClaim("https://t/identities", event.user.identities.map(i => i.provider + ":" + i.connection).join(","));
};`)
	m.bind("post-login", action)
	id := signInSAML()
	if id["sub"] != adminID || id["https://t/connection"] != "partner:samlp" ||
		!strings.Contains(id["https://t/identities"].(string), "auth0:Username-Password-Authentication,samlp:partner") {
		t.Errorf("SAML sign-in through the linked identity: sub %v, the Action saw %v / %v", id["sub"], id["https://t/connection"], id["https://t/identities"])
	}
}
