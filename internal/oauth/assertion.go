package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Bounds on a client assertion (RFC 7523 §3). An assertion is a one-off proof: it must say when it
// expires, and not far ahead, so that the jti kept against its replay is kept briefly.
const (
	maxAssertionLifetime = 5 * time.Minute
	assertionLeeway      = 30 * time.Second
)

// assertionFailed is invalid_client (RFC 7523 §3.2) with a description that says what was wrong
// with an assertion whose client and signature were already established, or nothing at all
// before then.
func assertionFailed(description string) *protocol.Error {
	return protocol.NewError(http.StatusUnauthorized, "invalid_client", description)
}

// assertionClaims are the claims RFC 7523 §3 requires of a client assertion.
type assertionClaims struct {
	jwt.RegisteredClaims
}

// authenticateAssertion authenticates a client by private_key_jwt (RFC 7523 §2.2, OIDC Core §9):
// a JWT signed with one of the client's enabled credentials, iss and sub its client_id, aud this
// issuer (or the endpoint called), an exp at most five minutes ahead, and a jti never seen before
// on any node.
func (h *Handler) authenticateAssertion(ctx context.Context, r *http.Request, req *protocol.TokenRequest) (*domain.Client, *protocol.Error) {
	if req.ClientAssertionType != domain.ClientAssertionTypeJWT {
		return nil, protocol.InvalidRequest("client_assertion_type must be %s", domain.ClientAssertionTypeJWT)
	}
	if req.ClientAssertion == "" {
		return nil, protocol.MissingParameter("client_assertion")
	}
	if req.ClientSecretSent {
		return nil, protocol.InvalidRequest("Multiple client authentication methods were used; use only one")
	}
	// The client is named by the unverified iss; nothing else in the token is believed before its
	// signature is checked against that client's keys.
	var unverified assertionClaims
	tok, _, err := jwt.NewParser().ParseUnverified(req.ClientAssertion, &unverified)
	if err != nil || unverified.Issuer == "" {
		return nil, clientAuthFailed()
	}
	clientID := unverified.Issuer
	if req.ClientIDSent && req.ClientID != clientID {
		return nil, protocol.InvalidRequest("client_id does not match the client assertion")
	}
	client, err := h.config.Client(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, clientAuthFailed()
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if !client.RequiresPrivateKeyJWT() {
		return nil, clientAuthFailed()
	}
	creds, err := h.store.ListClientCredentials(ctx, client.ClientID)
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	now := h.now()
	kid, _ := tok.Header["kid"].(string)
	alg, _ := tok.Header["alg"].(string)
	var claims *assertionClaims
	for _, c := range creds {
		if !client.EnabledCredential(c.ID) || c.Expired(now) || c.Alg != alg || (kid != "" && kid != c.KID) {
			continue
		}
		key, kerr := c.PublicKey()
		if kerr != nil {
			h.log.ErrorContext(ctx, "stored client credential does not parse", "credential", c.ID, "err", kerr)
			continue
		}
		var got assertionClaims
		_, perr := jwt.NewParser(jwt.WithValidMethods([]string{c.Alg}), jwt.WithoutClaimsValidation()).
			ParseWithClaims(req.ClientAssertion, &got, func(*jwt.Token) (any, error) { return key, nil })
		if perr == nil {
			claims = &got
			break
		}
	}
	if claims == nil {
		return nil, assertionFailed("Invalid client assertion signature, or no enabled credential matches its kid and alg")
	}
	if claims.Issuer != client.ClientID || claims.Subject != client.ClientID {
		return nil, assertionFailed("The client assertion's iss and sub must both be the client_id")
	}
	if !slices.ContainsFunc(claims.Audience, h.assertionAudience(r)) {
		return nil, assertionFailed("The client assertion's aud must be " + h.issuer)
	}
	if claims.ExpiresAt == nil {
		return nil, assertionFailed("The client assertion has no exp")
	}
	exp := claims.ExpiresAt.Time
	switch {
	case !now.Before(exp.Add(assertionLeeway)):
		return nil, assertionFailed("The client assertion has expired")
	case exp.Sub(now) > maxAssertionLifetime+assertionLeeway:
		return nil, assertionFailed("The client assertion's exp is too far ahead (at most 5 minutes)")
	case claims.NotBefore != nil && now.Add(assertionLeeway).Before(claims.NotBefore.Time):
		return nil, assertionFailed("The client assertion is not valid yet")
	case claims.IssuedAt != nil && now.Add(assertionLeeway).Before(claims.IssuedAt.Time):
		return nil, assertionFailed("The client assertion is issued in the future")
	case claims.ID == "":
		return nil, assertionFailed("The client assertion has no jti")
	}
	key := domain.HashSecret("client_assertion\x00" + client.ClientID + "\x00" + claims.ID)
	switch err := h.store.UseOnce(ctx, key, exp.Add(assertionLeeway), now); {
	case errors.Is(err, store.ErrAlreadyUsed):
		return nil, assertionFailed("The client assertion has already been used (jti)")
	case err != nil:
		return nil, protocol.ServerError(err)
	}
	return client, nil
}

// assertionAudience accepts what RFC 7523 §3 and its clients send as aud: the issuer identifier
// (OpenID Connect's and openid-client's choice, Auth0's documented value), the token endpoint, or
// the URL of the endpoint being called.
func (h *Handler) assertionAudience(r *http.Request) func(string) bool {
	called := h.issuer + trimLeadingSlash(r.URL.Path)
	return func(aud string) bool {
		return aud == h.issuer || aud == h.issuer+"oauth/token" || aud == called
	}
}

func trimLeadingSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}
