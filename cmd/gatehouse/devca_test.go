package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeUnconstrainedCA writes the kind of CA earlier versions of `gatehouse dev` made: ten years,
// no name constraints.
func writeUnconstrainedCA(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Gatehouse Development CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
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
	for name, b := range map[string]*pem.Block{
		"ca-key.pem": {Type: "PRIVATE KEY", Bytes: pkcs8},
		"ca.pem":     {Type: "CERTIFICATE", Bytes: der},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A data folder from before the CA was name-constrained gets a new, constrained CA, the console
// says to trust it, and the server is reachable with it.
func TestDevReplacesUnconstrainedCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	caPath := filepath.Join(dir, "ca", "ca.pem")
	writeUnconstrainedCA(t, filepath.Dir(caPath))
	old, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}

	dev := startDev(t, dir)
	defer dev.stop()
	now, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(now) == string(old) {
		t.Fatal("the unconstrained CA was kept")
	}
	b, _ := pem.Decode(now)
	ca, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.PermittedDNSDomainsCritical || len(ca.PermittedDNSDomains) == 0 || len(ca.PermittedIPRanges) == 0 {
		t.Errorf("new CA lacks critical name constraints: %v %v", ca.PermittedDNSDomains, ca.PermittedIPRanges)
	}
	if out := dev.stdout.String(); !strings.Contains(out, "local CA was replaced") || !strings.Contains(out, caPath) {
		t.Errorf("banner does not tell the developer to trust the new CA:\n%s", out)
	}
	_, port, _ := strings.Cut(dev.addr, ":")
	resp, err := caClient(t, caPath).Get("https://localhost:" + port + "/healthz")
	if err != nil {
		t.Fatalf("healthz with the new CA: %v", err)
	}
	resp.Body.Close()
}

// With --issuer naming another host, the server certificate covers it and the CA permits it, so a
// client that trusts the CA reaches the issuer by its name.
func TestDevCertificateCoversIssuerHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".gatehouse")
	dev := startDev(t, dir, "--issuer", "https://gatehouse.test:4433/")
	defer dev.stop()
	read := func(name string) *x509.Certificate {
		raw, err := os.ReadFile(filepath.Join(dir, "ca", name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(raw)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pool := x509.NewCertPool()
	pool.AddCert(read("ca.pem"))
	leaf := read("localhost.pem")
	for _, host := range []string{"gatehouse.test", "localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("server certificate does not verify for %s: %v", host, err)
		}
	}
}
