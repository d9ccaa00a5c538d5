package app_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// testIdP is a SAML identity provider in the test: crewjam/saml's IdentityProvider, answering
// the AuthnRequests a node sends with responses a test may spoil on purpose.
type testIdP struct {
	t    *testing.T
	idp  *saml.IdentityProvider
	sp   *saml.EntityDescriptor // the node's SP metadata, read from /samlp/metadata
	cert string                 // base64 of the PEM, as Auth0's signingCert takes it
	// plain: assertions in the clear. The node's metadata offers an encryption key, which
	// crewjam/saml's IdP uses; the happy path proves encrypted assertions are read.
	plain bool
}

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, certDER := selfSigned(t, "idp.test")
	cert, _ := x509.ParseCertificate(certDER)
	meta, _ := url.Parse("https://idp.test/metadata")
	sso, _ := url.Parse("http://127.0.0.1:9/sso")
	p := &testIdP{t: t, cert: base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))}
	p.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *meta, SSOURL: *sso, ServiceProviderProvider: p}
	return p
}

func selfSigned(t *testing.T, cn string) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// GetServiceProvider gives the IdP the node's metadata; with plain set, without its encryption
// key, so that the assertion is sent in the clear (and can be spoilt).
func (p *testIdP) GetServiceProvider(*http.Request, string) (*saml.EntityDescriptor, error) {
	if !p.plain {
		return p.sp, nil
	}
	md := *p.sp
	md.SPSSODescriptors = append([]saml.SPSSODescriptor(nil), p.sp.SPSSODescriptors...)
	for i := range md.SPSSODescriptors {
		var keep []saml.KeyDescriptor
		for _, k := range md.SPSSODescriptors[i].KeyDescriptors {
			if k.Use != "encryption" {
				keep = append(keep, k)
			}
		}
		md.SPSSODescriptors[i].KeyDescriptors = keep
	}
	return &md, nil
}

// loadSP reads the node's SP metadata for connection, as an administrator gives it to their IdP.
func (p *testIdP) loadSP(c *http.Client, n *node, connection string) {
	p.t.Helper()
	resp, body := get(p.t, c, n.issuer+"samlp/metadata?connection="+connection)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		p.t.Fatalf("SP metadata: %d %s", resp.StatusCode, body)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(body), &md); err != nil {
		p.t.Fatalf("SP metadata: %v", err)
	}
	p.sp = &md
}

// spoil changes a response on its way back, to prove the node refuses it.
type spoil struct {
	audience     string        // the assertion's Audience
	recipient    string        // where the response says it is sent (Destination and Recipient)
	inResponseTo string        // the request it says it answers
	lifetime     time.Duration // the assertion's NotOnOrAfter from now (negative: expired)
	unsigned     bool          // every signature removed
	wrapped      bool          // XML signature wrapping: an unsigned forged assertion beside the signed one
	tampered     bool          // the signed assertion's NameID changed after signing
	sha1         bool          // signed with rsa-sha1, which the connection does not accept
	nameID       string
}

// respond answers the AuthnRequest at authnURL: the ACS URL, the SAMLResponse and the RelayState.
func (p *testIdP) respond(authnURL string, s spoil) (string, string, string) {
	p.t.Helper()
	return p.respondTo(httptest.NewRequest("GET", authnURL, nil), s)
}

