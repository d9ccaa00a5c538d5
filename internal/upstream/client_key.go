package upstream

import (
	"crypto/sha1" //nolint:gosec // Auth0's connection key fingerprint and thumbprint are SHA-1 of the certificate
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// clientKeyAAD binds a sealed private_key_jwt key to its connection, apart from its client secret.
func clientKeyAAD(connectionID string) string { return connectionID + "\x00private_key_jwt" }

// PrepareClientKey gives an oidc connection that authenticates with private_key_jwt its key pair
// before it is saved, as Auth0 provisions connection keys: an RSA 2048 key, sealed, and a
// self-signed certificate for the provider to register. A connection that has one keeps it.
func (b *Broker) PrepareClientKey(c *domain.Connection) error {
	if !c.PrivateKeyJWT() || c.ClientKey != nil {
		return nil
	}
	k, err := b.newClientKey(c)
	if err != nil {
		return err
	}
	c.ClientKey = k
	return nil
}

// newClientKey makes a key pair for c: an RSA 2048 key, sealed, and its self-signed certificate.
func (b *Broker) newClientKey(c *domain.Connection) (*domain.ConnectionKey, error) {
	if b.Secrets == nil {
		return nil, fmt.Errorf("upstream: no sealing key for a connection key")
	}
	keyPEM, certPEM, err := NewSAMLKey("gatehouse connection "+c.Name, b.now())
	if err != nil {
		return nil, err
	}
	sealed, err := b.Secrets.Seal(clientKeyAAD(c.ID), keyPEM)
	if err != nil {
		return nil, err
	}
	cert, err := domain.ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, err
	}
	return &domain.ConnectionKey{KID: KeyThumbprint(cert), Cert: certPEM, KeySealed: sealed, CreatedAt: b.now().UTC()}, nil
}

// ErrNoClientKey refuses to rotate the keys of a connection that has none.
var ErrNoClientKey = errors.New("upstream: the connection has no private_key_jwt key")

// NewClientKey makes a new key pair for c (an RSA 2048 key, sealed, and its certificate), to be
// published with RotateClientKey. It takes tens of milliseconds, so a caller makes it before the
// transaction that stores it rather than holding the database's writer meanwhile.
func (b *Broker) NewClientKey(c *domain.Connection) (*domain.ConnectionKey, error) {
	return b.newClientKey(c)
}

// RotateClientKey rotates an oidc connection's private_key_jwt keys without an outage: the key
// published as next (which the provider has had the time to register) becomes the one
// assertions are signed with, the current one is listed as previous, and next (made by
// NewClientKey for this connection) is published as next. A connection without a next key only
// gets one: a key is never used before it has been published.
func (b *Broker) RotateClientKey(c *domain.Connection, next *domain.ConnectionKey) error {
	if c.ClientKey == nil {
		return ErrNoClientKey
	}
	if c.NextClientKey != nil {
		c.NextClientKey.CurrentSince = b.now().UTC()
		c.PreviousClientKey, c.ClientKey = c.ClientKey, c.NextClientKey
	}
	c.NextClientKey = next
	return nil
}

// KeyThumbprint is the hex SHA-1 of a certificate (Auth0's connection key thumbprint, also
// the key's kid here).
func KeyThumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw) //nolint:gosec // an identifier, not a signature
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// KeyFingerprint is the thumbprint with colons between its bytes, as Auth0 shows it.
func KeyFingerprint(cert *x509.Certificate) string {
	t := KeyThumbprint(cert)
	parts := make([]string, 0, len(t)/2)
	for i := 0; i+1 < len(t); i += 2 {
		parts = append(parts, t[i:i+2])
	}
	return strings.Join(parts, ":")
}

// assertionLifetime is how long a client assertion is valid: one token request.
const assertionLifetime = time.Minute

// clientAssertion is the RFC 7523 §3 JWT that authenticates the connection at tokenURL
// (OpenID Connect Core §9, private_key_jwt): iss and sub the client id, aud the token endpoint,
// a fresh jti, signed with the connection's key under its kid.
func (b *Broker) clientAssertion(c *domain.Connection, tokenURL string) (string, error) {
	k := c.ClientKey
	if k == nil {
		return "", fmt.Errorf("upstream: connection %s has no private_key_jwt key", c.Name)
	}
	keyPEM, err := b.Secrets.Open(clientKeyAAD(c.ID), k.KeySealed)
	if err != nil {
		return "", err
	}
	key, err := parseRSAKey(keyPEM)
	if err != nil {
		return "", fmt.Errorf("upstream: connection key: %w", err)
	}
	method := jwt.GetSigningMethod(c.AssertionAlg())
	if method == nil {
		return "", fmt.Errorf("upstream: assertion algorithm %s", c.AssertionAlg())
	}
	now := b.now()
	tok := jwt.NewWithClaims(method, jwt.RegisteredClaims{
		Issuer: c.Options.ClientID, Subject: c.Options.ClientID, Audience: jwt.ClaimStrings{tokenURL},
		ID: domain.RandomToken(24), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(assertionLifetime)),
	})
	tok.Header["kid"] = k.KID
	return tok.SignedString(key)
}

// assertionParams are the token request's client authentication by private_key_jwt.
func (b *Broker) assertionParams(c *domain.Connection, tokenURL string) (url.Values, error) {
	a, err := b.clientAssertion(c, tokenURL)
	if err != nil {
		return nil, err
	}
	return url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}, nil
}
