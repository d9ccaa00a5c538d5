package protocol

import "github.com/gatehouse/gatehouse/internal/domain"

// TokenRequest is what POST /oauth/token (RFC 6749 §4.1.3, §4.4.2, §6) and POST /oauth/revoke
// (RFC 7009 §2.1) parsed from the body, read once. Client, IP and UserAgent are set once the client
// is authenticated; a grant may rely on Client.
type TokenRequest struct {
	GrantType string
	// ClientID and ClientSecret are the body credentials (client_secret_post, or none for a public
	// client); the *Sent flags tell an absent parameter from an empty one.
	ClientID         string
	ClientIDSent     bool
	ClientSecret     string
	ClientSecretSent bool
	// ClientAssertionType and ClientAssertion are private_key_jwt's credentials (RFC 7523 §2.2).
	ClientAssertionType string
	ClientAssertion     string
	AssertionSent       bool

	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Audience     string
	// Scope as sent; ScopeSent tells an absent parameter from an empty one.
	Scope        string
	ScopeSent    bool
	Organization string
	// Username, Password and Realm are the resource owner's credentials (RFC 6749 §4.3.2) and, for
	// Auth0's password-realm grant, the connection that checks them.
	Username string
	Password string
	Realm    string
	// DeviceCode is the device code a device polls with (RFC 8628 §3.4).
	DeviceCode string
	// Token is the token to revoke (RFC 7009 §2.1) or introspect (RFC 7662 §2.1).
	Token string
	// TokenTypeHint is token_type_hint (RFC 7009 §2.1, RFC 7662 §2.1): a lookup order, never a rule.
	TokenTypeHint string
	// MFAToken, OTP, OOBCode, BindingCode and RecoveryCode are the parameters of Auth0's MFA grants
	// (mfa-otp, mfa-oob, mfa-recovery-code).
	MFAToken     string
	OTP          string
	OOBCode      string
	BindingCode  string
	RecoveryCode string
	// ChallengeType and AuthenticatorID are /mfa/challenge's.
	ChallengeType   string
	AuthenticatorID string

	Client *domain.Client
	// DPoPJKT is the thumbprint of the key a verified DPoP proof (RFC 9449) showed possession of:
	// the access token is bound to it, and a public client's refresh token too.
	DPoPJKT   string
	IP        string
	UserAgent string
	// ForwardedFor is the auth0-forwarded-for header as sent: the end user's address according to a
	// server-side client, believed only for a client trusted to send it (password grants).
	ForwardedFor string
}

// TokenRequest maps body parameters onto a TokenRequest; unknown parameters are ignored.
func (p Params) TokenRequest() *TokenRequest {
	return &TokenRequest{
		GrantType:           p["grant_type"],
		ClientID:            p["client_id"],
		ClientIDSent:        p.Has("client_id"),
		ClientSecret:        p["client_secret"],
		ClientSecretSent:    p.Has("client_secret"),
		ClientAssertionType: p["client_assertion_type"],
		ClientAssertion:     p["client_assertion"],
		AssertionSent:       p.Has("client_assertion") || p.Has("client_assertion_type"),
		Code:                p["code"],
		RedirectURI:         p["redirect_uri"],
		CodeVerifier:        p["code_verifier"],
		RefreshToken:        p["refresh_token"],
		Audience:            p["audience"],
		Scope:               p["scope"],
		ScopeSent:           p.Has("scope"),
		Organization:        p["organization"],
		Username:            p["username"],
		Password:            p["password"],
		Realm:               p["realm"],
		DeviceCode:          p["device_code"],
		Token:               p["token"],
		TokenTypeHint:       p["token_type_hint"],
		MFAToken:            p["mfa_token"],
		OTP:                 p["otp"],
		OOBCode:             p["oob_code"],
		BindingCode:         p["binding_code"],
		RecoveryCode:        p["recovery_code"],
		ChallengeType:       p["challenge_type"],
		AuthenticatorID:     p["authenticator_id"],
	}
}

// AuthorizeRequest is a validated GET /authorize request (RFC 6749 §4.1.1, OpenID Connect Core
// §3.1.2.1): its client, and the login transaction it starts, holding every accepted parameter (no
// id, browser binding or times yet). Errors found after the client and redirect_uri were trusted
// go to Transaction.RedirectURI in Transaction.ResponseMode, with Transaction.State.
type AuthorizeRequest struct {
	Client      *domain.Client
	Transaction domain.LoginTransaction
}
