package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/privatefs"
)

// File names inside the directory given to Ensure.
const (
	CACertFile = "ca.pem"
	CAKeyFile  = "ca-key.pem"
	CertFile   = "localhost.pem"
	KeyFile    = "localhost-key.pem"
)

// Lifetimes. The CA lives a year, so a copy of its key that escapes is
// worthless within a year even if it is never noticed; the developer
// re-trusts it yearly. The leaf is re-issued on any start within 30 days of
// its end, so it can be short: 90 days, well inside the 397 days the
// CA/Browser Forum Baseline Requirements (§6.3.2) allow.
const (
	CACommonName = "Gatehouse Development CA"
	caValidity   = 365 * 24 * time.Hour
	leafValidity = 90 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
	clockSkew    = time.Hour // NotBefore is backdated by this much
)

// Paths are the absolute file names of the CA and server certificate and
// their keys. CreatedCA is true when this call made a new CA, which the
// developer has to trust; ReplacedCA when that CA took the place of an
// earlier one, which the developer should also stop trusting.
type Paths struct {
	CACert, CAKey string
	Cert, Key     string
	CreatedCA     bool
	ReplacedCA    bool
}

// DefaultHosts are always in the server certificate.
func DefaultHosts() []string { return []string{"localhost", "127.0.0.1", "::1"} }

// Ensure makes dir hold a usable development CA and a server certificate
// for DefaultHosts plus hosts, as of now. An existing CA is kept while it
// parses, matches its key, is valid for more than 30 more days and carries
// exactly the name constraints these hosts call for (so a CA from before
// constraints, or made for other hosts, is replaced); the
// server certificate likewise, and only if the CA signed it and it covers
// every host. Anything else is re-issued; a re-issued CA also re-issues the
// server certificate. Files are written atomically; the directory is made
// 0700 and every file in it 0600, also when they already existed.
func Ensure(dir string, hosts []string, now time.Time) (Paths, error) {
	names, err := hostList(hosts)
	if err != nil {
		return Paths{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Paths{}, fmt.Errorf("devca: %w", err)
	}
	if err := privatefs.Dir(abs); err != nil {
		return Paths{}, fmt.Errorf("devca: %w", err)
	}
	p := Paths{
		CACert: filepath.Join(abs, CACertFile),
		CAKey:  filepath.Join(abs, CAKeyFile),
		Cert:   filepath.Join(abs, CertFile),
		Key:    filepath.Join(abs, KeyFile),
	}
	// Files kept from an earlier run may have been written readable by others.
	if err := privatefs.Tighten(p.CACert, p.CAKey, p.Cert, p.Key); err != nil {
		return Paths{}, fmt.Errorf("devca: %w", err)
	}

	ca, caKey, err := loadPair(p.CACert, p.CAKey)
	if err != nil || !caUsable(ca, names, now) {
		p.ReplacedCA = exists(p.CACert) || exists(p.CAKey)
		ca, caKey, err = newCA(p, names, now)
		if err != nil {
			return Paths{}, err
		}
		p.CreatedCA = true
	}
	if !p.CreatedCA {
		if leaf, _, err := loadPair(p.Cert, p.Key); err == nil && leafUsable(leaf, ca, names, now) {
			return p, nil
		}
	}
	if err := newLeaf(p, ca, caKey, names, now); err != nil {
		return Paths{}, err
	}
	return p, nil
}

// hostList merges the defaults with extra hosts, lower-cased, without
// duplicates.
func hostList(extra []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, h := range append(DefaultHosts(), extra...) {
		h = strings.ToLower(strings.TrimSpace(h))
		isIP := net.ParseIP(h) != nil
		if h == "" || (!isIP && strings.ContainsAny(h, " /:@")) {
			return nil, fmt.Errorf("devca: %q is not a host name or IP address", h)
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, nil
}

func caUsable(ca *x509.Certificate, hosts []string, now time.Time) bool {
	return ca.IsCA && ca.BasicConstraintsValid &&
		ca.KeyUsage&x509.KeyUsageCertSign != 0 &&
		!now.Before(ca.NotBefore) && now.Add(renewBefore).Before(ca.NotAfter) &&
		ca.NotAfter.Sub(ca.NotBefore) <= caValidity &&
		constrainedFor(ca, hosts) &&
		ca.CheckSignatureFrom(ca) == nil
}

// leafUsable verifies the leaf against the CA for every host, as a client
// would now and 30 days from now.
func leafUsable(leaf, ca *x509.Certificate, hosts []string, now time.Time) bool {
	if !now.Add(renewBefore).Before(leaf.NotAfter) {
		return false
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, h := range hosts {
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:       pool,
			DNSName:     h,
			CurrentTime: now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return false
		}
	}
	return true
}

func newCA(p Paths, hosts []string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	notBefore := now.Add(-clockSkew)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CACommonName, Organization: []string{"Gatehouse development"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // signs leaves only
	}
	constrain(tmpl, hosts)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: parse new CA certificate: %w", err)
	}
	if err := writePair(p.CACert, p.CAKey, der, key); err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

func newLeaf(p Paths, ca *x509.Certificate, caKey crypto.Signer, hosts []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("devca: generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	notBefore := now.Add(-clockSkew)
	notAfter := notBefore.Add(leafValidity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Gatehouse development"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("devca: create server certificate: %w", err)
	}
	return writePair(p.Cert, p.Key, der, key)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func randomSerial() (*big.Int, error) {
	// RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits.
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("devca: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}
