package upstream

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// PurposeIdPTokens labels the key derived from the master key for the upstream tokens kept with
// users' identities.
const PurposeIdPTokens = "gatehouse/identities/idp-tokens/v1"

// Tokens seals and opens the access and refresh tokens a provider sends at sign-in, bound to the
// identity (provider|id) they belong to: a sealed value copied onto another identity does not open.
type Tokens struct{ aead cipher.AEAD }

// NewTokens derives the sealing key from the master key.
func NewTokens(masterKey []byte) (*Tokens, error) {
	aead, err := keys.NewAEAD(masterKey, PurposeIdPTokens)
	if err != nil {
		return nil, err
	}
	return &Tokens{aead: aead}, nil
}

func tokensAAD(identity string) []byte {
	return []byte("gatehouse identity\x00" + identity + "\x00idp_tokens")
}

// Seal encrypts t for the identity; nil when there is nothing to keep.
func (s *Tokens) Seal(identity string, t domain.IdPTokens) ([]byte, error) {
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, nil
	}
	pt, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(pt)+s.aead.Overhead())
	out[0] = sealedVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:1+n], pt, tokensAAD(identity)), nil
}

// Open decrypts the tokens sealed for the identity; the zero value when none were kept.
func (s *Tokens) Open(identity string, sealed []byte) (domain.IdPTokens, error) {
	var t domain.IdPTokens
	if len(sealed) == 0 {
		return t, nil
	}
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealedVersion {
		return t, errors.New("upstream: stored identity tokens have an unknown format")
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], tokensAAD(identity))
	if err != nil {
		return t, errors.New("upstream: stored identity tokens do not decrypt with this master key")
	}
	return t, json.Unmarshal(pt, &t)
}
