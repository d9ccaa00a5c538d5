package webauth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// HKDF info strings. "JWE CEK" is nextjs-auth0's session key derivation (HKDF-SHA256, empty
// salt, 32 bytes; RFC 5869), so a Go app and a Node app sharing AUTH0_SECRET read each other's
// appSession cookie. The transaction key uses its own info so a session cookie can never be
// replayed as a transaction cookie or the other way round.
const (
	infoSession     = "JWE CEK"
	infoTransaction = "webauth JWE transaction"
)

var errUndecryptable = errors.New("webauth: cookie cannot be decrypted")

// sealer encrypts with the first key and decrypts with any, as compact JWE with alg "dir" and
// enc "A256GCM" (RFC 7516, RFC 7518 §4.5, §5.3): authenticated encryption whose protected header
// is part of the authenticated data.
type sealer struct {
	keys [][]byte
}

func newSealer(info string, secrets ...string) (*sealer, error) {
	s := &sealer{}
	for _, secret := range secrets {
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, info, 32)
		if err != nil {
			return nil, fmt.Errorf("webauth: derive key: %w", err)
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// seal encrypts payload; header values go into the protected header.
func (s *sealer) seal(payload []byte, header map[string]any) (string, error) {
	opts := &jose.EncrypterOptions{}
	for k, v := range header {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: s.keys[0]}, opts)
	if err != nil {
		return "", fmt.Errorf("webauth: encrypter: %w", err)
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("webauth: encrypt: %w", err)
	}
	return obj.CompactSerialize()
}

// open decrypts a compact JWE and returns the payload and the protected header's extra fields.
func (s *sealer) open(token string) ([]byte, map[jose.HeaderKey]any, error) {
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, nil, errUndecryptable
	}
	for _, key := range s.keys {
		if payload, err := obj.Decrypt(key); err == nil {
			return payload, obj.Header.ExtraHeaders, nil
		}
	}
	return nil, nil, errUndecryptable
}

// headerInt reads a numeric protected-header field (JSON numbers decode as float64).
func headerInt(h map[jose.HeaderKey]any, k string) (int64, bool) {
	switch v := h[jose.HeaderKey(k)].(type) {
	case float64:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}
