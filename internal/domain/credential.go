package domain

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"regexp"
	"time"
)

// Client authentication methods beyond a shared secret (spec §3.1 client_authentication_methods).
const (
	AuthMethodPrivateKeyJWT = "private_key_jwt"
	// ClientAssertionTypeJWT is RFC 7523 §2.2's client_assertion_type.
	ClientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// CredentialTypePublicKey is the only credential type Gatehouse keeps: a public key for
	// private_key_jwt (Auth0's mTLS credential types need a TLS terminator that forwards certificates).
	CredentialTypePublicKey = "public_key"
)

// ClientAuthenticationMethods is Auth0's client_authentication_methods: which registered
// credentials a client authenticates with. When private_key_jwt lists credentials, the client must
// sign a client assertion with one of them and its secret no longer authenticates it.
type ClientAuthenticationMethods struct {
	PrivateKeyJWT *PrivateKeyJWTMethod `json:"private_key_jwt,omitempty"`
}

// PrivateKeyJWTMethod lists the credentials (by id) a client's assertions may be signed with.
type PrivateKeyJWTMethod struct {
	Credentials []CredentialRef `json:"credentials"`
}

// CredentialRef names one of the client's credentials.
type CredentialRef struct {
	ID string `json:"id"`
}

// RequiresPrivateKeyJWT reports whether the client authenticates only with a client assertion.
func (c *Client) RequiresPrivateKeyJWT() bool {
	m := c.ClientAuthenticationMethods
	return m != nil && m.PrivateKeyJWT != nil && len(m.PrivateKeyJWT.Credentials) > 0
}

// EnabledCredential reports whether the credential id is one client_authentication_methods lists.
func (c *Client) EnabledCredential(id string) bool {
	if !c.RequiresPrivateKeyJWT() {
		return false
	}
	for _, r := range c.ClientAuthenticationMethods.PrivateKeyJWT.Credentials {
		if r.ID == id {
			return true
		}
	}
	return false
}

// ClientCredential is a public key registered on a client (Auth0's /clients/{id}/credentials): the
// key its private_key_jwt assertions are verified with. Only the public key is ever held.
type ClientCredential struct {
	ID             string     `json:"id"`
	ClientID       string     `json:"-"`
	Name           string     `json:"name"`
	KID            string     `json:"kid"`
	Alg            string     `json:"alg"`
	CredentialType string     `json:"credential_type"`
	PEM            string     `json:"pem,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// CredentialAlgs are the signing algorithms a public key credential may declare (Auth0: RS256,
// RS384, PS256; RS256 when absent).
var CredentialAlgs = []string{"RS256", "RS384", "PS256"}

// NewCredentialID returns an id in Auth0's shape.
func NewCredentialID() string { return "cred_" + randomAlnum(22) }

var kidPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]{10,64}$`)

// Expired reports whether the credential is past its expires_at at now.
func (c *ClientCredential) Expired(now time.Time) bool {
	return c.ExpiresAt != nil && !now.Before(*c.ExpiresAt)
}

// PublicKey parses the stored PEM.
func (c *ClientCredential) PublicKey() (*rsa.PublicKey, error) {
	k, _, err := ParseCredentialPEM(c.PEM)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ValidateCredential checks a new public key credential: its type, algorithm, kid and key, and fills
// the defaults (RS256; a kid that is the key's RFC 7638 thumbprint). An X.509 certificate is
// accepted for its public key; its expiry becomes the credential's when parseExpiry is set.
func ValidateCredential(c *ClientCredential, parseExpiry bool) error {
	var errs Errors
	if c.CredentialType != CredentialTypePublicKey {
		errs.add(Invalidf("credential_type", "%q is not supported; use public_key", c.CredentialType))
	}
	if c.Alg == "" {
		c.Alg = "RS256"
	}
	algOK := false
	for _, a := range CredentialAlgs {
		algOK = algOK || a == c.Alg
	}
	if !algOK {
		errs.add(Invalidf("alg", "%q is not one of RS256, RS384, PS256", c.Alg))
	}
	if len(c.Name) > 128 {
		errs.add(Invalidf("name", "must be at most 128 characters"))
	}
	key, notAfter, perr := ParseCredentialPEM(c.PEM)
	switch {
	case perr != nil:
		errs.add(perr)
	case key.N.BitLen() < 2048:
		errs.add(Invalidf("pem", "an RSA key must have at least 2048 bits"))
	default:
		if c.KID == "" {
			c.KID = RSAThumbprint(key)
		}
		if parseExpiry && notAfter != nil && c.ExpiresAt == nil {
			t := notAfter.UTC()
			c.ExpiresAt = &t
		}
	}
	if c.KID != "" && !kidPattern.MatchString(c.KID) {
		errs.add(Invalidf("kid", "must match [0-9a-zA-Z-_]{10,64}"))
	}
	return errs.Err()
}

// ParseCredentialPEM reads an RSA public key from a PEM block: SPKI (PUBLIC KEY), PKCS#1 (RSA
// PUBLIC KEY) or an X.509 certificate (whose NotAfter is returned). A private key is refused: it
// must never be sent to the server.
func ParseCredentialPEM(s string) (*rsa.PublicKey, *time.Time, *Error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, nil, Invalidf("pem", "is not a PEM-encoded public key or certificate")
	}
	var (
		pub      crypto.PublicKey
		notAfter *time.Time
		err      error
	)

	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub, notAfter = cert.PublicKey, &cert.NotAfter
		}
	default:
		return nil, nil, Invalidf("pem", "a %s is not accepted; send the public key (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
	}
	if err != nil {
		return nil, nil, Invalidf("pem", "could not be parsed")
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, nil, Invalidf("pem", "must hold an RSA key")
	}
	return rk, notAfter, nil
}

// RSAThumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key.
func RSAThumbprint(k *rsa.PublicKey) string {
	b64 := base64.RawURLEncoding.EncodeToString
	e := big.NewInt(int64(k.E)).Bytes()
	sum := sha256.Sum256([]byte(`{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`))
	return b64(sum[:])
}
