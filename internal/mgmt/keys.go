package mgmt

import (
	"crypto/sha1" //nolint:gosec // Auth0's fingerprint and thumbprint are SHA-1 of the certificate; not a security use
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// signingKeys serves /keys/signing: listing reads the KeyStore; rotating and revoking go through
// the KeyManager.
type signingKeys struct {
	keys    store.KeyStore
	manager KeyManager // nil: rotate and revoke answer 501
}

func (h *Handler) keyRoutes() []route {
	g := &signingKeys{keys: h.st, manager: h.opts.Keys}
	read := []string{"read:signing_keys"}
	return []route{
		{method: "GET", path: "/keys/signing", scopes: read, fn: g.list},
		{method: "GET", path: "/keys/signing/{kid}", scopes: read, fn: g.get},
		{method: "POST", path: "/keys/signing/rotate", scopes: []string{"create:signing_keys", "update:signing_keys"}, desc: "Rotate the signing key", fn: g.rotate},
		{method: "PUT", path: "/keys/signing/{kid}/revoke", scopes: []string{"update:signing_keys"}, desc: "Revoke a signing key", fn: g.revoke},
	}
}

// keyView is a signing key as GET /keys/signing shows it (spec §4.4 Signing keys). Private key
// material is never part of it.
type keyView struct {
	KID          string `json:"kid"`
	Cert         string `json:"cert"`
	Fingerprint  string `json:"fingerprint"`
	Thumbprint   string `json:"thumbprint"`
	Current      bool   `json:"current"`
	Next         bool   `json:"next"`
	Previous     bool   `json:"previous"`
	Revoked      bool   `json:"revoked"`
	CurrentSince string `json:"current_since,omitempty"`
	CurrentUntil string `json:"current_until,omitempty"`
	RevokedAt    string `json:"revoked_at,omitempty"`
}

func viewKey(k *domain.SigningKey) keyView {
	sum := sha1.Sum(k.CertDER) //nolint:gosec // see import
	hx := strings.ToUpper(hex.EncodeToString(sum[:]))
	var fp strings.Builder
	for i := 0; i < len(hx); i += 2 {
		if i > 0 {
			fp.WriteByte(':')
		}
		fp.WriteString(hx[i : i+2])
	}
	return keyView{
		KID:          k.KID,
		Cert:         string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.CertDER})),
		Fingerprint:  fp.String(),
		Thumbprint:   hx,
		Current:      k.State == domain.KeyCurrent,
		Next:         k.State == domain.KeyNext,
		Previous:     k.State == domain.KeyPrevious,
		Revoked:      k.State == domain.KeyRevoked,
		CurrentSince: isoTimePtr(k.CurrentSince),
		CurrentUntil: isoTimePtr(k.PreviousSince),
		RevokedAt:    isoTimePtr(k.RevokedAt),
	}
}

// find returns the key the path's {kid} names, or its 404.
func (g *signingKeys) find(c *call) (*domain.SigningKey, error) {
	keys, err := g.keys.ListSigningKeys(c.ctx())
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.KID == c.r.PathValue("kid") {
			return k, nil
		}
	}
	return nil, nfKey
}

func (g *signingKeys) list(c *call) (int, any, error) {
	keys, err := g.keys.ListSigningKeys(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	out := make([]keyView, len(keys))
	for i, k := range keys {
		out[i] = viewKey(k)
	}
	return http.StatusOK, out, nil
}

func (g *signingKeys) get(c *call) (int, any, error) {
	k, err := g.find(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewKey(k), nil
}

// certAndKID is what rotate and revoke answer: {cert, kid} of the key concerned.
func certAndKID(k *domain.SigningKey) map[string]string {
	v := viewKey(k)
	return map[string]string{"cert": v.Cert, "kid": v.KID}
}

// rotate answers 201 {cert, kid} of the newly generated next key, as Auth0 documents ("Next key
// certificate", "Next key id").
func (g *signingKeys) rotate(c *call) (int, any, error) {
	if g.manager == nil {
		return 0, nil, refuse(http.StatusNotImplemented, "", "Key rotation is not available on this server")
	}
	if err := g.manager.Rotate(c.ctx()); err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "conflict", "The keys were rotated by another request; try again"))
	}
	keys, err := g.keys.ListSigningKeys(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		if k.State == domain.KeyNext {
			return http.StatusCreated, certAndKID(k), nil
		}
	}
	return 0, nil, errors.New("mgmt: no next signing key after rotation")
}

// revoke revokes a previous key and answers 200 {cert, kid}; only a previous key can be revoked,
// since revoking the current or next key would break signing.
func (g *signingKeys) revoke(c *call) (int, any, error) {
	if g.manager == nil {
		return 0, nil, refuse(http.StatusNotImplemented, "", "Key revocation is not available on this server")
	}
	k, err := g.find(c)
	if err != nil {
		return 0, nil, err
	}
	if k.State != domain.KeyPrevious {
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "Only a previous signing key can be revoked; %s is %s", k.KID, k.State)
	}
	if err := g.manager.Revoke(c.ctx(), k.KID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, certAndKID(k), nil
}
