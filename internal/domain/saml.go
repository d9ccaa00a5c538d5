package domain

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
)

// StrategySAMLP is a SAML 2.0 identity provider (Auth0's samlp): Gatehouse is the service provider.
const StrategySAMLP = "samlp"

// SAML bindings an AuthnRequest may be sent with (options.protocolBinding).
const (
	SAMLBindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	SAMLBindingPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// SAML signature and digest algorithms, with Auth0's option values.
const (
	SAMLSignatureRSASHA256 = "rsa-sha256"
	SAMLSignatureRSASHA1   = "rsa-sha1"
	SAMLDigestSHA256       = "sha256"
	SAMLDigestSHA1         = "sha1"
)

// SAMLOptions are a samlp connection's options, with Auth0's names (a samlp connection also takes
// UpstreamOptions' domain_aliases, icon_url and issuer, the IdP's entity id, checked when set). The identity provider's
// signing certificate (signingCert, or cert) is required: every response or assertion must be
// signed by it. The service provider's own key (signing_key.key) is write-only: it travels in
// UpstreamOptions.ClientSecret on its way to being sealed, as a client secret does.
type SAMLOptions struct {
	SignInEndpoint     string `json:"signInEndpoint,omitempty"`
	SigningCert        string `json:"signingCert,omitempty"` // base64 of the PEM (Auth0's form), or PEM
	Cert               string `json:"cert,omitempty"`        // the same certificate, PEM or base64 DER
	EntityID           string `json:"entityId,omitempty"`    // the SP's entity id; urn:auth0:<tenant>:<connection> when empty
	SignSAMLRequest    bool   `json:"signSAMLRequest,omitempty"`
	SignatureAlgorithm string `json:"signatureAlgorithm,omitempty"`
	DigestAlgorithm    string `json:"digestAlgorithm,omitempty"`
	ProtocolBinding    string `json:"protocolBinding,omitempty"`
	// FieldsMap maps a profile attribute (email, name, given_name, …) to the SAML attribute, or
	// list of attributes, it is read from (Auth0's fieldsMap).
	FieldsMap       map[string]FieldSource `json:"fieldsMap,omitempty"`
	UserIDAttribute string                 `json:"user_id_attribute,omitempty"`
	IdPInitiated    *SAMLIdPInitiated      `json:"idpinitiated,omitempty"`
	Debug           bool                   `json:"debug,omitempty"`
	SigningKey      *SAMLSigningKey        `json:"signing_key,omitempty"`
	// MetadataURL is where the IdP's metadata is read from when the connection is saved: it
	// fills signInEndpoint, signOutEndpoint, issuer and signingCert where they are empty.
	MetadataURL string `json:"metadataUrl,omitempty"`
	// SignOutEndpoint is the IdP's SingleLogoutService (HTTP-Redirect): /v2/logout of a session
	// that signed in through the connection sends a LogoutRequest there (to SignInEndpoint when
	// it is empty, as Auth0 does) unless DisableSignout.
	SignOutEndpoint string `json:"signOutEndpoint,omitempty"`
	DisableSignout  bool   `json:"disableSignout,omitempty"`
}

// SAMLSigningKey is the service provider's key pair: the certificate is published in the SP
// metadata; the private key is write-only (sealed in Connection.SecretSealed).
type SAMLSigningKey struct {
	Cert string `json:"cert,omitempty"`
	Key  string `json:"-"`
}

// SAMLIdPInitiated is Auth0's idpinitiated: whether an unsolicited response is accepted, and the
// application it signs the user in to.
type SAMLIdPInitiated struct {
	Enabled              bool   `json:"enabled"`
	ClientID             string `json:"client_id,omitempty"`
	ClientProtocol       string `json:"client_protocol,omitempty"` // oidc or oauth2
	ClientAuthorizeQuery string `json:"client_authorizequery,omitempty"`
}

// FieldSource is one fieldsMap value: an attribute name, or a list of them tried in order.
type FieldSource []string

// UnmarshalJSON accepts a string or an array of strings, as Auth0 does.
func (f *FieldSource) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "[") {
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*f = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return errors.New("a fieldsMap value is an attribute name or a list of them")
	}
	*f = FieldSource{one}
	return nil
}

