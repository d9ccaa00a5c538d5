package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Key-derivation purposes. Each use of the master key gets its own HKDF "info" label (RFC 5869 §3.2),
// so a key derived for one purpose is useless for another.
const (
	PurposeSigningKeyEncryption = "gatehouse/keys/signing-key-encryption/v1"
	PurposeOpaqueAccessToken    = "gatehouse/token/opaque-access-token/v1"
)

// MinMasterKeyBytes is the shortest master key accepted: 256 bits.
const MinMasterKeyBytes = 32

// DeriveKey derives a 256-bit key for purpose from the master key with HKDF-SHA256 (RFC 5869).
func DeriveKey(masterKey []byte, purpose string) ([]byte, error) {
	if len(masterKey) < MinMasterKeyBytes {
		return nil, fmt.Errorf("keys: master key must be at least %d bytes", MinMasterKeyBytes)
	}
	return hkdf.Key(sha256.New, masterKey, nil, purpose, 32)
}

// NewAEAD returns AES-256-GCM keyed for purpose.
func NewAEAD(masterKey []byte, purpose string) (cipher.AEAD, error) {
	k, err := DeriveKey(masterKey, purpose)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealedVersion prefixes every sealed private key, so the format can change without guessing.
const sealedVersion = 1

// seal encrypts a private key (PKCS #8 DER) for storage. The kid is the associated data: a ciphertext
// copied onto another key's row does not decrypt.
func seal(aead cipher.AEAD, kid string, plaintext []byte) []byte {
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealedVersion
	_, _ = rand.Read(out[1:])
	return aead.Seal(out, out[1:1+aead.NonceSize()], plaintext, aad(kid))
}

func open(aead cipher.AEAD, kid string, sealed []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < 1+n+aead.Overhead() || sealed[0] != sealedVersion {
		return nil, errors.New("keys: stored private key has an unknown format")
	}
	pt, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad(kid))
	if err != nil {
		return nil, errors.New("keys: stored private key does not decrypt with this master key")
	}
	return pt, nil
}

func aad(kid string) []byte { return []byte("gatehouse signing key\x00" + kid) }