// respondTo answers the AuthnRequest the browser brought to the IdP (HTTP-Redirect or HTTP-POST).
func (p *testIdP) respondTo(r *http.Request, s spoil) (string, string, string) {
	p.t.Helper()
	p.plain = s != (spoil{})
	req, err := saml.NewIdpAuthnRequest(p.idp, r)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		p.t.Fatalf("the IdP refuses the AuthnRequest: %v", err)
	}
	if s.recipient != "" {
		req.ACSEndpoint = &saml.IndexedEndpoint{Binding: saml.HTTPPostBinding, Location: s.recipient}
	}
	switch s.inResponseTo {
	case "":
	case "-": // unsolicited (IdP-initiated)
		req.Request.ID = ""
	default:
		req.Request.ID = s.inResponseTo
	}
	nameID := s.nameID
	if nameID == "" {
		nameID = "ada@partner.example"
	}
	now := time.Now()
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, &saml.Session{ID: "s1", CreateTime: now, ExpireTime: now.Add(time.Hour),
		Index: "1", NameID: nameID, UserName: "ada", UserEmail: "ada@partner.example", UserGivenName: "Ada", UserSurname: "Lovelace",
		UserCommonName: "Ada Lovelace"}); err != nil {
		p.t.Fatal(err)
	}
	if s.audience != "" {
		req.Assertion.Conditions.AudienceRestrictions[0].Audience.Value = s.audience
	}
	if s.lifetime != 0 {
		until := now.Add(s.lifetime)
		req.Assertion.Conditions.NotOnOrAfter = until
		req.Assertion.Conditions.NotBefore = until.Add(-10 * time.Minute)
		for i := range req.Assertion.Subject.SubjectConfirmations {
			req.Assertion.Subject.SubjectConfirmations[i].SubjectConfirmationData.NotOnOrAfter = until
		}
	}
	if s.sha1 {
		p.idp.SignatureMethod = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
		defer func() { p.idp.SignatureMethod = "" }()
	}
	if err := req.MakeResponse(); err != nil {
		p.t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.ResponseEl)
	if s.unsigned {
		for _, sig := range doc.FindElements("//Signature") {
			sig.Parent().RemoveChild(sig)
		}
	}
	if s.wrapped {
		// The classic wrapping attack: the Response's own signature removed, an unsigned assertion
		// for another user placed first, the IdP's signed assertion left after it.
		if sig := doc.Root().SelectElement("Signature"); sig != nil {
			doc.Root().RemoveChild(sig)
		}
		signed := doc.Root().SelectElement("Assertion")
		forged := signed.Copy()
		forged.CreateAttr("ID", "id-forged")
		if sig := forged.SelectElement("Signature"); sig != nil {
			forged.RemoveChild(sig)
		}
		forged.FindElement(".//NameID").SetText("mallory@partner.example")
		doc.Root().InsertChildAt(signed.Index(), forged)
	}
	if s.tampered {
		doc.FindElement("//Assertion//NameID").SetText("mallory@partner.example")
	}
	raw, err := doc.WriteToBytes()
	if err != nil {
		p.t.Fatal(err)
	}
	return req.ACSEndpoint.Location, base64.StdEncoding.EncodeToString(raw), req.RelayState
}