// MarshalJSON writes a single name as a string, as it was most likely given.
func (f FieldSource) MarshalJSON() ([]byte, error) {
	if len(f) == 1 {
		return json.Marshal(f[0])
	}
	return json.Marshal([]string(f))
}

// SessionSAML is a session's SAML sign-in (SAML core §3.7): the connection, the NameID the
// assertion named and the IdP's SessionIndex.
type SessionSAML struct {
	Connection   string `json:"connection"`
	NameID       string `json:"name_id"`
	NameIDFormat string `json:"name_id_format,omitempty"`
	SessionIndex string `json:"session_index,omitempty"`
}

// SAMLOutcome is a verified SAML sign-in waiting, on its transaction, for the browser that
// started it: the ACS receives the IdP's cross-site POST, which carries no SameSite=Lax cookie,
// so the user is signed in on the top-level GET it redirects to.
type SAMLOutcome struct {
	Subject    string            `json:"subject"`
	Attributes map[string]string `json:"attributes,omitempty"` // profile attribute → value
	// Session is what a Single Logout will name (NameID, SessionIndex).
	Session *SessionSAML `json:"session,omitempty"`
}

// IDPCertificate reads the IdP's signing certificate from signingCert or cert: PEM, base64 of a
// PEM (Auth0's documented form), or base64 DER.
func (o SAMLOptions) IDPCertificate() (*x509.Certificate, error) {
	raw := strings.TrimSpace(o.SigningCert)
	if raw == "" {
		raw = strings.TrimSpace(o.Cert)
	}
	if raw == "" {
		return nil, errors.New("is required")
	}
	return parseCertificate(raw)
}

func parseCertificate(raw string) (*x509.Certificate, error) {
	if !strings.HasPrefix(raw, "-----") {
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(raw), ""))
		if err != nil {
			return nil, errors.New("is neither PEM nor base64")
		}
		if !strings.HasPrefix(strings.TrimSpace(string(dec)), "-----") {
			c, err := x509.ParseCertificate(dec)
			if err != nil {
				return nil, errors.New("is not an X.509 certificate")
			}
			return c, nil
		}
		raw = strings.TrimSpace(string(dec))
	}
	blk, _ := pem.Decode([]byte(raw))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("is not a PEM certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, errors.New("is not an X.509 certificate")
	}
	return c, nil
}

// ParseCertificatePEM reads a PEM certificate (the SP's signing_key.cert).
func ParseCertificatePEM(raw string) (*x509.Certificate, error) {
	return parseCertificate(strings.TrimSpace(raw))
}

// SAMLProfileAttributes are the profile attributes fieldsMap may set; fieldsMap.user_id orders the
// attributes the user id is read from (the NameID stands for
// http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier, as at Auth0).
var SAMLProfileAttributes = []string{"user_id", "email", "name", "nickname", "given_name", "family_name", "picture"}

// isZero reports whether no SAML option is set.
func (o SAMLOptions) isZero() bool {
	return o.SignInEndpoint == "" && o.SigningCert == "" && o.Cert == "" && o.EntityID == "" &&
		!o.SignSAMLRequest && o.SignatureAlgorithm == "" && o.DigestAlgorithm == "" && o.ProtocolBinding == "" &&
		o.FieldsMap == nil && o.UserIDAttribute == "" && o.IdPInitiated == nil && !o.Debug && o.SigningKey == nil &&
		o.MetadataURL == "" && o.SignOutEndpoint == "" && !o.DisableSignout
}

