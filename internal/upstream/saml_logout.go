package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// SAML Single Logout (SAML profiles §4.4) with a samlp connection's IdP, over HTTP-Redirect:
// the service provider's SingleLogoutService is /samlp/logout?connection=<name>, published in its
// metadata once the connection signs out (SignsOut). Gatehouse signs every LogoutRequest and
// LogoutResponse it sends; it accepts only those the IdP signed (its certificate), whose Issuer is
// the connection's issuer (the IdP's entity id) and whose Destination is this endpoint, within
// their time, and a LogoutRequest once (its ID recorded across nodes).

// SAMLLogoutURL is the service provider's SingleLogoutService for a connection.
func SAMLLogoutURL(callbackURL, connection string) string {
	return strings.TrimSuffix(callbackURL, "/login/callback") + "/samlp/logout?connection=" + url.QueryEscape(connection)
}

// SignsOut reports whether a logout of a session that signed in through c is sent on to its IdP:
// a samlp connection without disableSignout (Auth0's federated sign-out is on unless turned off).
func SignsOut(c *domain.Connection) bool {
	return c.Strategy == domain.StrategySAMLP && SignOutURL(c) != "" && !c.Options.DisableSignout
}

// SignOutURL is where LogoutRequests go: the connection's signOutEndpoint or, when it has none,
// its signInEndpoint, as Auth0 does ("When not provided, defaults to signInEndpoint"): many IdPs
// serve both profiles at one URL.
func SignOutURL(c *domain.Connection) string {
	if c.Options.SignOutEndpoint != "" {
		return c.Options.SignOutEndpoint
	}
	return c.Options.SignInEndpoint
}

// logoutServiceProvider is serviceProvider with the Single Logout endpoints on both sides and
// logout messages signed.
func (b *Broker) logoutServiceProvider(c *domain.Connection, callbackURL string) (*saml.ServiceProvider, error) {
	if c.Options.Issuer == "" {
		return nil, errors.New("upstream: samlp single logout needs options.issuer (the IdP's entity id)")
	}
	if SignOutURL(c) == "" {
		return nil, errors.New("upstream: samlp single logout needs options.signOutEndpoint or signInEndpoint")
	}
	sp, err := b.serviceProvider(c, callbackURL)
	if err != nil {
		return nil, err
	}
	slo, _ := url.Parse(SAMLLogoutURL(callbackURL, c.Name))
	sp.SloURL = *slo
	sp.IDPMetadata.IDPSSODescriptors[0].SingleLogoutServices = []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: SignOutURL(c)}}
	sp.LogoutSignatureMethod = dsig.RSASHA256SignatureMethod
	sp.LogoutBindings = []string{saml.HTTPRedirectBinding}
	return sp, nil
}

// SAMLLogoutRequest is where to send the browser to end the session s at its IdP (SignOutURL,
// with a signed LogoutRequest naming s's NameID and SessionIndex), and the request's ID, which
// the IdP's LogoutResponse must answer (CheckSAMLLogoutResponse).
func (b *Broker) SAMLLogoutRequest(c *domain.Connection, callbackURL string, s *domain.SessionSAML, relayState string) (to, requestID string, err error) {
	sp, err := b.logoutServiceProvider(c, callbackURL)
	if err != nil {
		return "", "", err
	}
	req, err := sp.MakeLogoutRequest(SignOutURL(c), s.NameID)
	if err != nil {
		return "", "", fmt.Errorf("upstream: samlp %s: LogoutRequest: %w", c.Name, err)
	}
	if s.NameIDFormat != "" {
		req.NameID.Format = s.NameIDFormat
	}
	if s.SessionIndex != "" {
		req.SessionIndex = &saml.SessionIndex{Value: s.SessionIndex}
	}
	u, err := sp.RedirectLogoutRequestURL(req, relayState)
	if err != nil {
		return "", "", fmt.Errorf("upstream: samlp %s: LogoutRequest: %w", c.Name, err)
	}
	return u.String(), req.ID, nil
}

// SAMLLogoutIn is a LogoutRequest the IdP sent: who it logs out.
type SAMLLogoutIn struct {
	ID           string
	NameID       string
	SessionIndex string // "" for every session of NameID
}

// ReadSAMLLogoutRequest checks an IdP's LogoutRequest (signature, Issuer, Destination, time, and
// its ID used once through consume).
func (b *Broker) ReadSAMLLogoutRequest(c *domain.Connection, callbackURL string, r *http.Request, consume func(id string, until time.Time) error) (*SAMLLogoutIn, error) {
	sp, err := b.logoutServiceProvider(c, callbackURL)
	if err != nil {
		return nil, err
	}
	sp.ReplayCache = replayFunc(consume)
	req, err := sp.ValidateLogoutRequest(r)
	if err != nil {
		return nil, samlError(err)
	}
	in := &SAMLLogoutIn{ID: req.ID}
	if req.NameID != nil {
		in.NameID = req.NameID.Value
	}
	if req.SessionIndex != nil {
		in.SessionIndex = req.SessionIndex.Value
	}
	if in.NameID == "" {
		return nil, denied("The SAML LogoutRequest names no user.", nil)
	}
	return in, nil
}

// SAMLLogoutResponse is where to send the browser to answer the IdP's LogoutRequest requestID
// (signed, status Success).
func (b *Broker) SAMLLogoutResponse(c *domain.Connection, callbackURL, requestID, relayState string) (string, error) {
	sp, err := b.logoutServiceProvider(c, callbackURL)
	if err != nil {
		return "", err
	}
	u, err := sp.MakeRedirectLogoutResponse(requestID, relayState)
	if err != nil {
		return "", fmt.Errorf("upstream: samlp %s: LogoutResponse: %w", c.Name, err)
	}
	return u.String(), nil
}

// ErrNoLogoutPending refuses a LogoutResponse when this browser has no LogoutRequest of ours
// waiting for an answer: unsolicited, replayed, or brought by another browser.
var ErrNoLogoutPending = denied("No SAML LogoutRequest of this browser is waiting for an answer.", nil)

// CheckSAMLLogoutResponse checks the IdP's answer to our LogoutRequest requestID (signature,
// Issuer, Destination, time, and InResponseTo naming requestID); "" refuses it (ErrNoLogoutPending).
func (b *Broker) CheckSAMLLogoutResponse(c *domain.Connection, callbackURL string, r *http.Request, requestID string) error {
	if requestID == "" {
		return ErrNoLogoutPending
	}
	sp, err := b.logoutServiceProvider(c, callbackURL)
	if err != nil {
		return err
	}
	if _, err := sp.ParseLogoutResponse(r, []string{requestID}); err != nil {
		ue := samlError(err)
		if errors.Is(ue.Cause, saml.ErrRequestIDMismatch) {
			ue.Description = "The SAML LogoutResponse does not answer this browser's LogoutRequest (InResponseTo)."
		}
		return ue
	}
	return nil
}
