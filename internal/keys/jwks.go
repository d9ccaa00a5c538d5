package keys

import (
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint (RFC 7517 §4.8)
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// renderJWKS renders the published keys as a JWK Set (RFC 7517 §5) with kty, use, alg, kid, n/e (or
// crv/x/y), x5c and x5t, the fields Auth0 publishes (spec §1.8), and a strong ETag over the bytes.
func renderJWKS(list []*Signer) ([]byte, string, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(list))}
	for _, s := range list {
		thumb := sha1.Sum(s.cert.Raw) //nolint:gosec // see import
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:                       s.public,
			KeyID:                     s.KID,
			Algorithm:                 s.Alg,
			Use:                       "sig",
			Certificates:              []*x509.Certificate{s.cert},
			CertificateThumbprintSHA1: thumb[:],
		})
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, "", fmt.Errorf("keys: render JWKS: %w", err)
	}
	sum := sha256.Sum256(body)
	return body, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, nil
}
