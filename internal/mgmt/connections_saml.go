package mgmt

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// samlOptionsBody is the part of options a samlp connection takes, with Auth0's names.
// signing_key.key (the service provider's private key) is write-only.
type samlOptionsBody struct {
	SignInEndpoint     *string                       `json:"signInEndpoint"`
	SigningCert        *string                       `json:"signingCert"`
	Cert               *string                       `json:"cert"`
	EntityID           *string                       `json:"entityId"`
	SignSAMLRequest    *bool                         `json:"signSAMLRequest"`
	SignatureAlgorithm *string                       `json:"signatureAlgorithm"`
	DigestAlgorithm    *string                       `json:"digestAlgorithm"`
	ProtocolBinding    *string                       `json:"protocolBinding"`
	FieldsMap          map[string]domain.FieldSource `json:"fieldsMap"`
	UserIDAttribute    *string                       `json:"user_id_attribute"`
	IdPInitiated       *domain.SAMLIdPInitiated      `json:"idpinitiated"`
	Debug              *bool                         `json:"debug"`
	MetadataURL        *string                       `json:"metadataUrl"`
	SignOutEndpoint    *string                       `json:"signOutEndpoint"`
	DisableSignout     *bool                         `json:"disableSignout"`
	SigningKey         *struct {
		Cert string `json:"cert"`
		Key  string `json:"key"`
	} `json:"signing_key"`
}

func (b *samlOptionsBody) options() domain.SAMLOptions {
	var o domain.SAMLOptions
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	flag := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	str(&o.SignInEndpoint, b.SignInEndpoint)
	str(&o.SigningCert, b.SigningCert)
	str(&o.Cert, b.Cert)
	str(&o.EntityID, b.EntityID)
	flag(&o.SignSAMLRequest, b.SignSAMLRequest)
	str(&o.SignatureAlgorithm, b.SignatureAlgorithm)
	str(&o.DigestAlgorithm, b.DigestAlgorithm)
	str(&o.ProtocolBinding, b.ProtocolBinding)
	o.FieldsMap = b.FieldsMap
	str(&o.UserIDAttribute, b.UserIDAttribute)
	o.IdPInitiated = b.IdPInitiated
	flag(&o.Debug, b.Debug)
	str(&o.MetadataURL, b.MetadataURL)
	str(&o.SignOutEndpoint, b.SignOutEndpoint)
	flag(&o.DisableSignout, b.DisableSignout)
	if k := b.SigningKey; k != nil && (k.Cert != "" || k.Key != "") {
		o.SigningKey = &domain.SAMLSigningKey{Cert: k.Cert, Key: k.Key}
	}
	return o
}

// keepSAMLKey keeps a samlp connection's service provider certificate when an update's options
// leave signing_key out: the key is write-only, so a read-modify-write of options cannot carry
// it, and the sealed key it belongs to is kept too.
// A certificate changed without its key is refused: it would not be the sealed key's.
func keepSAMLKey(before domain.SAMLOptions, conn *domain.Connection) error {
	if conn.Strategy != domain.StrategySAMLP || before.SigningKey == nil {
		return nil
	}
	k := conn.Options.SigningKey
	switch {
	case k == nil:
		kept := *before.SigningKey
		conn.Options.SigningKey = &kept
	case k.Key == "" && strings.TrimSpace(k.Cert) != strings.TrimSpace(before.SigningKey.Cert):
		return domain.Invalidf("options.signing_key", "a new certificate needs its private key (signing_key.key)")
	}
	return nil
}
