package mgmt

import (
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
)

// webauthnMethodOut is a security key, platform authenticator or passkey as
// /users/{id}/authentication-methods shows it (Auth0's fields: key_id is the credential id and
// public_key the COSE key, both base64url; the passkey-only fields are left out for the others).
type webauthnMethodOut struct {
	ID                   string   `json:"id"`
	Type                 string   `json:"type"`
	Name                 string   `json:"name,omitempty"`
	Confirmed            bool     `json:"confirmed"`
	CreatedAt            string   `json:"created_at"`
	LastAuthAt           string   `json:"last_auth_at,omitempty"`
	KeyID                string   `json:"key_id"`
	PublicKey            string   `json:"public_key,omitempty"`
	UserAgent            string   `json:"user_agent,omitempty"`
	Usage                []string `json:"usage"`
	CredentialDeviceType string   `json:"credential_device_type,omitempty"`
	CredentialBackedUp   *bool    `json:"credential_backed_up,omitempty"`
	IdentityUserID       string   `json:"identity_user_id,omitempty"`
	UserHandle           string   `json:"user_handle,omitempty"`
	Transports           []string `json:"transports,omitempty"`
	AAGUID               string   `json:"aaguid,omitempty"`
}

func webauthnMethodView(k *domain.WebAuthnCredential) webauthnMethodOut {
	b64 := base64.RawURLEncoding.EncodeToString
	out := webauthnMethodOut{
		ID: k.ID, Type: k.Type, Name: k.Name, Confirmed: true, CreatedAt: isoTime(k.CreatedAt), LastAuthAt: isoTimePtr(k.LastAuthAt),
		KeyID: b64(k.CredentialID), UserAgent: k.UserAgent, Usage: []string{"secondary"},
	}
	rec, err := mfa.Record(k)
	if err != nil {
		return out
	}
	out.PublicKey = b64(rec.PublicKey)
	if k.Type == domain.MethodPasskey {
		out.Usage = []string{"primary"}
		out.CredentialDeviceType = "single_device"
		if rec.Flags.BackupEligible {
			out.CredentialDeviceType = "multi_device"
		}
		backed := rec.Flags.BackupState
		out.CredentialBackedUp = &backed
		out.IdentityUserID = k.UserID
		out.UserHandle = b64([]byte(k.UserID))
		for _, t := range rec.Transport {
			out.Transports = append(out.Transports, string(t))
		}
		if len(rec.Authenticator.AAGUID) == 16 {
			a := rec.Authenticator.AAGUID
			const hex = "0123456789abcdef"
			buf := make([]byte, 0, 36)
			for i, c := range a {
				if i == 4 || i == 6 || i == 8 || i == 10 {
					buf = append(buf, '-')
				}
				buf = append(buf, hex[c>>4], hex[c&15])
			}
			out.AAGUID = string(buf)
		}
	}
	return out
}

// getWebAuthnMethod answers GET /users/{id}/authentication-methods/{method_id} for a WebAuthn credential.
func (g *guardian) getWebAuthnMethod(c *call, u *domain.User) (int, any, error) {
	k, err := g.st.GetWebAuthnCredential(c.ctx(), u.UserID, c.r.PathValue("method_id"))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nfMethod
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, webauthnMethodView(k), nil
}