// postSAML posts a SAMLResponse to the ACS as the IdP's auto-submitted form does.
func postSAML(t *testing.T, c *http.Client, acs, response, relay string) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(acs, url.Values{"SAMLResponse": {response}, "RelayState": {relay}})
	if err != nil {
		t.Fatalf("POST %s: %v", acs, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSignInThroughSAML: a samlp connection created through the Management API, its SP metadata
// given to crewjam/saml's IdP, a sign-in from /authorize?connection= through the IdP to the app's
// tokens for samlp|<connection>|<NameID>; then each bad response is refused with Auth0's error at
// the app's callback and a tenant log entry, and creates nobody.
func TestSignInThroughSAML(t *testing.T) {
	dev := func(o *app.Options) { o.AllowPrivateDestinations = true }
	t.Run("sqlite", func(t *testing.T) { signInThroughSAML(t, startNode(t, dev)) })
	t.Run("postgres", func(t *testing.T) { signInThroughSAML(t, startPostgresNodes(t, 1, dev)[0]) })
}

func signInThroughSAML(t *testing.T, n *node) {
	m := newMgmtClient(t, n)
	idp := newTestIdP(t)

	status, created := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options": map[string]any{"signInEndpoint": idp.idp.SSOURL.String(), "signingCert": idp.cert, "signSAMLRequest": true,
			"fieldsMap": map[string]any{"nickname": "sn", "email": []string{"missing", "mail"}}, "debug": true}})
	if status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, created)
	}
	opts := created["options"].(map[string]any)
	sk, _ := opts["signing_key"].(map[string]any)
	if sk == nil || !strings.HasPrefix(sk["cert"].(string), "-----BEGIN CERTIFICATE-----") || sk["key"] != nil {
		t.Fatalf("signing_key: %v", opts["signing_key"])
	}
	if raw, _ := json.Marshal(created); bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Fatal("the SP private key is shown")
	}

	jar := browser(t)
	idp.loadSP(jar, n, "partner")
	if idp.sp.EntityID != "urn:auth0:127:partner" && !strings.HasPrefix(idp.sp.EntityID, "urn:auth0:") {
		t.Errorf("SP entity id %q", idp.sp.EntityID)
	}
	acs := idp.sp.SPSSODescriptors[0].AssertionConsumerServices[0].Location
	if acs != n.issuer+"login/callback?connection=partner" {
		t.Errorf("ACS %q", acs)
	}

	appl := newBrokerApp(t, n)
	start := func() (*http.Client, string) {
		c := browser(t)
		to := appl.authorize(c, "partner")
		if !strings.HasPrefix(to.String(), idp.idp.SSOURL.String()+"?") || to.Query().Get("SAMLRequest") == "" ||
			to.Query().Get("Signature") == "" || to.Query().Get("RelayState") == "" {
			t.Fatalf("not sent to the IdP with a signed AuthnRequest: %s", to)
		}
		return c, to.String()
	}

	c, authn := start()
	to, response, relay := idp.respond(authn, spoil{})
	if !strings.Contains(mustDecode(t, response), "EncryptedAssertion") {
		t.Error("the IdP did not encrypt the assertion to the SP's key")
	}
	resp, body := postSAML(t, c, to, response, relay)
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.Path, "/login/callback") {
		t.Fatalf("ACS: %d %s", resp.StatusCode, body)
	}
	// The verified answer completes only in the browser that started the sign-in.
	if resp, _ := get(t, browser(t), loc.String()); resp.StatusCode != http.StatusBadRequest {
		l, _ := resp.Location()
		t.Fatalf("the answer finished in another browser: %d %s %v", resp.StatusCode, loc.String(), l)
	}
	id := appl.idToken(appl.finish(c, loc.String()))
	if id["sub"] != "samlp|partner|ada@partner.example" || id["email"] != "ada@partner.example" || id["name"] != "Ada Lovelace" ||
		id["nickname"] != "Lovelace" || id["given_name"] != "Ada" || id["email_verified"] != false {
		t.Fatalf("ID token: %v", id)
	}

	// The same response again, for the finished transaction: refused.
	if resp, _ := postSAML(t, c, to, response, relay); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the spent transaction's response again: %d", resp.StatusCode)
	}

	cases := []struct {
		name string
		s    spoil
		want string
	}{
		{"unsigned", spoil{unsigned: true}, "not signed"},
		{"wrapped", spoil{wrapped: true}, "malformed"},
		{"tampered", spoil{tampered: true}, "not signed"},
		{"sha1", spoil{sha1: true}, "not signed"},
		{"another request", spoil{inResponseTo: "id-another-request"}, "InResponseTo"},
		{"wrong audience", spoil{audience: "urn:auth0:other:partner"}, "Audience"},
		{"expired", spoil{lifetime: -10 * time.Minute}, "NotOnOrAfter"}, // beyond the 3 minutes of clock skew allowed
		{"wrong recipient", spoil{recipient: n.issuer + "login/callback?connection=other"}, "recipient"},
	}
	for i, tc := range cases {
		c, authn := start()
		tc.s.nameID = fmt.Sprintf("refused-%d@partner.example", i)
		_, response, relay := idp.respond(authn, tc.s)
		resp, body := postSAML(t, c, acs, response, relay)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusFound || loc == nil || loc.Scheme+"://"+loc.Host+loc.Path != devtenant.Callback ||
			loc.Query().Get("error") != "access_denied" || !strings.Contains(loc.Query().Get("error_description"), tc.want) {
			t.Errorf("%s: %d %v %s", tc.name, resp.StatusCode, loc, body)
		}
		if status, _ := m.do("GET", "users/"+url.PathEscape("samlp|partner|"+tc.s.nameID), nil); status != http.StatusNotFound {
			t.Errorf("%s: a user was created (%d)", tc.name, status)
		}
	}

	// Home realm discovery: an email of one of the connection's domain_aliases typed on the login
	// form goes to the IdP; the answer signs the user in as before. The PATCH's options leave
	// signing_key out: the SP key is kept.
	opts["domain_aliases"] = []string{"partner.example"}
	idpPEM, _ := base64.StdEncoding.DecodeString(idp.cert)
	opts["signing_key"] = map[string]any{"cert": string(idpPEM)}
	if status, out := m.do("PATCH", "connections/"+created["id"].(string), map[string]any{"options": opts}); status != http.StatusBadRequest ||
		!strings.Contains(fmt.Sprint(out["message"]), "signing_key") {
		t.Fatalf("another SP certificate without its key: %d %v", status, out)
	}
	delete(opts, "signing_key")
	if status, out := m.do("PATCH", "connections/"+created["id"].(string), map[string]any{"options": opts}); status != http.StatusOK {
		t.Fatalf("patch domain_aliases: %d %v", status, out)
	}
	c = browser(t)
	resp, _ = get(t, c, appl.cfg.AuthCodeURL("app-state", oauth2.S256ChallengeOption(appl.verifier), oidc.Nonce("app-nonce")))
	loginURL, _ := resp.Location()
	_, page := get(t, c, loginURL.String())
	form := formFields(page)
	form.Set("username", "Ada@Partner.example")
	hrd := postForm(t, c, loginURL.String(), form)
	toIdP, _ := hrd.Location()
	if hrd.StatusCode != http.StatusFound || toIdP == nil || !strings.HasPrefix(toIdP.String(), idp.idp.SSOURL.String()+"?") {
		t.Fatalf("home realm discovery: %d %v", hrd.StatusCode, toIdP)
	}
	to, response, relay = idp.respond(toIdP.String(), spoil{})
	resp, _ = postSAML(t, c, to, response, relay)
	loc, _ = resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("ACS after home realm discovery: %d", resp.StatusCode)
	}
	if id := appl.idToken(appl.finish(c, loc.String())); id["sub"] != "samlp|partner|ada@partner.example" {
		t.Errorf("home realm discovery signed in %v", id["sub"])
	}

	// IdP-initiated sign-in is off: an unsolicited response is refused on Gatehouse's own page.
	_, authn = start()
	_, unsolicited, _ := idp.respond(authn, spoil{inResponseTo: "-"})
	if resp, _ := postSAML(t, browser(t), acs, unsolicited, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("IdP-initiated while disabled: %d", resp.StatusCode)
	}
	// Turned on for the app: the unsolicited response signs the user in to it, once; the same
	// response again is a replay.
	opts["idpinitiated"] = map[string]any{"enabled": true, "client_id": n.tenant.WebApp.ClientID, "client_protocol": "oauth2",
		"client_authorizequery": "response_type=code&scope=openid email"}
	if status, out := m.do("PATCH", "connections/"+created["id"].(string), map[string]any{"options": opts}); status != http.StatusOK {
		t.Fatalf("enable IdP-initiated: %d %v", status, out)
	}
	c = browser(t)
	resp, _ = postSAML(t, c, acs, unsolicited, "")
	loc, _ = resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("IdP-initiated: %d", resp.StatusCode)
	}
	resp, _ = get(t, c, loc.String())
	if cb, _ := resp.Location(); cb == nil || cb.Scheme+"://"+cb.Host+cb.Path != devtenant.Callback || cb.Query().Get("code") == "" {
		t.Fatalf("IdP-initiated sign-in: %d %v", resp.StatusCode, cb)
	}
	resp, _ = postSAML(t, browser(t), acs, unsolicited, "")
	if loc, _ := resp.Location(); loc == nil || !strings.Contains(loc.Query().Get("error_description"), "already been used") {
		t.Errorf("replayed assertion: %d %v", resp.StatusCode, loc)
	}
	// An unsolicited response is not taken as the answer to a sign-in's own request.
	c, authn = start()
	_, unsolicited2, _ := idp.respond(authn, spoil{inResponseTo: "-", nameID: "unsolicited@partner.example"})
	_, _, relay = idp.respond(authn, spoil{})
	resp, _ = postSAML(t, c, acs, unsolicited2, relay)
	if loc, _ := resp.Location(); loc == nil || !strings.Contains(loc.Query().Get("error_description"), "InResponseTo") {
		t.Errorf("unsolicited response for an SP-initiated sign-in: %d %v", resp.StatusCode, loc)
	}

	// Only the one user exists, and every refusal is in the tenant log.
	if users := usersByEmail(t, m, "ada@partner.example"); len(users) != 1 || users[0]["user_id"] != "samlp|partner|ada@partner.example" {
		t.Errorf("users with the IdP's email: %v", users)
	}
	for _, u := range usersByEmail(t, m, "mallory@partner.example") {
		t.Errorf("a user from a forged assertion: %v", u)
	}
	_, logs := m.do("GET", "logs?per_page=100", nil)
	var failures []string
	for _, l := range logs["list"].([]any) {
		if e := l.(map[string]any); e["type"] == "f" {
			failures = append(failures, e["description"].(string))
		}
	}
	all := strings.Join(failures, "\n")
	for _, want := range []string{"SHA-1 based signature algorithms are not accepted", "not signed", "InResponseTo", "Audience", "NotOnOrAfter", "recipient", "already been used", "IdP-initiated"} {
		if !strings.Contains(all, want) {
			t.Errorf("no tenant log entry with %q in:\n%s", want, all)
		}
	}
}

