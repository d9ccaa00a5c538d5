package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint (RFC 7517 §4.8); not a security use
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Algorithms Gatehouse signs with.
//
// PS256 (RSASSA-PSS, RFC 7518 §3.5) uses RSA keys of its own rather than the RS256 keys: a JWK
// names one alg, and a key is best used with one algorithm only.
const (
	RS256 = "RS256"
	PS256 = "PS256"
	ES256 = "ES256"
)

// Supported reports whether Gatehouse signs with alg.
func Supported(alg string) bool { return alg == RS256 || alg == PS256 || alg == ES256 }

// rsaBits is the RSA modulus size: what Auth0 clients expect (spec §1.8) and fast enough to sign.
const rsaBits = 2048

// certLifetime of the self-signed certificates published in x5c. Nothing validates their dates (they
// only wrap the public key); a long life avoids clients that do check seeing an expired one.
const certLifetime = 10 * 365 * 24 * time.Hour

// Signer is one key ready to sign: the parsed private key, the jwt/v5 method and the JWT headers
// pre-rendered (base64url) for its kid, so that issuing a token costs one claims encoding and one
// signature.
type Signer struct {
	KID    string
	Alg    string
	State  string
	Method jwt.SigningMethod
	// HeaderJWT is base64url({"alg":…,"kid":…,"typ":"JWT"}); HeaderATJWT the same with typ at+jwt
	// (RFC 9068 §2.1).
	HeaderJWT   string
	HeaderATJWT string

	key    crypto.Signer
	public crypto.PublicKey
	cert   *x509.Certificate
	stored *domain.SigningKey
}

// Key is the private key, as jwt.SigningMethod.Sign takes it.
func (s *Signer) Key() crypto.Signer { return s.key }

// Public is the public key.
func (s *Signer) Public() crypto.PublicKey { return s.public }

// Sign returns the compact JWS of payload (already base64url-encoded claims) under header.
func (s *Signer) Sign(header, payload string) (string, error) {
	signing := header + "." + payload
	sig, err := s.Method.Sign(signing, s.key)
	if err != nil {
		return "", fmt.Errorf("keys: sign with %s: %w", s.KID, err)
	}
	buf := make([]byte, 0, len(signing)+1+base64.RawURLEncoding.EncodedLen(len(sig)))
	buf = append(buf, signing...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), nil
}

// generate creates a key for alg, its self-signed certificate and its sealed stored form.
func generate(alg, state string, sealer func(kid string, pkcs8 []byte) []byte, now time.Time) (*domain.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256, PS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: generate %s key: %w", alg, err)
	}
	// An opaque random kid, as newer Auth0 tenants use (spec §1.8): it reveals nothing about the key.
	kid := domain.RandomToken(24)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Gatehouse token signing key " + kid},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return nil, fmt.Errorf("keys: self-signed certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	k := &domain.SigningKey{
		KID:                 kid,
		Alg:                 alg,
		State:               state,
		PrivateKeyEncrypted: sealer(kid, pkcs8),
		CertDER:             der,
		CreatedAt:           now,
	}
	if state == domain.KeyCurrent {
		t := now
		k.CurrentSince = &t
	}
	return k, nil
}

// prepare decrypts a stored key and builds its Signer.
func prepare(k *domain.SigningKey, opener func(kid string, sealed []byte) ([]byte, error)) (*Signer, error) {
	pkcs8, err := opener(k.KID, k.PrivateKeyEncrypted)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.KID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: parse private key: %w", k.KID, err)
	}
	cert, err := x509.ParseCertificate(k.CertDER)
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: parse certificate: %w", k.KID, err)
	}
	s := &Signer{KID: k.KID, Alg: k.Alg, State: k.State, cert: cert, stored: k}
	switch p := parsed.(type) {
	case *rsa.PrivateKey:
		p.Precompute()
		s.key, s.public = p, &p.PublicKey
		switch k.Alg {
		case RS256:
			s.Method = jwt.SigningMethodRS256
		case PS256:
			s.Method = jwt.SigningMethodPS256
		default:
			return nil, fmt.Errorf("keys: key %s: RSA key stored as %s", k.KID, k.Alg)
		}
	case *ecdsa.PrivateKey:
		if k.Alg != ES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("keys: key %s: EC key stored as %s", k.KID, k.Alg)
		}
		s.key, s.public, s.Method = p, &p.PublicKey, jwt.SigningMethodES256
	default:
		return nil, errors.New("keys: key " + k.KID + ": unsupported private key type")
	}
	s.HeaderJWT = renderHeader(k.Alg, k.KID, "JWT")
	s.HeaderATJWT = renderHeader(k.Alg, k.KID, "at+jwt")
	return s, nil
}

// renderHeader encodes a JOSE header (RFC 7515 §4). kid is base64url and alg a constant, so neither
// needs JSON escaping.
func renderHeader(alg, kid, typ string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"` + typ + `"}`))
}

// Thumbprint is the base64url SHA-1 of the certificate (x5t, RFC 7517 §4.8).
func (s *Signer) Thumbprint() string {
	sum := sha1.Sum(s.cert.Raw) //nolint:gosec // see import
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Certificate is the key's self-signed certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Stored is the key's store record (private key still sealed).
func (s *Signer) Stored() *domain.SigningKey { return s.stored }
