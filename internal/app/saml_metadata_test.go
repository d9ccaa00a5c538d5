package app_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestSAMLMetadataURL: a samlp connection given only metadataUrl reads crewjam/saml's IdP
// metadata (served on loopback) when it is saved: the single sign-on and logout URLs, the entity
// id and the signing certificate fill its options, and the sign-in works. A document too large,
// one that is not an IdP's metadata, an address that does not answer, and a loopback URL on a
// node outside development are each refused with the option named, creating nothing.
func TestSAMLMetadataURL(t *testing.T) {
	idp := newTestIdP(t)
	slo, _ := url.Parse("http://127.0.0.1:9/slo")
	idp.idp.LogoutURL = *slo
	md, err := xml.Marshal(idp.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		switch r.URL.Path {
		case "/metadata":
			_, _ = w.Write(md)
		case "/huge":
			_, _ = w.Write([]byte(strings.Repeat(" ", 2<<20)))
		case "/sp":
			_, _ = w.Write([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	conn := func(name, metadataURL string) map[string]any {
		return map[string]any{"name": name, "strategy": "samlp", "enabled_clients": []string{n.tenant.WebApp.ClientID},
			"options": map[string]any{"metadataUrl": metadataURL}}
	}
	for _, tc := range []struct{ path, want string }{
		{"/huge", "larger"}, {"/sp", "identity provider"}, {"/missing", "HTTP 404"},
	} {
		if status, out := m.do("POST", "connections", conn("bad", srv.URL+tc.path)); status != http.StatusBadRequest ||
			!strings.Contains(out["message"].(string), "metadataUrl") || !strings.Contains(out["message"].(string), tc.want) {
			t.Errorf("%s: %d %v", tc.path, status, out)
		}
	}
	if status, out := m.do("POST", "connections", conn("bad", "http://127.0.0.1:1/metadata")); status != http.StatusBadRequest ||
		!strings.Contains(out["message"].(string), "metadataUrl") {
		t.Errorf("nothing listening: %d %v", status, out)
	}
	prod := startNode(t)
	if status, out := newMgmtClient(t, prod).do("POST", "connections", conn("bad", srv.URL+"/metadata")); status != http.StatusBadRequest ||
		!strings.Contains(out["message"].(string), "metadataUrl") {
		t.Errorf("loopback metadata outside development: %d %v", status, out)
	}
	if _, list := m.do("GET", "connections?strategy=samlp", nil); len(list["list"].([]any)) != 0 {
		t.Fatalf("a refused connection was created: %v", list)
	}

	status, created := m.do("POST", "connections", conn("partner", srv.URL+"/metadata"))
	if status != http.StatusCreated {
		t.Fatalf("create from metadata: %d %v", status, created)
	}
	o := created["options"].(map[string]any)
	if o["signInEndpoint"] != idp.idp.SSOURL.String() || o["signOutEndpoint"] != slo.String() || o["issuer"] != idp.idp.MetadataURL.String() ||
		o["signingCert"] != idp.cert || o["metadataUrl"] != srv.URL+"/metadata" {
		t.Fatalf("options from metadata: %v", o)
	}
	idp.loadSP(browser(t), n, "partner")
	appl := newBrokerApp(t, n)
	c := browser(t)
	to, response, relay := idp.respond(appl.authorize(c, "partner").String(), spoil{})
	resp, _ := postSAML(t, c, to, response, relay)
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("ACS: %d", resp.StatusCode)
	}
	if id := appl.idToken(appl.finish(c, loc.String())); id["sub"] != "samlp|partner|ada@partner.example" {
		t.Errorf("sign-in: %v", id["sub"])
	}
}
