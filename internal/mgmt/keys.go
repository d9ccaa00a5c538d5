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

func (h *Handler) keyRoutes() []route {
	read := []string{"read:signing_keys"}
	return []route{
		{method: "GET", path: "/keys/signing", scopes: read, fn: h.listKeys},
		{method: "GET", path: "/keys/signing/{kid}", scopes: read, fn: h.getKey},
		{method: "POST", path: "/keys/signing/rotate", scopes: []string{"create:signing_keys", "update:signing_keys"}, desc: "Rotate the signing key", fn: h.rotateKey},
		{method: "PUT", path: "/keys/signing/{kid}/revoke", scopes: []string{"update:signing_keys"}, desc: "Revoke a signing key", fn: h.revokeKey},
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

func (h *Handler) findKey(c *call, kid string) (*domain.SigningKey, bool) {
	keys, err := h.st.ListSigningKeys(c.r.Context())
	if err != nil {
		c.fail(err)
		return nil, false
	}
	for _, k := range keys {
		if k.KID == kid {
			return k, true
		}
	}
	c.notFound(nfKey)
	return nil, false
}

func (h *Handler) listKeys(c *call) {
	keys, err := h.st.ListSigningKeys(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	out := make([]keyView, len(keys))
	for i, k := range keys {
		out[i] = viewKey(k)
	}
	c.json(http.StatusOK, out)
}

func (h *Handler) getKey(c *call) {
	if k, ok := h.findKey(c, c.r.PathValue("kid")); ok {
		c.json(http.StatusOK, viewKey(k))
	}
}

// rotateKey answers 201 {cert, kid} of the newly generated next key, as Auth0 documents ("Next key
// certificate", "Next key id").
func (h *Handler) rotateKey(c *call) {
	if h.opts.Keys == nil {
		c.errorf(http.StatusNotImplemented, "", "Key rotation is not available on this server")
		return
	}
	if err := h.opts.Keys.Rotate(c.r.Context()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "The keys were rotated by another request; try again")
			return
		}
		c.fail(err)
		return
	}
	keys, err := h.st.ListSigningKeys(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	for _, k := range keys {
		if k.State == domain.KeyNext {
			v := viewKey(k)
			c.json(http.StatusCreated, map[string]string{"cert": v.Cert, "kid": v.KID})
			return
		}
	}
	c.fail(errors.New("mgmt: no next signing key after rotation"))
}

// revokeKey revokes a previous key and answers 200 {cert, kid}; only a previous key can be revoked,
// since revoking the current or next key would break signing.
func (h *Handler) revokeKey(c *call) {
	if h.opts.Keys == nil {
		c.errorf(http.StatusNotImplemented, "", "Key revocation is not available on this server")
		return
	}
	k, ok := h.findKey(c, c.r.PathValue("kid"))
	if !ok {
		return
	}
	if k.State != domain.KeyPrevious {
		c.errorf(http.StatusBadRequest, codeNotSupported, "Only a previous signing key can be revoked; %s is %s", k.KID, k.State)
		return
	}
	if err := h.opts.Keys.Revoke(c.r.Context(), k.KID); err != nil {
		c.fail(err)
		return
	}
	v := viewKey(k)
	c.json(http.StatusOK, map[string]string{"cert": v.Cert, "kid": v.KID})
}
