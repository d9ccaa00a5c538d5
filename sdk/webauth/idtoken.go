package webauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// idTokenError names which ID token check failed; the reason is safe to show.
type idTokenError struct{ reason string }

func (e *idTokenError) Error() string { return "ID token validation failed: " + e.reason }

func invalidID(reason string) error { return &idTokenError{reason: reason} }

// idTokenChecks are the per-flow expectations; nonce and maxAge are empty on refresh.
type idTokenChecks struct {
	nonce  string
	maxAge string
}

// verifyIDToken checks an ID token as OpenID Connect Core 1.0 §3.1.3.7 requires: the configured
// algorithm only, signature by a key of the issuer's JWKS, iss equal to the discovered issuer,
// aud containing the client id (and azp when there are several), exp/iat/nbf with the clock
// tolerance, nonce, and auth_time when max_age was requested. It returns the claims.
func (c *Client) verifyIDToken(ctx context.Context, p *provider, raw string, want idTokenChecks) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.cfg.IDTokenSigningAlg)})
	if err != nil {
		return nil, invalidID("malformed token or unexpected signing algorithm (want " + c.cfg.IDTokenSigningAlg + ")")
	}
	if len(jws.Signatures) != 1 {
		return nil, invalidID("exactly one signature expected")
	}
	payload, err := p.keys.VerifySignature(ctx, raw)
	if err != nil {
		return nil, errors.Join(invalidID("signature not verified by the issuer's keys"), err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, invalidID("claims are not a JSON object")
	}

	if iss, _ := claims["iss"].(string); iss != p.Issuer {
		return nil, invalidID("unexpected issuer")
	}
	auds, ok := audiences(claims["aud"])
	if !ok || !contains(auds, c.cfg.ClientID) {
		return nil, invalidID("audience does not include this client")
	}
	azp, hasAzp := claims["azp"].(string)
	if (len(auds) > 1 || hasAzp) && azp != c.cfg.ClientID {
		return nil, invalidID("authorized party (azp) is not this client")
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, invalidID("missing sub")
	}

	now := c.cfg.Now().Unix()
	tol := int64(c.cfg.ClockTolerance.Seconds())
	exp, ok := numericClaim(claims, "exp")
	if !ok {
		return nil, invalidID("missing exp")
	}
	if now > exp+tol {
		return nil, invalidID("token expired")
	}
	iat, ok := numericClaim(claims, "iat")
	if !ok {
		return nil, invalidID("missing iat")
	}
	if iat > now+tol {
		return nil, invalidID("issued in the future")
	}
	if nbf, ok := numericClaim(claims, "nbf"); ok && nbf > now+tol {
		return nil, invalidID("not yet valid")
	}
	if want.nonce != "" {
		got, _ := claims["nonce"].(string)
		if subtle.ConstantTimeCompare([]byte(got), []byte(want.nonce)) != 1 {
			return nil, invalidID("nonce mismatch")
		}
	}
	if want.maxAge != "" {
		maxAge, err := strconv.ParseInt(want.maxAge, 10, 64)
		if err == nil {
			authTime, ok := numericClaim(claims, "auth_time")
			if !ok {
				return nil, invalidID("missing auth_time although max_age was requested")
			}
			if now > authTime+maxAge+tol {
				return nil, invalidID("authentication is older than max_age")
			}
		}
	}
	return claims, nil
}

func audiences(v any) ([]string, bool) {
	switch a := v.(type) {
	case string:
		return []string{a}, a != ""
	case []any:
		out := make([]string, 0, len(a))
		for _, item := range a {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, len(out) > 0
	}
	return nil, false
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

func numericClaim(claims map[string]any, name string) (int64, bool) {
	f, ok := claims[name].(float64)
	return int64(f), ok
}

// organizationProblem tells why an ID token is not for the organization the login asked for ("" when
// it is, or when none was asked): its org_id must be an id (org_…), else its org_name must be the
// name, which Auth0 issues in lower case. The words are nextjs-auth0's.
func organizationProblem(claims map[string]any, organization string) string {
	if organization == "" {
		return ""
	}
	claim, label, want := "org_id", "Organization Id", organization
	if !strings.HasPrefix(organization, "org_") {
		claim, label, want = "org_name", "Organization Name", strings.ToLower(organization)
	}
	got, _ := claims[claim].(string)
	switch {
	case got == "":
		return fmt.Sprintf("%s (%s) claim must be a string present in the ID token", label, claim)
	case got != want:
		return fmt.Sprintf("%s (%s) claim value mismatch in the ID token; expected %q, found %q", label, claim, organization, got)
	}
	return ""
}
