package upstream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// TestPrepareSAML: a new samlp connection gets a service provider key; a key given with its
// certificate is kept (to be sealed) and the pair must match; the certificate of a sealed key
// cannot be dropped.
func TestPrepareSAML(t *testing.T) {
	b := &upstream.Broker{Now: time.Now}
	const callback = "https://acme.example.com/login/callback"
	c := &domain.Connection{ID: "con_1", Name: "partner", Strategy: domain.StrategySAMLP}
	if err := b.PrepareSAML(c, callback); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Options.ClientSecret, "-----BEGIN PRIVATE KEY-----") || c.Options.SigningKey == nil ||
		!strings.HasPrefix(c.Options.SigningKey.Cert, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("generated key: %+v", c.Options.SigningKey)
	}
	cert, err := domain.ParseCertificatePEM(c.Options.SigningKey.Cert)
	if err != nil || cert.Subject.CommonName != "urn:auth0:acme:partner" {
		t.Errorf("certificate subject %v (%v)", cert, err)
	}
	if got := upstream.SAMLEntityID(c, callback); got != "urn:auth0:acme:partner" {
		t.Errorf("entity id %q", got)
	}
	key, certPEM := c.Options.ClientSecret, c.Options.SigningKey.Cert

	given := &domain.Connection{ID: "con_2", Name: "other", Strategy: domain.StrategySAMLP}
	given.Options.SigningKey = &domain.SAMLSigningKey{Cert: certPEM, Key: key}
	if err := b.PrepareSAML(given, callback); err != nil || given.Options.ClientSecret != key || given.Options.SigningKey.Key != "" {
		t.Fatalf("given key: %v", err)
	}

	_, otherCert, err := upstream.NewSAMLKey("urn:x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mismatched := &domain.Connection{ID: "con_3", Name: "m", Strategy: domain.StrategySAMLP}
	mismatched.Options.SigningKey = &domain.SAMLSigningKey{Cert: otherCert, Key: key}
	if err := b.PrepareSAML(mismatched, callback); err == nil || !strings.Contains(err.Error(), "signing_key") {
		t.Errorf("a certificate of another key: %v", err)
	}
	bad := &domain.Connection{ID: "con_4", Name: "b", Strategy: domain.StrategySAMLP}
	bad.Options.SigningKey = &domain.SAMLSigningKey{Cert: otherCert, Key: "not a key"}
	if err := b.PrepareSAML(bad, callback); err == nil || !strings.Contains(err.Error(), "signing_key.key") {
		t.Errorf("not a key: %v", err)
	}

	sealed := &domain.Connection{ID: "con_5", Name: "s", Strategy: domain.StrategySAMLP, SecretSealed: []byte{1}}
	if err := b.PrepareSAML(sealed, callback); err == nil {
		t.Error("a sealed key without its certificate was accepted")
	}
	oidc := &domain.Connection{Strategy: domain.StrategyOIDC}
	if err := b.PrepareSAML(oidc, callback); err != nil || oidc.Options.ClientSecret != "" {
		t.Errorf("an oidc connection was changed: %v", err)
	}
}
