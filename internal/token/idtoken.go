package token

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// IDTokenParams describes one ID token (OpenID Connect Core §2, spec §2.2).
type IDTokenParams struct {
	Client *domain.Client
	User   *domain.User
	// Scope is the granted scope; `profile` and `email` select the profile and email claims.
	Scope     string
	Nonce     string
	SessionID string
	AuthTime  time.Time
	// IncludeAuthTime when max_age or prompt=login was used (OpenID Connect Core §2).
	IncludeAuthTime bool
	// Code is the authorization code issued beside the ID token in a hybrid response (code
	// id_token): its c_hash is written (OpenID Connect Core §3.3.2.11). Empty otherwise.
	Code string
	// Custom claims from post-login Actions. Reserved names are dropped; profile and email claims are
	// kept only when their scope was granted (spec §2.5) and then replace the stored value.
	Custom map[string]any
	// Org names the organization of an organization sign-in: org_id, and org_name when set.
	Org *domain.OrgClaims
	// AMR are the authentication methods of the sign-in (RFC 8176) when it passed a second factor
	// (Auth0 writes amr only then): the ID token carries amr and acr, the multi-factor policy URI.
	AMR []string
}

var profileClaims = map[string]bool{
	"name": true, "nickname": true, "picture": true, "updated_at": true, "given_name": true,
	"family_name": true, "middle_name": true, "preferred_username": true, "locale": true, "gender": true,
	"birthdate": true, "zoneinfo": true, "website": true, "profile": true,
}

var emailClaims = map[string]bool{"email": true, "email_verified": true}

// UpdatedAt formats a time as Auth0 does in updated_at: ISO 8601 with milliseconds and Z (spec §1.4).
func UpdatedAt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// HasScope reports whether the space-separated scope contains s.
func HasScope(scope, s string) bool {
	for scope != "" {
		var f string
		f, scope, _ = strings.Cut(scope, " ")
		if f == s {
			return true
		}
	}
	return false
}

// IDToken signs an ID token with the current RS256 key (discovery advertises RS256 only).
func (i *Issuer) IDToken(ctx context.Context, p IDTokenParams) (string, error) {
	signer, err := i.keys.Current(ctx, keys.RS256)
	if err != nil {
		return "", err
	}
	now := i.now()
	profile, email := HasScope(p.Scope, "profile"), HasScope(p.Scope, "email")
	skip := map[string]bool{}
	for k := range p.Custom {
		if (profileClaims[k] && !profile) || (emailClaims[k] && !email) {
			skip[k] = true
		}
	}
	c := newPayload(768)
	writeUserClaims(c, p.User, profile, email, p.Custom)
	c.str("iss", i.issuer)
	c.str("sub", p.User.UserID)
	c.str("aud", p.Client.ClientID)
	c.num("iat", now.Unix())
	c.num("exp", now.Add(p.Client.IDTokenLifetime()).Unix())
	if p.IncludeAuthTime && !p.AuthTime.IsZero() {
		c.num("auth_time", p.AuthTime.Unix())
	}
	if p.SessionID != "" {
		c.str("sid", p.SessionID)
	}
	if p.Nonce != "" {
		c.str("nonce", p.Nonce)
	}
	if p.Code != "" {
		c.str("c_hash", CodeHash(p.Code))
	}
	writeOrg(c, p.Org)
	if len(p.AMR) > 0 {
		c.strs("amr", p.AMR)
		c.str("acr", domain.ACRMultiFactor)
	}
	writeCustom(c, p.Custom, skip)
	body, err := c.bytes()
	if err != nil {
		return "", fmt.Errorf("token: encode ID token claims: %w", err)
	}
	return signer.Sign(signer.HeaderJWT, base64.RawURLEncoding.EncodeToString(body))
}

// writeUserClaims writes the profile and email claims of u, leaving out those a custom claim
// replaces (written later by writeCustom).
func writeUserClaims(c *payload, u *domain.User, profile, email bool, custom map[string]any) {
	set := func(k string) bool { _, ok := custom[k]; return !ok }
	if profile {
		if u.GivenName != "" && set("given_name") {
			c.str("given_name", u.GivenName)
		}
		if u.FamilyName != "" && set("family_name") {
			c.str("family_name", u.FamilyName)
		}
		if set("nickname") {
			c.str("nickname", u.Nickname)
		}
		if set("name") {
			c.str("name", u.Name)
		}
		if u.Picture != "" && set("picture") {
			c.str("picture", u.Picture)
		}
		if set("updated_at") {
			t := u.UpdatedAt
			if t.IsZero() {
				t = u.CreatedAt
			}
			c.str("updated_at", UpdatedAt(t))
		}
	}
	// A user without an address (a provider that shares none) has no email claims at all.
	if email && u.Email != "" {
		if set("email") {
			c.str("email", u.Email)
		}
		if set("email_verified") {
			c.boolean("email_verified", u.EmailVerified)
		}
	}
}

// UserClaims returns the profile and email claims /userinfo answers for the granted scope, with the
// custom ID-token claims of the grant (spec §1.4).
func UserClaims(u *domain.User, scope string, custom map[string]any) map[string]any {
	out := map[string]any{"sub": u.UserID}
	profile, email := HasScope(scope, "profile"), HasScope(scope, "email")
	if profile {
		if u.GivenName != "" {
			out["given_name"] = u.GivenName
		}
		if u.FamilyName != "" {
			out["family_name"] = u.FamilyName
		}
		out["nickname"] = u.Nickname
		out["name"] = u.Name
		if u.Picture != "" {
			out["picture"] = u.Picture
		}
		t := u.UpdatedAt
		if t.IsZero() {
			t = u.CreatedAt
		}
		out["updated_at"] = UpdatedAt(t)
	}
	if email && u.Email != "" {
		out["email"] = u.Email
		out["email_verified"] = u.EmailVerified
	}
	for k, v := range custom {
		if reserved[k] || (profileClaims[k] && !profile) || (emailClaims[k] && !email) {
			continue
		}
		out[k] = v
	}
	return out
}

// CodeHash is an authorization code's c_hash for an RS256 ID token (OpenID Connect Core
// §3.3.2.11): the base64url encoding of the left half of the SHA-256 of its ASCII octets.
func CodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
