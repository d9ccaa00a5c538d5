package domain_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func testCertPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestSAMLConnectionValidate(t *testing.T) {
	certPEM := testCertPEM(t)
	blk, _ := pem.Decode([]byte(certPEM))
	valid := func() *domain.Connection {
		c := &domain.Connection{Name: "partner", Strategy: domain.StrategySAMLP, Realms: []string{"partner"}}
		c.Options.SignInEndpoint = "https://idp.example/sso"
		c.Options.SigningCert = base64.StdEncoding.EncodeToString([]byte(certPEM))
		return c
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid samlp connection: %v", err)
	}
	for name, cert := range map[string]string{"PEM": certPEM, "base64 DER": base64.StdEncoding.EncodeToString(blk.Bytes)} {
		c := valid()
		c.Options.SigningCert, c.Options.Cert = "", cert
		if err := c.Validate(); err != nil {
			t.Errorf("cert as %s: %v", name, err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*domain.Connection)
		field  string
	}{
		{"no signInEndpoint", func(c *domain.Connection) { c.Options.SignInEndpoint = "" }, "options.signInEndpoint"},
		{"relative signInEndpoint", func(c *domain.Connection) { c.Options.SignInEndpoint = "/sso" }, "options.signInEndpoint"},
		{"no certificate", func(c *domain.Connection) { c.Options.SigningCert = "" }, "options.signingCert"},
		{"not a certificate", func(c *domain.Connection) { c.Options.SigningCert = "bm90IGEgY2VydA==" }, "options.signingCert"},
		{"signature algorithm", func(c *domain.Connection) { c.Options.SignatureAlgorithm = "hmac-sha256" }, "options.signatureAlgorithm"},
		{"digest algorithm", func(c *domain.Connection) { c.Options.DigestAlgorithm = "md5" }, "options.digestAlgorithm"},
		{"unknown binding", func(c *domain.Connection) { c.Options.ProtocolBinding = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP" }, "options.protocolBinding"},
		{"unknown fieldsMap key", func(c *domain.Connection) {
			c.Options.FieldsMap = map[string]domain.FieldSource{"groups": {"memberOf"}}
		}, "options.fieldsMap"},
		{"idpinitiated without client", func(c *domain.Connection) { c.Options.IdPInitiated = &domain.SAMLIdPInitiated{Enabled: true} }, "options.idpinitiated.client_id"},
		{"idpinitiated protocol", func(c *domain.Connection) {
			c.Options.IdPInitiated = &domain.SAMLIdPInitiated{Enabled: true, ClientID: "c", ClientProtocol: "wsfed"}
		}, "options.idpinitiated.client_protocol"},
		{"oauth option", func(c *domain.Connection) { c.Options.ClientID = "x" }, "options"},
		{"password option", func(c *domain.Connection) { c.Options.PasswordPolicy = "good" }, "options"},
		{"domain alias", func(c *domain.Connection) { c.Options.DomainAliases = []string{"Not A Domain"} }, "options.domain_aliases"},
	} {
		c := valid()
		tc.change(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want a problem with %s", tc.name, err, tc.field)
		}
	}
	oidc := &domain.Connection{Name: "o", Strategy: domain.StrategyOIDC, Realms: []string{"o"}}
	oidc.Options.ClientID, oidc.Options.ClientSecret, oidc.Options.Issuer = "id", "s", "https://idp.example/"
	oidc.Options.SignInEndpoint = "https://idp.example/sso"
	if err := oidc.Validate(); err == nil || !strings.Contains(err.Error(), "samlp") {
		t.Errorf("SAML option on an oidc connection: %v", err)
	}
}

func TestFieldsMapJSON(t *testing.T) {
	var o domain.SAMLOptions
	if err := json.Unmarshal([]byte(`{"fieldsMap":{"email":"mail","given_name":["givenName","gn"]}}`), &o); err != nil {
		t.Fatal(err)
	}
	if got := o.FieldsMap["email"]; len(got) != 1 || got[0] != "mail" {
		t.Errorf("email: %v", got)
	}
	if got := o.FieldsMap["given_name"]; len(got) != 2 || got[1] != "gn" {
		t.Errorf("given_name: %v", got)
	}
	out, _ := json.Marshal(o.FieldsMap)
	if string(out) != `{"email":"mail","given_name":["givenName","gn"]}` {
		t.Errorf("written back as %s", out)
	}
	if err := json.Unmarshal([]byte(`{"fieldsMap":{"email":42}}`), &o); err == nil {
		t.Error("a number as an attribute name was accepted")
	}
}
