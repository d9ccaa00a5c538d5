package upstream

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// A samlp connection signs users in at a SAML 2.0 identity provider, Gatehouse being the service
// provider (github.com/crewjam/saml does the protocol): an AuthnRequest sent with the HTTP-Redirect
// binding (signed when signSAMLRequest is set), the Response received with HTTP-POST at Auth0's
// assertion consumer service, /login/callback?connection=<name>. A Response is accepted only when
// the Response or its assertion is signed by the connection's IdP certificate, and the assertion
// is for this service provider (Audience), sent here (Destination, Recipient), within its time
// (NotBefore, NotOnOrAfter), in response to this transaction's request (InResponseTo; none only
// when IdP-initiated sign-in is enabled) and never seen before (its ID recorded once across nodes
// through the caller's Consume). XML signature wrapping is refused by crewjam/saml, which reads
// only what the verified signature covers.

// maxSAMLResponse bounds the base64 SAMLResponse form value.
const maxSAMLResponse = 256 << 10

// SAMLCallback is the assertion consumer service of a samlp connection: Auth0's
// /login/callback?connection=<name>, on the node's callback URL.
func SAMLCallback(callbackURL, connection string) string {
	return callbackURL + "?connection=" + url.QueryEscape(connection)
}

// SAMLEntityID is the service provider's entity id for a connection: options.entityId, or Auth0's
// urn:auth0:<tenant>:<connection>, the tenant being the first label of the issuer's host.
func SAMLEntityID(c *domain.Connection, callbackURL string) string {
	if c.Options.EntityID != "" {
		return c.Options.EntityID
	}
	tenant := "gatehouse"
	if u, err := url.Parse(callbackURL); err == nil && u.Hostname() != "" {
		tenant, _, _ = strings.Cut(u.Hostname(), ".")
	}
	return "urn:auth0:" + tenant + ":" + c.Name
}

// serviceProvider builds crewjam/saml's service provider for a connection: the IdP's certificate
// and single sign-on URL from the options, the SP key opened from the sealed secret.
func (b *Broker) serviceProvider(c *domain.Connection, callbackURL string) (*saml.ServiceProvider, error) {
	b.init()
	o := c.Options.SAMLOptions
	idpCert, err := o.IDPCertificate()
	if err != nil {
		return nil, fmt.Errorf("upstream: samlp %s: signingCert %w", c.Name, err)
	}
	key, cert, err := b.spKey(c)
	if err != nil {
		return nil, err
	}
	acs, _ := url.Parse(SAMLCallback(callbackURL, c.Name))
	meta, _ := url.Parse(strings.TrimSuffix(callbackURL, "/login/callback") + "/samlp/metadata?connection=" + url.QueryEscape(c.Name))
	sha1OK := o.SignatureAlgorithm == domain.SAMLSignatureRSASHA1 || o.DigestAlgorithm == domain.SAMLDigestSHA1
	sp := &saml.ServiceProvider{
		EntityID: SAMLEntityID(c, callbackURL), Key: key, Certificate: cert, AcsURL: *acs, MetadataURL: *meta,
		IDPMetadata: &saml.EntityDescriptor{EntityID: c.Options.Issuer, IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
				KeyDescriptors: []saml.KeyDescriptor{{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
					X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(idpCert.Raw)}}}}}},
			}},
			SingleSignOnServices: []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: o.SignInEndpoint}},
		}}},
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		AllowIDPInitiated:                o.IdPInitiated != nil && o.IdPInitiated.Enabled,
		RejectSHA1Signatures:             !sha1OK,
		RejectUnknownConditions:          true,
		Clock:                            dsig.NewFakeClockAt(b.Now()),
		MetadataValidDuration:            48 * time.Hour,
	}
	if o.SignSAMLRequest {
		sp.SignatureMethod = dsig.RSASHA256SignatureMethod
		if o.SignatureAlgorithm == domain.SAMLSignatureRSASHA1 {
			sp.SignatureMethod = dsig.RSASHA1SignatureMethod
		}
	}
	return sp, nil
}

// spKey opens the connection's service provider key (sealed as its secret) and certificate.
func (b *Broker) spKey(c *domain.Connection) (*rsa.PrivateKey, *x509.Certificate, error) {
	if b.Secrets == nil {
		return nil, nil, errors.New("upstream: no sealing key for the SAML service provider key")
	}
	if c.Options.SigningKey == nil || c.Options.SigningKey.Cert == "" {
		return nil, nil, fmt.Errorf("upstream: samlp %s has no service provider certificate", c.Name)
	}
	cert, err := domain.ParseCertificatePEM(c.Options.SigningKey.Cert)
	if err != nil {
		return nil, nil, fmt.Errorf("upstream: samlp %s: signing_key.cert %w", c.Name, err)
	}
	keyPEM, err := b.Secrets.Open(c.ID, c.SecretSealed)
	if err != nil {
		return nil, nil, err
	}
	key, err := parseRSAKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("upstream: samlp %s: %w", c.Name, err)
	}
	return key, cert, nil
}

