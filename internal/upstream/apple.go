package upstream

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// appleSecretLifetime is how long a client secret JWT lives; Apple accepts at most six months,
// and one is made for each token request.
const appleSecretLifetime = 5 * time.Minute

// appleClientSecret is Sign in with Apple's client secret: a JWT signed ES256 with the team's key
// (the connection's sealed client_secret, PEM), iss the team, sub the Services ID (client_id), aud
// Apple's issuer, kid the key's id (Apple's "Creating a client secret").
func appleClientSecret(c *domain.Connection, keyPEM string, now time.Time) (string, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return "", errors.New("apple: the client secret is not a PEM private key")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return "", errors.New("apple: the client secret is not a PKCS #8 private key")
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return "", errors.New("apple: the key is not an EC (P-256) key")
	}
	o := c.Options.UpstreamOptions
	aud := o.Issuer
	if aud == "" {
		aud = domain.AppleIssuer
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{Issuer: o.TeamID, Subject: o.ClientID,
		Audience: jwt.ClaimStrings{aud}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(appleSecretLifetime))})
	t.Header["kid"] = o.KeyID
	return t.SignedString(key)
}

// CheckAppleKey refuses a client secret that is not an EC P-256 private key in PKCS #8 PEM, as
// Apple issues them (.p8), before it is sealed.
func CheckAppleKey(keyPEM string) error {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return errors.New("must be the key Apple issued (.p8, PEM)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return errors.New("must be a PKCS #8 private key (.p8)")
	}
	if ec, ok := k.(*ecdsa.PrivateKey); !ok || ec.Curve.Params().Name != "P-256" {
		return errors.New("must be an EC P-256 key")
	}
	return nil
}
