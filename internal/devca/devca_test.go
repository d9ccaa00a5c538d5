package devca_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/devca"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func MustEnsure(tb testing.TB, dir string, hosts []string, now time.Time) devca.Paths {
	tb.Helper()
	p, err := devca.Ensure(dir, hosts, now)
	if err != nil {
		tb.Fatalf("Ensure: %v", err)
	}
	return p
}

func MustCert(tb testing.TB, path string) *x509.Certificate {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		tb.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func MustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func verify(ca, leaf *x509.Certificate, host string, at time.Time) error {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: pool, DNSName: host, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestEnsureCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	p := MustEnsure(t, dir, nil, t0)
	if !p.CreatedCA {
		t.Error("CreatedCA = false on a fresh directory")
	}
	for _, f := range []string{p.CACert, p.CAKey, p.Cert, p.Key} {
		if !filepath.IsAbs(f) || filepath.Dir(f) != dir {
			t.Errorf("path %s is not an absolute path in %s", f, dir)
		}
	}
	for _, tt := range []struct {
		path string
		mode os.FileMode
	}{{p.CAKey, 0o600}, {p.Key, 0o600}, {p.CACert, 0o600}, {p.Cert, 0o600}} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tt.mode {
			t.Errorf("%s mode = %v, want %v", filepath.Base(tt.path), fi.Mode().Perm(), tt.mode)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("directory holds %d entries, want exactly 4 (no temporary files left)", len(entries))
	}

	ca, leaf := MustCert(t, p.CACert), MustCert(t, p.Cert)
	if ca.Subject.CommonName != "Gatehouse Development CA" || !ca.IsCA {
		t.Errorf("CA subject %q, IsCA %v", ca.Subject.CommonName, ca.IsCA)
	}
	if pub, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", ca.PublicKey)
	}
	if d := ca.NotAfter.Sub(ca.NotBefore); d > 365*24*time.Hour || d < 300*24*time.Hour {
		t.Errorf("CA valid for %v, want about a year and at most 365 days", d)
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d > 90*24*time.Hour {
		t.Errorf("leaf valid for %v, more than 90 days", d)
	}
	if leaf.NotAfter.After(ca.NotAfter) {
		t.Errorf("leaf outlives its CA: %v > %v", leaf.NotAfter, ca.NotAfter)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf EKU = %v", leaf.ExtKeyUsage)
	}
	if leaf.IsCA {
		t.Error("leaf is a CA")
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := verify(ca, leaf, host, t0); err != nil {
			t.Errorf("leaf does not verify for %s: %v", host, err)
		}
	}
	if err := verify(ca, leaf, "example.com", t0); err == nil {
		t.Error("leaf verifies for a host it was not issued for")
	}
	if _, err := tls.LoadX509KeyPair(p.Cert, p.Key); err != nil {
		t.Errorf("leaf and key do not form a TLS pair: %v", err)
	}
}

func TestEnsureReusesFiles(t *testing.T) {
	dir := t.TempDir()
	p1 := MustEnsure(t, dir, nil, t0)
	before := map[string][]byte{}
	for _, f := range []string{p1.CACert, p1.CAKey, p1.Cert, p1.Key} {
		before[f] = MustRead(t, f)
	}
	p2 := MustEnsure(t, dir, []string{"LOCALHOST", "127.0.0.1"}, t0.Add(50*24*time.Hour))
	if p2.CreatedCA {
		t.Error("CreatedCA = true on reuse")
	}
	for f, b := range before {
		if !bytes.Equal(MustRead(t, f), b) {
			t.Errorf("%s changed on the second call", filepath.Base(f))
		}
	}
}

func TestEnsureReissuesLeafOnly(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string
		now   time.Time
		setup func(t *testing.T, p devca.Paths)
	}{
		{"leaf expired", nil, t0.Add(100 * 24 * time.Hour), nil},
		{"leaf within 30 days of expiry", nil, t0.Add(70 * 24 * time.Hour), nil},
		// Names the CA's constraints already permit need no new CA.
		{"new loopback name", []string{"app.localhost", "127.0.0.2"}, t0, nil},
		{"leaf file corrupt", nil, t0, func(t *testing.T, p devca.Paths) {
			if err := os.WriteFile(p.Cert, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"leaf key missing", nil, t0, func(t *testing.T, p devca.Paths) {
			if err := os.Remove(p.Key); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := MustEnsure(t, dir, nil, t0)
			caPEM, caKeyPEM, leafPEM := MustRead(t, p.CACert), MustRead(t, p.CAKey), MustRead(t, p.Cert)
			if tt.setup != nil {
				tt.setup(t, p)
			}
			p2 := MustEnsure(t, dir, tt.hosts, tt.now)
			if p2.CreatedCA || !bytes.Equal(MustRead(t, p.CACert), caPEM) || !bytes.Equal(MustRead(t, p.CAKey), caKeyPEM) {
				t.Fatal("CA was replaced although it was still valid")
			}
			if bytes.Equal(MustRead(t, p.Cert), leafPEM) {
				t.Fatal("leaf was not re-issued")
			}
			ca, leaf := MustCert(t, p.CACert), MustCert(t, p.Cert)
			for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, tt.hosts...) {
				if err := verify(ca, leaf, h, tt.now); err != nil {
					t.Errorf("re-issued leaf does not verify for %s at %v: %v", h, tt.now, err)
				}
			}
		})
	}
}

func TestEnsureReplacesUnusableCA(t *testing.T) {
	tests := []struct {
		name  string
		now   time.Time
		setup func(t *testing.T, p devca.Paths)
	}{
		{"CA within 30 days of expiry", t0.Add(345 * 24 * time.Hour), nil},
		{"CA key of another CA", t0, func(t *testing.T, p devca.Paths) {
			other := MustEnsure(t, t.TempDir(), nil, t0)
			if err := os.WriteFile(p.CAKey, MustRead(t, other.CAKey), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"CA certificate missing", t0, func(t *testing.T, p devca.Paths) {
			if err := os.Remove(p.CACert); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := MustEnsure(t, dir, nil, t0)
			oldCA := MustRead(t, p.CACert)
			if tt.setup != nil {
				tt.setup(t, p)
			}
			p2 := MustEnsure(t, dir, nil, tt.now)
			if !p2.CreatedCA || bytes.Equal(MustRead(t, p.CACert), oldCA) {
				t.Fatal("unusable CA was kept")
			}
			if !p2.ReplacedCA {
				t.Error("ReplacedCA = false, so the developer is not told to trust the new CA")
			}
			if err := verify(MustCert(t, p.CACert), MustCert(t, p.Cert), "localhost", tt.now); err != nil {
				t.Errorf("leaf does not verify against the new CA: %v", err)
			}
		})
	}
}

func TestEnsureRejectsBadHost(t *testing.T) {
	for _, h := range []string{"", "local host", "https://localhost"} {
		if _, err := devca.Ensure(t.TempDir(), []string{h}, t0); err == nil {
			t.Errorf("Ensure accepted host %q", h)
		}
	}
}

// TestHTTPSWithDevCA serves the leaf from a loopback TLS server and reaches
// it with a client that trusts only the development CA, by IP and by name.
func TestHTTPSWithDevCA(t *testing.T) {
	p := MustEnsure(t, t.TempDir(), nil, time.Now())
	pair, err := tls.LoadX509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over tls")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(MustRead(t, p.CACert)) {
		t.Fatal("CA PEM not accepted by the pool")
	}
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			// Every name resolves to the test server, so "localhost" is
			// checked against the certificate without depending on DNS.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, addr)
			},
		},
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("GET via %s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello over tls" {
			t.Errorf("body via %s = %q", host, body)
		}
	}

	// A client with only the system roots must refuse the certificate.
	plain := &http.Client{Timeout: 5 * time.Second}
	if _, err := plain.Get("https://" + addr + "/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client without the dev CA: err = %v, want a certificate error", err)
	}
}