// beginSAML makes the AuthnRequest for a transaction: the redirect to the IdP, and the request to
// keep (its ID, which the response's InResponseTo must name, and the relay state's hash).
func (b *Broker) beginSAML(c *domain.Connection, callbackURL, txID string) (string, *domain.UpstreamRequest, error) {
	sp, err := b.serviceProvider(c, callbackURL)
	if err != nil {
		return "", nil, err
	}
	authn, err := sp.MakeAuthenticationRequest(c.Options.SignInEndpoint, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", nil, fmt.Errorf("upstream: samlp %s: AuthnRequest: %w", c.Name, err)
	}
	secret := domain.RandomToken(32)
	u, err := authn.Redirect(txID+"."+secret, sp)
	if err != nil {
		return "", nil, fmt.Errorf("upstream: samlp %s: AuthnRequest: %w", c.Name, err)
	}
	return u.String(), &domain.UpstreamRequest{Connection: c.Name, StateHash: domain.HashSecret(secret), SAMLRequestID: authn.ID}, nil
}

// SAMLPost is an AuthnRequest sent with the HTTP-POST binding (options.protocolBinding
// urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST): a form the browser posts to the IdP.
type SAMLPost struct {
	Action      string // the IdP's single sign-on URL
	SAMLRequest string // base64 of the AuthnRequest, signed (enveloped) when signSAMLRequest is set
	RelayState  string
}

// PostsAuthnRequest reports whether the connection sends its AuthnRequest with HTTP-POST.
func PostsAuthnRequest(c *domain.Connection) bool {
	return c.Strategy == domain.StrategySAMLP && c.Options.ProtocolBinding == domain.SAMLBindingPost
}

// BeginSAMLPost is beginSAML for the HTTP-POST binding: the request is signed with an enveloped
// XML signature (SAML bindings §3.5.4) rather than the redirect binding's query signature.
func (b *Broker) BeginSAMLPost(c *domain.Connection, callbackURL, txID string) (*SAMLPost, *domain.UpstreamRequest, error) {
	sp, err := b.serviceProvider(c, callbackURL)
	if err != nil {
		return nil, nil, err
	}
	authn, err := sp.MakeAuthenticationRequest(c.Options.SignInEndpoint, saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, nil, fmt.Errorf("upstream: samlp %s: AuthnRequest: %w", c.Name, err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(authn.Element())
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, nil, fmt.Errorf("upstream: samlp %s: AuthnRequest: %w", c.Name, err)
	}
	secret := domain.RandomToken(32)
	return &SAMLPost{Action: c.Options.SignInEndpoint, SAMLRequest: base64.StdEncoding.EncodeToString(raw), RelayState: txID + "." + secret},
		&domain.UpstreamRequest{Connection: c.Name, StateHash: domain.HashSecret(secret), SAMLRequestID: authn.ID}, nil
}

// SAMLMetadata is the service provider's metadata for a connection (Auth0's
// /samlp/metadata?connection=<name>): entity id, the ACS (HTTP-POST) and the signing certificate.
func (b *Broker) SAMLMetadata(c *domain.Connection, callbackURL string) ([]byte, error) {
	mk := b.serviceProvider
	if SignsOut(c) && c.Options.Issuer != "" {
		mk = b.logoutServiceProvider // its SingleLogoutService published
	}
	sp, err := mk(c, callbackURL)
	if err != nil {
		return nil, err
	}
	md := sp.Metadata()
	for i := range md.SPSSODescriptors {
		md.SPSSODescriptors[i].AuthnRequestsSigned = &c.Options.SignSAMLRequest
		yes := true
		md.SPSSODescriptors[i].WantAssertionsSigned = &yes
	}
	out, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// ErrSAMLReplayed is what a SAMLResponse's Consume returns for an assertion already used.
var ErrSAMLReplayed = saml.ErrAssertionReplayed

// SAMLResponse is a SAMLResponse received at the assertion consumer service.
type SAMLResponse struct {
	// Encoded is the SAMLResponse form value (base64 of the XML).
	Encoded string
	// RequestID is the AuthnRequest the response must answer; "" for an IdP-initiated one.
	RequestID string
	// Consume records the assertion's ID until it expires, once across every node; it returns
	// ErrSAMLReplayed for an ID already recorded.
	Consume func(assertionID string, until time.Time) error
}

type replayFunc func(string, time.Time) error

func (f replayFunc) Consume(id string, until time.Time) error { return f(id, until) }

// FinishSAML verifies a SAMLResponse and returns the user's profile. An IdP-initiated response
// (no RequestID) is accepted only when the connection enables it. The email a SAML IdP sends is
// never taken as verified.
func (b *Broker) FinishSAML(ctx context.Context, c *domain.Connection, callbackURL string, r SAMLResponse) (*Profile, error) {
	if r.Consume == nil {
		return nil, errors.New("upstream: SAML responses need a replay store")
	}
	if r.Encoded == "" || len(r.Encoded) > maxSAMLResponse {
		return nil, denied("The SAML response is missing or too large.", nil)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.Encoded), ""))
	if err != nil {
		return nil, denied("The SAML response is not base64.", err)
	}
	sp, err := b.serviceProvider(c, callbackURL)
	if err != nil {
		return nil, err
	}
	if r.RequestID == "" && !sp.AllowIDPInitiated {
		return nil, denied("IdP-initiated sign-in is not enabled for this connection.", nil)
	}
	if sp.IDPMetadata.EntityID == "" {
		// Without options.issuer the IdP is known by its certificate alone, as at Auth0: the
		// Issuer the response names is taken, and every other check still applies.
		sp.IDPMetadata.EntityID = responseIssuer(raw)
	}
	sp.ReplayCache = replayFunc(r.Consume)
	var ids []string
	if r.RequestID != "" {
		// An answer to our request must say so: an unsolicited response is not taken in its
		// place, even where IdP-initiated sign-in is enabled.
		ids, sp.AllowIDPInitiated = []string{r.RequestID}, false
	}
	a, err := sp.ParseXMLResponse(raw, ids, sp.AcsURL)
	if err != nil {
		return nil, samlError(err)
	}
	return samlProfile(c, a)
}

