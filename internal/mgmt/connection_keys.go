package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// connectionKeyView is one of Auth0's connection keys (GET /api/v2/connections/{id}/keys): the
// certificate an oidc connection's private_key_jwt assertions are verified with, for the
// provider to register. The private key is never shown.
type connectionKeyView struct {
	KID          string `json:"kid"`
	Cert         string `json:"cert"`
	Fingerprint  string `json:"fingerprint"`
	Thumbprint   string `json:"thumbprint"`
	Current      bool   `json:"current"`
	CurrentSince string `json:"current_since"`
	Algorithm    string `json:"algorithm"`
	KeyUse       string `json:"key_use"`
	SubjectDN    string `json:"subject_dn"`
}

// keys lists the connection's key: none until the connection uses private_key_jwt (the key is
// made when it is first set); Auth0 answers the same for an oidc connection without keys.
func (g *connections) keys(c *call) (int, any, error) {
	conn, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	if conn.Strategy != domain.StrategyOIDC {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidURI, "Connection keys are only available for oidc connections.")
	}
	out := []connectionKeyView{}
	if k := conn.ClientKey; k != nil {
		cert, err := domain.ParseCertificatePEM(k.Cert)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, connectionKeyView{KID: k.KID, Cert: k.Cert, Fingerprint: upstream.KeyFingerprint(cert),
			Thumbprint: upstream.KeyThumbprint(cert), Current: true, CurrentSince: isoTime(k.CreatedAt),
			Algorithm: conn.AssertionAlg(), KeyUse: "signing", SubjectDN: "CN=" + cert.Subject.CommonName})
	}
	return http.StatusOK, out, nil
}