func mustDecode(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestSAMLAssertionOnceAcrossNodes: one IdP-initiated response posted to two nodes on one
// PostgreSQL at once signs in at exactly one of them; the other refuses it as already used.
func TestSAMLAssertionOnceAcrossNodes(t *testing.T) {
	nodes := startPostgresNodes(t, 2, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, nodes[0])
	idp := newTestIdP(t)
	status, created := m.do("POST", "connections", map[string]any{"name": "partner", "strategy": "samlp",
		"enabled_clients": []string{nodes[0].tenant.WebApp.ClientID},
		"options": map[string]any{"signInEndpoint": idp.idp.SSOURL.String(), "signingCert": idp.cert,
			"idpinitiated": map[string]any{"enabled": true, "client_id": nodes[0].tenant.WebApp.ClientID}}})
	if status != http.StatusCreated {
		t.Fatalf("create samlp connection: %d %v", status, created)
	}
	idp.loadSP(browser(t), nodes[0], "partner")
	to := newBrokerApp(t, nodes[0]).authorize(browser(t), "partner")
	_, unsolicited, _ := idp.respond(to.String(), spoil{inResponseTo: "-"})

	type result struct {
		status int
		loc    *url.URL
	}
	results := make(chan result, 2)
	for _, n := range nodes {
		go func() {
			resp, err := browser(t).PostForm(n.issuer+"login/callback?connection=partner", url.Values{"SAMLResponse": {unsolicited}})
			if err != nil {
				results <- result{}
				return
			}
			resp.Body.Close()
			loc, _ := resp.Location()
			results <- result{resp.StatusCode, loc}
		}()
	}
	accepted, replayed := 0, 0
	for range nodes {
		r := <-results
		switch {
		case r.status == http.StatusSeeOther:
			accepted++
		case r.status == http.StatusFound && r.loc != nil && strings.Contains(r.loc.Query().Get("error_description"), "already been used"):
			replayed++
		default:
			t.Errorf("unexpected answer: %d %v", r.status, r.loc)
		}
	}
	if accepted != 1 || replayed != 1 {
		t.Fatalf("accepted %d, refused as replayed %d; want one each", accepted, replayed)
	}
}
