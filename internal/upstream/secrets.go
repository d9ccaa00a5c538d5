package upstream

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// PurposeClientSecret labels the key derived from the master key for connections' client secrets.
const PurposeClientSecret = "gatehouse/connections/client-secret/v1"

const sealedVersion = 1

// Secrets seals and opens connections' client secrets.
type Secrets struct{ aead cipher.AEAD }

// NewSecrets derives the sealing key from the master key.
func NewSecrets(masterKey []byte) (*Secrets, error) {
	aead, err := keys.NewAEAD(masterKey, PurposeClientSecret)
	if err != nil {
		return nil, err
	}
	return &Secrets{aead: aead}, nil
}

// aad binds a sealed secret to its connection: a ciphertext copied onto another connection does
// not open.
func aad(connectionID string) []byte {
	return []byte("gatehouse connection\x00" + connectionID + "\x00client_secret")
}

// Seal encrypts a connection's client secret for storage.
func (s *Secrets) Seal(connectionID, secret string) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(secret)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+n], []byte(secret), aad(connectionID)), nil
}

// Open decrypts a connection's sealed client secret.
func (s *Secrets) Open(connectionID string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealedVersion {
		return "", errors.New("upstream: the stored client secret has an unknown format")
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad(connectionID))
	if err != nil {
		return "", errors.New("upstream: the stored client secret does not decrypt with this master key")
	}
	return string(pt), nil
}
