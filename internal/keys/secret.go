package keys

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// HS256 is HMAC-SHA256 (RFC 7518 §3.2) under an API's own signing_secret. It is never published in
// the JWKS and never signs an ID token: only the API that holds the secret can verify its tokens.
const HS256 = "HS256"

// PurposeAPISigningSecret labels the key that seals an HS256 API's signing_secret at rest.
const PurposeAPISigningSecret = "gatehouse/keys/api-signing-secret/v1"

// headerHS256 is base64url({"alg":"HS256","typ":"JWT"}): no kid, since the key is the API's one
// secret; headerHS256AT the same with typ at+jwt (RFC 9068 §2.1).
var (
	headerHS256   = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	headerHS256AT = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"at+jwt"}`))
)

// SecretSealer seals and opens HS256 signing secrets (AES-256-GCM under a key derived from the
// master key for this purpose alone). The API's id is the associated data: a sealed secret copied
// onto another API does not open.
type SecretSealer struct{ aead cipher.AEAD }

// NewSecretSealer derives the sealing key from the master key.
func NewSecretSealer(masterKey []byte) (*SecretSealer, error) {
	aead, err := NewAEAD(masterKey, PurposeAPISigningSecret)
	if err != nil {
		return nil, err
	}
	return &SecretSealer{aead: aead}, nil
}

func secretAAD(apiID string) []byte { return []byte("gatehouse api signing secret\x00" + apiID) }

// Seal encrypts an API's signing secret; the result is base64 (standard encoding) so that it fits
// in the API's JSON document.
func (s *SecretSealer) Seal(apiID, secret string) (string, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(secret)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(out, out[1:1+n], []byte(secret), secretAAD(apiID))), nil
}

// Open decrypts a secret sealed by Seal for the same API.
func (s *SecretSealer) Open(apiID, sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < 1+n+s.aead.Overhead() || raw[0] != sealedVersion {
		return "", errors.New("keys: the stored API signing secret has an unknown format")
	}
	pt, err := s.aead.Open(nil, raw[1:1+n], raw[1+n:], secretAAD(apiID))
	if err != nil {
		return "", errors.New("keys: the stored API signing secret does not decrypt with this master key")
	}
	return string(pt), nil
}

// SignHS256 returns the compact JWS of payload (base64url claims) under an HS256 header, typ at+jwt
// when atJWT. The secret's UTF-8 bytes are the HMAC key, as Auth0 and every JWT library take it.
func SignHS256(secret []byte, payload string, atJWT bool) string {
	header := headerHS256
	if atJWT {
		header = headerHS256AT
	}
	mac := hmac.New(sha256.New, secret)
	signing := header + "." + payload
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
