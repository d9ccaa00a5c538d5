package upstream

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// maxSAMLMetadata bounds an IdP metadata document read from options.metadataUrl: a federation's
// aggregate is not an IdP's metadata, and the read is bounded before it allocates.
const maxSAMLMetadata = 1 << 20

// LoadSAMLMetadata reads a samlp connection's IdP metadata from options.metadataUrl (Auth0's
// name), as Auth0 does when the connection is saved: the single sign-on URL (for the connection's
// protocolBinding, else HTTP-Redirect, else HTTP-POST), the single logout URL, the entity id (the
// issuer LogoutRequests must come from) and the signing certificate fill the options the
// administrator left empty. The URL is held to the node's rule (https outside development, an
// address the node may reach, checked again at connect time by netguard), the read to the
// broker's timeout and maxSAMLMetadata. Any other connection, or one without metadataUrl, passes.
func (b *Broker) LoadSAMLMetadata(ctx context.Context, c *domain.Connection) error {
	o := &c.Options
	if c.Strategy != domain.StrategySAMLP || o.MetadataURL == "" {
		return nil
	}
	b.init()
	if err := b.checkURL(ctx, o.MetadataURL); err != nil {
		return domain.Invalidf("options.metadataUrl", "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.MetadataURL, nil)
	if err != nil {
		return domain.Invalidf("options.metadataUrl", "is not a URL")
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := b.client.Do(req)
	if err != nil {
		return domain.Invalidf("options.metadataUrl", "the IdP metadata could not be fetched: %v", errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return domain.Invalidf("options.metadataUrl", "the IdP metadata could not be fetched: HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSAMLMetadata+1))
	if err != nil {
		return domain.Invalidf("options.metadataUrl", "the IdP metadata could not be read")
	}
	if len(raw) > maxSAMLMetadata {
		return domain.Invalidf("options.metadataUrl", "the IdP metadata is larger than %d bytes", maxSAMLMetadata)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &md); err != nil || len(md.IDPSSODescriptors) == 0 {
		return domain.Invalidf("options.metadataUrl", "is not the SAML metadata of an identity provider (an EntityDescriptor with an IDPSSODescriptor)")
	}
	d := md.IDPSSODescriptors[0]
	if o.SignInEndpoint == "" {
		o.SignInEndpoint = endpointFor(d.SingleSignOnServices, o.ProtocolBinding)
	}
	if o.SignOutEndpoint == "" {
		o.SignOutEndpoint = endpointFor(d.SingleLogoutServices, domain.SAMLBindingRedirect)
	}
	if o.Issuer == "" {
		o.Issuer = md.EntityID
	}
	if o.SigningCert == "" && o.Cert == "" {
		for _, k := range d.KeyDescriptors {
			if k.Use != "" && k.Use != "signing" || len(k.KeyInfo.X509Data.X509Certificates) == 0 {
				continue
			}
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(k.KeyInfo.X509Data.X509Certificates[0].Data), ""))
			if err != nil {
				return domain.Invalidf("options.metadataUrl", "the IdP metadata's signing certificate is not base64")
			}
			o.SigningCert = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
			break
		}
	}
	if o.SignInEndpoint == "" || (o.SigningCert == "" && o.Cert == "") {
		return domain.Invalidf("options.metadataUrl", "the IdP metadata names no %s", map[bool]string{true: "single sign-on service", false: "signing certificate"}[o.SignInEndpoint == ""])
	}
	for _, u := range []string{o.SignInEndpoint, o.SignOutEndpoint} {
		if u == "" {
			continue
		}
		if err := b.checkURL(ctx, u); err != nil {
			return domain.Invalidf("options.metadataUrl", "the IdP metadata's endpoint %s: %v", u, err)
		}
	}
	return nil
}

// endpointFor is the location of the endpoint with the binding wanted (HTTP-Redirect when none
// is), else the HTTP-Redirect one, else the HTTP-POST one.
func endpointFor(eps []saml.Endpoint, binding string) string {
	if binding == "" {
		binding = domain.SAMLBindingRedirect
	}
	for _, want := range []string{binding, domain.SAMLBindingRedirect, domain.SAMLBindingPost} {
		for _, e := range eps {
			if e.Binding == want {
				return e.Location
			}
		}
	}
	return ""
}
