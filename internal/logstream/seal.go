package logstream

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/netguard"
)

// PurposeAuthorization labels the key derived from the master key for streams' Authorization headers.
const PurposeAuthorization = "gatehouse/logstream/authorization/v1"

const sealedVersion = 1

// Secrets seals streams' Authorization headers (AES-256-GCM, bound to the stream's id) and checks
// endpoints against the node's netguard policy. It satisfies mgmt.LogStreamSecrets.
type Secrets struct {
	aead   cipher.AEAD
	Policy netguard.Policy
}

// NewSecrets derives the sealing key from the master key.
func NewSecrets(masterKey []byte, policy netguard.Policy) (*Secrets, error) {
	aead, err := keys.NewAEAD(masterKey, PurposeAuthorization)
	if err != nil {
		return nil, err
	}
	return &Secrets{aead: aead, Policy: policy}, nil
}

func aad(streamID string) []byte {
	return []byte("gatehouse log stream\x00" + streamID + "\x00httpAuthorization")
}

// Seal encrypts a stream's Authorization header for storage.
func (s *Secrets) Seal(streamID, authorization string) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(authorization)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+n], []byte(authorization), aad(streamID)), nil
}

// Open decrypts a stream's sealed Authorization header.
func (s *Secrets) Open(streamID string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealedVersion {
		return "", errors.New("logstream: the stored Authorization header has an unknown format")
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad(streamID))
	if err != nil {
		return "", errors.New("logstream: the stored Authorization header does not decrypt with this master key")
	}
	return string(pt), nil
}

// CheckEndpoint refuses an endpoint this node must not send the tenant log to.
func (s *Secrets) CheckEndpoint(ctx context.Context, rawURL string) error {
	return s.Policy.CheckURL(ctx, rawURL)
}