// responseIssuer reads the Issuer a Response names (of the Response, else of its first assertion).
func responseIssuer(raw []byte) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return ""
	}
	for _, path := range []string{"./Issuer", "./Assertion/Issuer"} {
		if el := doc.Root().FindElement(path); el != nil {
			return strings.TrimSpace(el.Text())
		}
	}
	return ""
}

// samlError turns crewjam/saml's refusal into what the application is told; the detail is kept
// as the cause, for the node's log and the tenant log.
func samlError(err error) *Error {
	cause := err
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		cause = ire.PrivateErr
	}
	var bad saml.ErrBadStatus
	switch {
	case errors.As(cause, &bad):
		return denied("The identity provider refused the sign-in.", cause)
	case errors.Is(cause, saml.ErrAssertionReplayed):
		return denied("The SAML assertion has already been used.", cause)
	case errors.Is(cause, saml.ErrRequestIDMismatch):
		return denied("The SAML response does not answer this sign-in's request (InResponseTo).", cause)
	case errors.Is(cause, saml.ErrAudienceMismatch):
		return denied("The SAML assertion is for another service provider (Audience).", cause)
	case errors.Is(cause, saml.ErrExpired):
		return denied("The SAML assertion has expired (NotOnOrAfter).", cause)
	case errors.Is(cause, saml.ErrNotYetValid):
		return denied("The SAML assertion is not yet valid (NotBefore).", cause)
	case errors.Is(cause, saml.ErrDestinationMismatch):
		return denied("The SAML response was sent to another recipient (Destination, Recipient).", cause)
	case errors.Is(cause, saml.ErrIssuerMismatch):
		return denied("The SAML response comes from another identity provider (Issuer).", cause)
	case errors.Is(cause, saml.ErrInvalidSignature), errors.Is(cause, saml.ErrUntrustedCertificate),
		errors.Is(cause, saml.ErrCertificateNotValidNow),
		// crewjam/saml's own (unexported) error for a response and assertion with no signature
		strings.Contains(cause.Error(), "signature element not present"):
		return denied("The SAML response is not signed by the identity provider.", cause)
	case errors.Is(cause, saml.ErrMalformedMessage), errors.Is(cause, saml.ErrMissingElement):
		return denied("The SAML response is malformed.", cause)
	}
	return denied("The SAML response is not valid.", cause)
}

// Attribute names IdPs commonly use, tried after fieldsMap's: the claim URIs of AD FS and Entra ID
// (as Auth0 maps them by default), then plain names.
var samlDefaultFields = map[string][]string{
	"email": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "email", "mail", "emailAddress",
		"urn:oid:0.9.2342.19200300.100.1.3"},
	"name":        {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "http://schemas.microsoft.com/identity/claims/displayname", "name", "displayName", "cn"},
	"given_name":  {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "given_name", "givenName", "firstName"},
	"family_name": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "family_name", "surname", "sn", "lastName"},
	"nickname":    {"nickname", "uid"},
	"picture":     {"picture"},
}

