package e2e_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// Authentication › SAML in a browser: create a samlp connection with the IdP's certificate
// uploaded from a file, see the addresses to give the IdP on its settings page, turn request signing
// off and the HTTP-POST binding on, see it in the list. Screenshots of each page, at desktop and
// phone width.
func TestDashboardSAMLPages(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx, func(o *app.Options) { o.AllowPrivateDestinations = true })
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	certFile := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(certFile, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	desktop := func() { b.step("desktop width", chromedp.EmulateViewport(1280, 900)) }
	phone := func(name string) {
		b.step("phone width", chromedp.EmulateViewport(390, 844))
		b.screenshot(shots, name)
		desktop()
	}
	desktop()

	b.navigate(g.Issuer + "admin/saml")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	b.step("wait for the empty list", chromedp.WaitVisible(`a[href="/admin/saml/new"]`))
	b.step("create form", chromedp.Click(`a[href="/admin/saml/new"]`), chromedp.WaitVisible(`#name`))
	b.step("fill it",
		chromedp.SetValue(`#name`, "partner"),
		chromedp.SetValue(`#display_name`, "Partner SSO"),
		chromedp.SetValue(`#signInEndpoint`, "http://127.0.0.1:9/sso"),
		chromedp.SetUploadFiles(`#cert_file`, []string{certFile}),
		chromedp.SetValue(`#domain_aliases`, "partner.example"))
	b.screenshot(shots, "dashboard-saml-new")
	phone("dashboard-saml-new-phone")
	b.step("create", chromedp.Submit(`#name`), chromedp.WaitVisible(`#sp-metadata`))
	if v := run(b, "metadata URL", chromedp.Evaluate[string](`document.querySelector("#sp-metadata").value`)); v != g.Issuer+"samlp/metadata?connection=partner" {
		t.Errorf("SP metadata URL %q", v)
	}
	if v := run(b, "ACS URL", chromedp.Evaluate[string](`document.querySelector("#sp-acs").value`)); v != g.Issuer+"login/callback?connection=partner" {
		t.Errorf("ACS URL %q", v)
	}
	if on := run(b, "sign requests", chromedp.Evaluate[bool](`document.querySelector("input[name=signSAMLRequest]").checked`)); !on {
		t.Error("a new connection does not sign its requests")
	}
	b.step("unsigned requests, HTTP-POST",
		chromedp.Click(`input[name=signSAMLRequest]`),
		chromedp.SetValue(`#protocolBinding`, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"))
	// The page shows the flash of the first save already: wait for the answer to this one.
	sctx, scancel := context.WithTimeout(b.ctx, 15*time.Second)
	if _, err := chromedp.RunResponse(sctx, chromedp.Submit(`#signInEndpoint`)); err != nil {
		t.Fatalf("save the settings: %v (at %s)", err, b.location())
	}
	scancel()
	b.step("the saved settings", chromedp.WaitVisible(`.flash`))
	if on := run(b, "sign requests", chromedp.Evaluate[bool](`document.querySelector("input[name=signSAMLRequest]").checked`)); on {
		t.Error("signSAMLRequest false not saved")
	}
	if v := run(b, "binding", chromedp.Evaluate[string](`document.querySelector("#protocolBinding").value`)); !strings.HasSuffix(v, "HTTP-POST") {
		t.Errorf("binding %q", v)
	}
	b.screenshot(shots, "dashboard-saml")
	phone("dashboard-saml-phone")

	b.step("list", chromedp.Click(`nav.side a[href="/admin/saml"]`), chromedp.WaitVisible(`tbody`))
	if rows := b.text("tbody"); !strings.Contains(rows, "partner") || !strings.Contains(rows, "Partner SSO") {
		t.Errorf("list: %q", rows)
	}
	b.screenshot(shots, "dashboard-saml-list")
}

func selfSignedPEM(t *testing.T) []byte {
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
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
