package apiauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Claims is a validated access token. The typed fields hold the registered
// claims (RFC 7519 §4.1) and Auth0's conventional ones; Raw and Decode give
// every claim.
type Claims struct {
	Issuer   string
	Subject  string
	Audience []string
	// Scope is the space-separated "scope" claim split into its values (an
	// array-valued "scope" is accepted too).
	Scope []string
	// Permissions is Auth0's "permissions" array (RBAC with "Add Permissions
	// in the Access Token").
	Permissions []string
	// AuthorizedParty is "azp", or "client_id" for RFC 9068 tokens.
	AuthorizedParty string
	ID              string    // "jti"
	ExpiresAt       time.Time // always set on a validated token
	IssuedAt        time.Time // zero when absent
	NotBefore       time.Time // zero when absent

	// Algorithm, KeyID and Type are the JOSE header's "alg", "kid" and
	// "typ"; Header returns the whole header.
	Algorithm, KeyID, Type string
	// Token is the compact JWT as received.
	Token string

	rawOnce sync.Once
	raw     map[string]any
	onError func(http.ResponseWriter, *http.Request, *Error)
}

// HasScope reports whether the token's "scope" includes s.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scope, s) }

// HasPermission reports whether the token's "permissions" include p.
func (c *Claims) HasPermission(p string) bool { return slices.Contains(c.Permissions, p) }

// Payload returns the token's payload JSON exactly as signed.
func (c *Claims) Payload() (json.RawMessage, error) {
	parts := strings.Split(c.Token, ".")
	if len(parts) != 3 {
		return nil, errors.New("apiauth: token is not a compact JWS")
	}
	return base64.RawURLEncoding.DecodeString(parts[1])
}

// Raw returns every claim as encoding/json decodes the payload into a map
// (numbers are float64). It is decoded on first use, so requests that never
// look pay nothing; it is empty for Claims built by hand. Do not modify it.
func (c *Claims) Raw() map[string]any {
	c.rawOnce.Do(func() {
		if p, err := c.Payload(); err == nil {
			_ = json.Unmarshal(p, &c.raw) // valid: validation decoded this payload
		}
		if c.raw == nil {
			c.raw = map[string]any{}
		}
	})
	return c.raw
}

// Header returns the JOSE header decoded into a map, or nil for Claims built
// by hand.
func (c *Claims) Header() map[string]any {
	h, _, ok := strings.Cut(c.Token, ".")
	if !ok {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// Decode unmarshals the payload into v, for application-specific claims such
// as an Action's "https://yourapp.com/roles":
//
//	var extra struct {
//		Roles []string `json:"https://yourapp.com/roles"`
//	}
//	err := claims.Decode(&extra)
func (c *Claims) Decode(v any) error {
	p, err := c.Payload()
	if err != nil {
		return err
	}
	return json.Unmarshal(p, v)
}

type claimsKey struct{}

// ClaimsFrom returns the claims the middleware stored in the request context.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// ContextWithClaims returns ctx carrying c, as the middleware does; handlers'
// tests can use it to skip token handling.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}