// samlUserIDAttributes are where the user id is read from, in order, unless fieldsMap.user_id
// says otherwise; user_id_attribute comes first (Auth0's defaults).
var samlUserIDAttributes = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"}

// samlProfile maps a verified assertion onto a Profile: the user id from user_id_attribute, else
// fieldsMap.user_id or Auth0's list (the NameID first); each profile attribute from fieldsMap,
// else the usual attribute names.
func samlProfile(c *domain.Connection, a *saml.Assertion) (*Profile, error) {
	attrs := map[string]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) == 0 {
				continue
			}
			v := strings.TrimSpace(at.Values[0].Value)
			for _, name := range []string{at.Name, at.FriendlyName} {
				if _, seen := attrs[name]; name != "" && !seen && v != "" {
					attrs[name] = v
				}
			}
		}
	}
	first := func(names []string) string {
		for _, n := range names {
			if v := attrs[n]; v != "" {
				return v
			}
		}
		return ""
	}
	o := c.Options.SAMLOptions
	if a.Subject != nil && a.Subject.NameID != nil && a.Subject.NameID.Value != "" {
		// The NameID is the nameidentifier claim, as Auth0 reads a SAML subject.
		attrs[samlUserIDAttributes[0]] = strings.TrimSpace(a.Subject.NameID.Value)
	}
	ids := samlUserIDAttributes
	if names, ok := o.FieldsMap["user_id"]; ok {
		ids = names
	}
	if o.UserIDAttribute != "" {
		ids = append([]string{o.UserIDAttribute}, ids...)
	}
	subject := first(ids)
	field := func(name string) string {
		if names, ok := o.FieldsMap[name]; ok {
			if v := first(names); v != "" {
				return v
			}
		}
		return first(samlDefaultFields[name])
	}
	p := &Profile{Subject: subject, Email: field("email"), Name: field("name"), Nickname: field("nickname"),
		GivenName: field("given_name"), FamilyName: field("family_name"), Picture: field("picture")}
	// A SAML IdP's email attribute is an assertion about a directory, not proof that the user
	// controls the mailbox: never verified here, so never a ground for linking.
	p.EmailVerified = false
	if a.Subject != nil && a.Subject.NameID != nil {
		p.SAMLSession = &domain.SessionSAML{Connection: c.Name, NameID: a.Subject.NameID.Value, NameIDFormat: a.Subject.NameID.Format}
		if len(a.AuthnStatements) > 0 {
			p.SAMLSession.SessionIndex = a.AuthnStatements[0].SessionIndex
		}
	}
	return p, checkSubject(p.Subject)
}

// PrepareSAML readies a samlp connection's service provider key before it is saved: a key given
// in options.signing_key (PEM, with its certificate) is checked and travels on to be sealed; a
// new connection without one gets a fresh RSA key and a self-signed certificate, as Auth0 gives
// each tenant one. Any other connection passes untouched.
func (b *Broker) PrepareSAML(c *domain.Connection, callbackURL string) error {
	if c.Strategy != domain.StrategySAMLP {
		return nil
	}
	k := c.Options.SigningKey
	if k != nil && k.Key != "" {
		key, err := parseRSAKey(k.Key)
		if err != nil {
			return domain.Invalidf("options.signing_key.key", "%v", err)
		}
		cert, err := domain.ParseCertificatePEM(k.Cert)
		if err != nil {
			return domain.Invalidf("options.signing_key.cert", "%v", err)
		}
		if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
			return domain.Invalidf("options.signing_key", "the certificate is not the key's")
		}
		c.Options.ClientSecret = k.Key
		k.Key = ""
		return nil
	}
	if len(c.SecretSealed) > 0 {
		if k == nil || k.Cert == "" {
			return domain.Invalidf("options.signing_key", "the certificate cannot be removed; give a new key and certificate to replace them")
		}
		return nil
	}
	keyPEM, certPEM, err := NewSAMLKey(SAMLEntityID(c, callbackURL), b.now())
	if err != nil {
		return err
	}
	c.Options.ClientSecret = keyPEM
	c.Options.SigningKey = &domain.SAMLSigningKey{Cert: certPEM}
	return nil
}

func (b *Broker) now() time.Time {
	b.init()
	return b.Now()
}

func parseRSAKey(raw string) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(bytes.TrimSpace([]byte(raw)))
	if blk == nil {
		return nil, errors.New("is not a PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, checkRSASize(k)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, errors.New("is not a PKCS#1 or PKCS#8 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("must be an RSA key")
	}
	return rk, checkRSASize(rk)
}

func checkRSASize(k *rsa.PrivateKey) error {
	if k.N.BitLen() < 2048 {
		return errors.New("must be an RSA key of at least 2048 bits")
	}
	return nil
}
