package domain

import "time"

// How an oidc connection authenticates at its provider's token endpoint (Auth0's
// options.token_endpoint_auth_method). Without one, the client secret goes in an HTTP Basic
// header (client_secret_basic, OpenID Connect's default).
const (
	UpstreamAuthSecretPost    = "client_secret_post"
	UpstreamAuthPrivateKeyJWT = "private_key_jwt"
)

// UpstreamAssertionAlgs are the algorithms a private_key_jwt client assertion may be signed with
// (options.token_endpoint_auth_signing_alg; RS256 when absent). Auth0 also lists ES256 and ES384;
// the connection's key is RSA, so those are refused rather than accepted and ignored.
var UpstreamAssertionAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384"}

// ConnectionKey is an oidc connection's private_key_jwt key pair (Auth0's connection keys,
// GET /api/v2/connections/{id}/keys): the certificate is public, for the provider to register;
// the private key is sealed with the master key and never shown.
type ConnectionKey struct {
	KID       string    `json:"kid"`
	Cert      string    `json:"cert"` // PEM, self-signed
	KeySealed []byte    `json:"key_sealed"`
	CreatedAt time.Time `json:"created_at"`
	// CurrentSince is when a rotation made the key the one assertions are signed with; zero for
	// the connection's first key, current since it was made.
	CurrentSince time.Time `json:"current_since,omitzero"`
}

// Since is when the key became current.
func (k *ConnectionKey) Since() time.Time {
	if k.CurrentSince.IsZero() {
		return k.CreatedAt
	}
	return k.CurrentSince
}

// PrivateKeyJWT reports whether the connection signs client assertions at the token endpoint.
func (c *Connection) PrivateKeyJWT() bool {
	return c.Strategy == StrategyOIDC && c.Options.TokenEndpointAuthMethod == UpstreamAuthPrivateKeyJWT
}

// AssertionAlg is the algorithm the connection's client assertions are signed with.
func (c *Connection) AssertionAlg() string {
	return orDefault(c.Options.TokenEndpointAuthSigningAlg, "RS256")
}

// validateTokenEndpointAuth checks token_endpoint_auth_method and its signing algorithm: an
// oidc back_channel connection's only, one of Auth0's values.
func (c *Connection) validateTokenEndpointAuth(errs *Errors) {
	u := c.Options.UpstreamOptions
	if u.TokenEndpointAuthMethod == "" && u.TokenEndpointAuthSigningAlg == "" {
		return
	}
	if c.Strategy != StrategyOIDC || c.FrontChannel() {
		errs.add(Invalidf("options.token_endpoint_auth_method", "belongs to oidc connections of type back_channel"))
		return
	}
	switch u.TokenEndpointAuthMethod {
	case "", UpstreamAuthSecretPost, UpstreamAuthPrivateKeyJWT:
	default:
		errs.add(Invalidf("options.token_endpoint_auth_method", "%q is not one of client_secret_post, private_key_jwt", u.TokenEndpointAuthMethod))
	}
	if u.TokenEndpointAuthSigningAlg != "" {
		if u.TokenEndpointAuthMethod != UpstreamAuthPrivateKeyJWT {
			errs.add(Invalidf("options.token_endpoint_auth_signing_alg", "is only used with token_endpoint_auth_method private_key_jwt"))
		} else if !containsWord(UpstreamAssertionAlgs, u.TokenEndpointAuthSigningAlg) {
			errs.add(Invalidf("options.token_endpoint_auth_signing_alg", "%q is not one of RS256, RS384, RS512, PS256, PS384 (the connection's key is RSA)", u.TokenEndpointAuthSigningAlg))
		}
	}
}
