package mail

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// PurposeProviderSecret labels the key derived from the master key for the provider's password.
const PurposeProviderSecret = "gatehouse/mail/provider-secret/v1"

const sealedVersion = 1

// aad binds a sealed password to its use: a ciphertext copied elsewhere does not open.
var aad = []byte("gatehouse email provider\x00smtp_pass")

// Sealer seals and opens the provider's SMTP password (AES-256-GCM).
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the sealing key from the master key.
func NewSealer(masterKey []byte) (*Sealer, error) {
	aead, err := keys.NewAEAD(masterKey, PurposeProviderSecret)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts a password for storage.
func (s *Sealer) Seal(plaintext string) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+n], []byte(plaintext), aad), nil
}

// Open decrypts a sealed password.
func (s *Sealer) Open(sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealedVersion {
		return "", errors.New("mail: the stored SMTP password has an unknown format")
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return "", errors.New("mail: the stored SMTP password does not decrypt with this master key")
	}
	return string(pt), nil
}