// validateSAML checks a samlp connection's options.
func (c *Connection) validateSAML(errs *Errors) {
	o := c.Options
	s := o.SAMLOptions
	if o.PasswordPolicy != "" || o.PasswordComplexityOptions != nil || o.PasswordHistory != nil ||
		o.PasswordNoPersonalInfo != nil || o.PasswordDictionary != nil || o.DisableSignup || o.RequiresUsername {
		errs.add(Invalidf("options", "password and signup options belong to database connections"))
	}
	u := o.UpstreamOptions
	if u.ClientID != "" || u.Type != "" || u.Scope != "" || u.AttributeMap != nil || u.DiscoveryURL != "" ||
		u.AuthorizationEndpoint != "" || u.TokenEndpoint != "" || u.JWKSURI != "" || u.UserinfoEndpoint != "" ||
		u.AuthorizationURL != "" || u.TokenURL != "" || u.ProfileURL != "" {
		errs.add(Invalidf("options", "client_id, client_secret and the OAuth endpoint options belong to oidc and oauth2 connections"))
	}
	if p, err := url.Parse(s.SignInEndpoint); s.SignInEndpoint == "" || err != nil || (p.Scheme != "https" && p.Scheme != "http") ||
		p.Host == "" || p.User != nil || p.Fragment != "" || len(s.SignInEndpoint) > 2048 {
		errs.add(Invalidf("options.signInEndpoint", "is required: the IdP's absolute http(s) single sign-on URL"))
	}
	for name, raw := range map[string]string{"metadataUrl": s.MetadataURL, "signOutEndpoint": s.SignOutEndpoint} {
		if p, err := url.Parse(raw); raw != "" && (err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.Fragment != "" || len(raw) > 2048) {
			errs.add(Invalidf("options."+name, "must be an absolute http(s) URL without credentials or fragment"))
		}
	}
	if _, err := s.IDPCertificate(); err != nil {
		errs.add(Invalidf("options.signingCert", "%v (the IdP's X.509 signing certificate, base64 of its PEM)", err))
	}
	if len(s.EntityID) > 1024 || len(u.Issuer) > 1024 {
		errs.add(Invalidf("options.entityId", "must be at most 1024 characters"))
	}
	switch s.SignatureAlgorithm {
	case "", SAMLSignatureRSASHA256, SAMLSignatureRSASHA1:
	default:
		errs.add(Invalidf("options.signatureAlgorithm", "%q is not one of rsa-sha256, rsa-sha1", s.SignatureAlgorithm))
	}
	switch s.DigestAlgorithm {
	case "", SAMLDigestSHA256, SAMLDigestSHA1:
	default:
		errs.add(Invalidf("options.digestAlgorithm", "%q is not one of sha256, sha1", s.DigestAlgorithm))
	}
	switch s.ProtocolBinding {
	case "", SAMLBindingRedirect, SAMLBindingPost:
	default:
		errs.add(Invalidf("options.protocolBinding", "%q is not a SAML binding", s.ProtocolBinding))
	}
	if len(s.FieldsMap) > 50 {
		errs.add(Invalidf("options.fieldsMap", "at most 50 fields"))
	}
	for k, v := range s.FieldsMap {
		if !containsWord(SAMLProfileAttributes, k) || len(v) == 0 || len(v) > 10 {
			errs.add(Invalidf("options.fieldsMap", "%q: keys are %s; values 1 to 10 attribute names", k, strings.Join(SAMLProfileAttributes, ", ")))
			break
		}
		for _, a := range v {
			if a == "" || len(a) > 512 {
				errs.add(Invalidf("options.fieldsMap", "%q: attribute names are 1 to 512 characters", k))
				break
			}
		}
	}
	if len(s.UserIDAttribute) > 512 {
		errs.add(Invalidf("options.user_id_attribute", "must be at most 512 characters"))
	}
	if i := s.IdPInitiated; i != nil && i.Enabled {
		if i.ClientID == "" {
			errs.add(Invalidf("options.idpinitiated.client_id", "is required when IdP-initiated sign-in is enabled"))
		}
		switch i.ClientProtocol {
		case "", "oidc", "oauth2":
		default:
			errs.add(Invalidf("options.idpinitiated.client_protocol", "%q is not one of oidc, oauth2", i.ClientProtocol))
		}
		if len(i.ClientAuthorizeQuery) > 2048 {
			errs.add(Invalidf("options.idpinitiated.client_authorizequery", "must be at most 2048 characters"))
		} else if _, err := url.ParseQuery(i.ClientAuthorizeQuery); err != nil {
			errs.add(Invalidf("options.idpinitiated.client_authorizequery", "is not a query string"))
		}
	}
	if k := s.SigningKey; k != nil && k.Cert != "" {
		if _, err := ParseCertificatePEM(k.Cert); err != nil {
			errs.add(Invalidf("options.signing_key.cert", "%v", err))
		}
	}
	if len(u.DomainAliases) > 100 {
		errs.add(Invalidf("options.domain_aliases", "at most 100 domains"))
	}
	for _, d := range u.DomainAliases {
		if !domainAliasPattern.MatchString(d) {
			errs.add(Invalidf("options.domain_aliases", "%q is not a lower-case domain name", d))
			break
		}
	}
}
