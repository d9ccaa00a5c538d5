package token

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims Gatehouse reads back from its own access tokens.
type Claims struct {
	jwt.RegisteredClaims
	Scope       string   `json:"scope,omitempty"`
	AZP         string   `json:"azp,omitempty"`
	ClientID    string   `json:"client_id,omitempty"`
	GTY         string   `json:"gty,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	SessionID   string   `json:"sid,omitempty"`
	// Act is the actor claim (RFC 8693 §4.1) of a token minted for the dashboard.
	Act *Actor `json:"act,omitempty"`
	// Cnf binds a DPoP-bound token to its key (RFC 9449 §6).
	Cnf *Confirmation `json:"cnf,omitempty"`
	// Opaque is set for a userinfo-only token (no JWT).
	Opaque bool `json:"-"`
}

// Confirmation is the cnf claim (RFC 7800): jkt, the SHA-256 thumbprint of a DPoP key.
type Confirmation struct {
	JKT string `json:"jkt"`
}

// BoundKey is the thumbprint of the DPoP key the token is bound to, or "".
func (c *Claims) BoundKey() string {
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

// Actor is the party an actor claim names.
type Actor struct {
	Sub string `json:"sub"`
}

// Client is the client the token was issued to (azp, or client_id in the RFC 9068 dialect).
func (c *Claims) Client() string {
	if c.AZP != "" {
		return c.AZP
	}
	return c.ClientID
}

// HasScope reports whether the token's scope contains s.
func (c *Claims) HasScope(s string) bool { return HasScope(c.Scope, s) }

// ErrInvalidToken wraps every verification failure. Its text is safe to show to the caller.
var ErrInvalidToken = errors.New("invalid token")

var validMethods = []string{"RS256", "PS256", "ES256"}

// Verify checks a JWT that Gatehouse issued for audience: signature by a published key found by kid
// (RS256, PS256 or ES256 only: no "none", no HMAC with a public key — RFC 8725 §3.1), iss exactly this
// issuer, audience among aud, exp present and not past (with the configured leeway).
func (i *Issuer) Verify(ctx context.Context, raw, audience string) (*Claims, error) {
	claims := &Claims{}
	parser := jwt.NewParser(
		jwt.WithValidMethods(validMethods),
		jwt.WithIssuer(i.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(i.leeway),
		jwt.WithTimeFunc(i.now),
	)
	_, err := parser.ParseWithClaims(raw, claims, i.keyFunc(ctx))
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrExpired)
	}
	if err != nil && errors.Is(err, jwt.ErrTokenSignatureInvalid) && headerAlg(raw) == "HS256" {
		return nil, fmt.Errorf("%w: HS256 tokens are verified by their API with its signing secret", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, describe(err))
	}
	return claims, nil
}

// headerAlg reads a JWT's header alg without verifying anything, to name the reason of a refusal.
func headerAlg(raw string) string {
	t, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		return ""
	}
	alg, _ := t.Header["alg"].(string)
	return alg
}

// ErrExpired is wrapped (with ErrInvalidToken) when the only fault of a token is its age.
var ErrExpired = errors.New("token expired")

// keyFunc finds the published key a token names by kid, and refuses a mismatch between the header's
// algorithm and the key's.
func (i *Issuer) keyFunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "" && !strings.EqualFold(typ, "JWT") && !strings.EqualFold(typ, "at+jwt") {
			return nil, errors.New("unexpected typ")
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid")
		}
		pub, alg, err := i.keys.VerificationKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		if alg != t.Method.Alg() {
			return nil, errors.New("algorithm does not match the key")
		}
		return pub, nil
	}
}

// VerifyIDTokenHint checks an id_token_hint for logout (OpenID RP-Initiated Logout 1.0 §2): signed by
// one of this issuer's published keys and issued by it. Expiry is not checked — a hint names a past
// sign-in, and an expired one still identifies it.
func (i *Issuer) VerifyIDTokenHint(ctx context.Context, raw string) (clientID, sid, sub string, err error) {
	var claims struct {
		jwt.RegisteredClaims
		SID string `json:"sid"`
	}
	parser := jwt.NewParser(jwt.WithValidMethods(validMethods), jwt.WithIssuer(i.issuer), jwt.WithoutClaimsValidation())
	if _, err := parser.ParseWithClaims(raw, &claims, i.keyFunc(ctx)); err != nil {
		return "", "", "", fmt.Errorf("%w: %s", ErrInvalidToken, describe(err))
	}
	// WithoutClaimsValidation skips the issuer check too; do it here.
	if claims.Issuer != i.issuer || len(claims.Audience) != 1 {
		return "", "", "", fmt.Errorf("%w: not an ID token of this issuer", ErrInvalidToken)
	}
	return claims.Audience[0], claims.SID, claims.Subject, nil
}

// describe turns a jwt/v5 error into a short reason fit for a WWW-Authenticate description.
func describe(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing"
	}
	return "signature or key invalid"
}

// VerifyIDToken checks an ID token this issuer signed (account linking's link_with): a published
// key, iss exactly this issuer, exp present and not past, one audience (the client it was issued
// to), and none of an access token's claims (scope, gty).
func (i *Issuer) VerifyIDToken(ctx context.Context, raw string) (subject, audience string, err error) {
	claims := &Claims{}
	parser := jwt.NewParser(jwt.WithValidMethods(validMethods), jwt.WithIssuer(i.issuer), jwt.WithExpirationRequired(),
		jwt.WithLeeway(i.leeway), jwt.WithTimeFunc(i.now))
	if _, err := parser.ParseWithClaims(raw, claims, i.keyFunc(ctx)); err != nil {
		return "", "", fmt.Errorf("%w: %s", ErrInvalidToken, describe(err))
	}
	if len(claims.Audience) != 1 || claims.Subject == "" || claims.Scope != "" || claims.GTY != "" {
		return "", "", fmt.Errorf("%w: not an ID token", ErrInvalidToken)
	}
	return claims.Subject, claims.Audience[0], nil
}
