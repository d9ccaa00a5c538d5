package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// postFile posts form with a file field, as a browser posts a form with enctype multipart.
func postFile(t *testing.T, c *http.Client, target string, form url.Values, field, filename string, content []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile(field, filename)
	_, _ = fw.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest("POST", target, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Authentication › SAML through the pages: a samlp connection created with the IdP's certificate
// uploaded as a file, its settings page showing the SP metadata, ACS, entity id and logout URLs to
// copy; a save with the certificate pasted, request signing, HTTP-POST binding, a sign-out URL and
// domain aliases keeps the SP key the page does not show; the API's message for a bad form; the
// sign-in then works with crewjam/saml's IdP; nothing for a read-only administrator or a tenant user.
func TestDashboardSAML(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	idp := newTestIdP(t)
	certPEM, _ := base64.StdEncoding.DecodeString(idp.cert)
	list := n.issuer + "admin/saml"
	if _, page := get(t, admin, list); !strings.Contains(page, "No SAML connections yet") {
		t.Fatalf("empty list:\n%s", page)
	}
	form := url.Values{"csrf": {csrf}, "name": {"partner"}, "display_name": {"Partner SSO"}, "signInEndpoint": {idp.idp.SSOURL.String()},
		"protocolBinding": {"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"}}
	if resp, page := postFile(t, admin, list+"/new", form, "cert_file", "idp.pem", []byte("not a certificate")); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "signingCert") {
		t.Errorf("bad certificate: %d\n%s", resp.StatusCode, page)
	}
	resp, page := postFile(t, admin, list+"/new", form, "cert_file", "idp.pem", certPEM)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	conn, err := n.Store.GetConnectionByName(ctx, "partner")
	if err != nil || conn.Strategy != "samlp" || conn.Options.SignInEndpoint != idp.idp.SSOURL.String() || conn.Options.SigningKey == nil {
		t.Fatalf("created: %+v %v", conn, err)
	}
	if c, err := conn.Options.IDPCertificate(); err != nil || !bytes.Equal(c.Raw, idp.idp.Certificate.Raw) {
		t.Fatalf("uploaded certificate: %v", err)
	}
	spCert := conn.Options.SigningKey.Cert
	base := list + "/" + conn.ID
	_, page = get(t, admin, base)
	for _, want := range []string{n.issuer + "samlp/metadata?connection=partner", n.issuer + "login/callback?connection=partner",
		"urn:auth0:127:partner", n.issuer + "samlp/logout?connection=partner", `value="Partner SSO"`} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page without %q", want)
		}
	}
	if strings.Contains(page, "PRIVATE KEY") {
		t.Fatal("the SP key is shown")
	}
	edit := url.Values{"csrf": {csrf}, "display_name": {"Partner"}, "signInEndpoint": {idp.idp.SSOURL.String()},
		"cert": {string(certPEM)}, "signSAMLRequest": {"on"}, "protocolBinding": {"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
		"signOutEndpoint": {"http://127.0.0.1:9/slo"}, "issuer": {idp.idp.MetadataURL.String()}, "domain_aliases": {"partner.example\n"}}
	bad := cloneValues(edit)
	bad.Set("signOutEndpoint", "not a url")
	if resp, page := post(t, admin, base, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "signOutEndpoint") {
		t.Errorf("bad sign-out URL: %d\n%s", resp.StatusCode, page)
	}
	if resp, page := post(t, admin, base, edit); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, page)
	}
	c, _ := n.Store.GetConnection(ctx, conn.ID)
	o := c.Options
	if c.DisplayName != "Partner" || !o.SignSAMLRequest || o.ProtocolBinding != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ||
		o.SignOutEndpoint != "http://127.0.0.1:9/slo" || len(o.DomainAliases) != 1 || o.SigningKey == nil || o.SigningKey.Cert != spCert {
		t.Errorf("saved: %+v", o)
	}
	// A save without a certificate keeps it.
	edit.Del("cert")
	if resp, page := post(t, admin, base, edit); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save without certificate: %d\n%s", resp.StatusCode, page)
	}
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.Options.SigningCert == "" {
		t.Error("the certificate was dropped")
	}
	// The providers list does not show it; its settings there send the browser here.
	if _, page := get(t, admin, n.issuer+"admin/providers"); strings.Contains(page, "partner") {
		t.Error("the SAML connection is listed with the social ones")
	}
	if resp, _ := get(t, admin, n.issuer+"admin/providers/"+conn.ID); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("providers settings of a SAML connection: %d", resp.StatusCode)
	}
	if _, page := get(t, admin, list); !strings.Contains(page, `href="/admin/saml/`+conn.ID+`"`) {
		t.Errorf("list:\n%s", page)
	}

	readOnlyAndUserRefused(t, n, []string{list, base, list + "/new"},
		[]roPost{{base, url.Values{"display_name": {"x"}}}, {list + "/new", cloneValues(form)}})
	if c, _ := n.Store.GetConnection(ctx, conn.ID); c.DisplayName != "Partner" {
		t.Errorf("a read-only administrator changed the connection: %+v", c.DisplayName)
	}
}
