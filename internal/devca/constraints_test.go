package devca_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devca"
)

var oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}

func MustKey(tb testing.TB, path string) crypto.Signer {
	tb.Helper()
	b, _ := pem.Decode(MustRead(tb, path))
	if b == nil {
		tb.Fatalf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return k.(crypto.Signer)
}

// forge signs a server certificate for the given names with the CA's own
// key, as someone holding a copy of ca-key.pem would.
func forge(tb testing.TB, p devca.Paths, dns []string, ips []net.IP, emails []string) *x509.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "forged"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: dns, IPAddresses: ips, EmailAddresses: emails,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, MustCert(tb, p.CACert), &key.PublicKey, MustKey(tb, p.CAKey))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestCAIsNameConstrained(t *testing.T) {
	p := MustEnsure(t, t.TempDir(), []string{"gatehouse.test", "192.0.2.10"}, t0)
	ca := MustCert(t, p.CACert)

	var critical, found bool
	for _, e := range ca.Extensions {
		if e.Id.Equal(oidNameConstraints) {
			found, critical = true, e.Critical
		}
	}
	if !found || !critical {
		t.Fatalf("CA name constraints: present %v, critical %v; want a critical extension", found, critical)
	}
	if d := ca.NotAfter.Sub(ca.NotBefore); d > 365*24*time.Hour {
		t.Errorf("CA valid for %v, more than a year", d)
	}

	// Names a development server needs still verify, for the real leaf
	// and for any leaf the key signs.
	leaf := MustCert(t, p.Cert)
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "gatehouse.test", "192.0.2.10"} {
		if err := verify(ca, leaf, h, t0); err != nil {
			t.Errorf("server certificate does not verify for %s: %v", h, err)
		}
	}
	ok := forge(t, p, []string{"app.localhost", "localhost"}, []net.IP{net.ParseIP("127.0.0.2"), net.IPv6loopback}, nil)
	for _, h := range []string{"app.localhost", "localhost", "127.0.0.2", "::1"} {
		if err := verify(ca, ok, h, t0); err != nil {
			t.Errorf("leaf for %s signed by the CA does not verify: %v", h, err)
		}
	}

	// Anything else is refused by the verifier, whoever holds the key.
	for _, tt := range []struct {
		name   string
		leaf   *x509.Certificate
		verify string
	}{
		{"public host", forge(t, p, []string{"example.com"}, nil, nil), "example.com"},
		{"public host among permitted ones", forge(t, p, []string{"localhost", "www.bank.example"}, nil, nil), "localhost"},
		{"host ending like a permitted one", forge(t, p, []string{"evilgatehouse.test"}, nil, nil), "evilgatehouse.test"},
		{"public IP", forge(t, p, nil, []net.IP{net.ParseIP("8.8.8.8")}, nil), "8.8.8.8"},
		{"neighbouring IP", forge(t, p, nil, []net.IP{net.ParseIP("192.0.2.11")}, nil), "192.0.2.11"},
		{"e-mail address", forge(t, p, []string{"localhost"}, nil, []string{"ceo@example.com"}), "localhost"},
	} {
		err := verify(ca, tt.leaf, tt.verify, t0)
		var inv x509.CertificateInvalidError
		if !errors.As(err, &inv) || inv.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("%s: Verify = %v, want CANotAuthorizedForThisName", tt.name, err)
		}
	}
}

// writeLegacyCA puts the CA earlier versions made into p: ten years, no
// name constraints.
func writeLegacyCA(t *testing.T, p devca.Paths) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: devca.CACommonName},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.CAKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.CACert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureReplacesUnconstrainedCA(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string, p devca.Paths)
	}{
		{"CA without name constraints", func(t *testing.T, _ string, p devca.Paths) { writeLegacyCA(t, p) }},
		// A CA that still permits a host no longer configured is wider
		// than needed: replaced too.
		{"CA made for other hosts", func(t *testing.T, dir string, _ devca.Paths) {
			MustEnsure(t, dir, []string{"old.example"}, t0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := MustEnsure(t, dir, nil, t0)
			tt.setup(t, dir, p)
			oldCA := MustRead(t, p.CACert)

			p2 := MustEnsure(t, dir, nil, t0.Add(time.Hour))
			if !p2.CreatedCA || !p2.ReplacedCA || bytes.Equal(MustRead(t, p.CACert), oldCA) {
				t.Fatalf("CA kept (CreatedCA %v, ReplacedCA %v)", p2.CreatedCA, p2.ReplacedCA)
			}
			ca := MustCert(t, p.CACert)
			if !ca.PermittedDNSDomainsCritical || len(ca.PermittedDNSDomains) != 2 {
				t.Errorf("new CA constraints: critical %v, DNS %v", ca.PermittedDNSDomainsCritical, ca.PermittedDNSDomains)
			}
			if err := verify(ca, MustCert(t, p.Cert), "localhost", t0.Add(time.Hour)); err != nil {
				t.Errorf("leaf does not verify against the new CA: %v", err)
			}
			if err := verify(ca, forge(t, p2, []string{"old.example"}, nil, nil), "old.example", t0.Add(time.Hour)); err == nil {
				t.Error("the new CA still vouches for old.example")
			}

			// The replacement is kept on the next start.
			if p3 := MustEnsure(t, dir, nil, t0.Add(2*time.Hour)); p3.CreatedCA || p3.ReplacedCA {
				t.Errorf("constrained CA replaced again (CreatedCA %v, ReplacedCA %v)", p3.CreatedCA, p3.ReplacedCA)
			}
		})
	}
}
