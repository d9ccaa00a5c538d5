package token

import (
	"context"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// Grant type values of the `gty` claim (spec §2.3): only these three grants carry one.
const (
	GTYClientCredentials = "client-credentials"
	GTYRefreshToken      = "refresh_token"
	GTYPassword          = "password"
)

// OpaqueLifetime of userinfo-only access tokens (spec §2.4: 86400 s for the code flow, not
// configurable).
const OpaqueLifetime = 86400 * time.Second

// Options configures an Issuer.
type Options struct {
	// Issuer is the tenant issuer, https://HOST/ with its trailing slash (spec §1.1), written into every
	// iss claim byte for byte.
	Issuer    string
	Keys      *keys.Manager
	MasterKey []byte
	Now       func() time.Time
	// Leeway tolerated on exp/nbf/iat when verifying (default 30 s).
	Leeway time.Duration
}

// Issuer assembles, signs and verifies Gatehouse's tokens. It is safe for concurrent use.
type Issuer struct {
	issuer   string
	userinfo string
	keys     *keys.Manager
	opaque   cipher.AEAD
	secrets  *keys.SecretSealer
	now      func() time.Time
	leeway   time.Duration
}

// NewIssuer returns an Issuer.
func NewIssuer(opts Options) (*Issuer, error) {
	if !strings.HasSuffix(opts.Issuer, "/") || !strings.HasPrefix(opts.Issuer, "http") {
		return nil, fmt.Errorf("token: issuer %q must be an http(s) URL ending in /", opts.Issuer)
	}
	if opts.Keys == nil {
		return nil, errors.New("token: a key manager is required")
	}
	aead, err := keys.NewAEAD(opts.MasterKey, keys.PurposeOpaqueAccessToken)
	if err != nil {
		return nil, err
	}
	secrets, err := keys.NewSecretSealer(opts.MasterKey)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = 30 * time.Second
	}
	return &Issuer{issuer: opts.Issuer, userinfo: opts.Issuer + "userinfo", keys: opts.Keys, opaque: aead, secrets: secrets, now: opts.Now, leeway: opts.Leeway}, nil
}

// IssuerURL is the issuer, with its trailing slash.
func (i *Issuer) IssuerURL() string { return i.issuer }

// UserinfoAudience is ISSUER+"userinfo", the audience added to access tokens when openid is granted.
func (i *Issuer) UserinfoAudience() string { return i.userinfo }

// AccessTokenParams describes one access token.
type AccessTokenParams struct {
	Subject  string // user id, or <client_id>@clients for client credentials
	ClientID string
	// API is the audience; nil issues an opaque token good only at /userinfo.
	API *domain.ResourceServer
	// Scope is the granted scope, space-separated, in the order it should appear.
	Scope string
	// OpenID: openid was granted, so aud becomes [API, ISSUER+"userinfo"] (spec §2.3).
	OpenID bool
	// GrantType is one of the GTY* constants, or "" (authorization code: no gty).
	GrantType string
	// Permissions are written as the `permissions` claim when the API wants it (RBAC with the authz
	// dialect), even when empty.
	Permissions []string
	SessionID   string
	// ID, when set, is the token's jti: the name a revocation may list it by (the token of an
	// authorization code's first redemption, revoked if the code is presented again). Without it
	// only the RFC 9068 dialect carries a jti, a random one.
	ID string
	// Custom claims from Actions. Reserved names are dropped.
	Custom map[string]any
	// Org names the organization of an organization sign-in: org_id, and org_name when set.
	Org *domain.OrgClaims
	// Actor, when set, is written as the actor claim act: {"sub": Actor} (RFC 8693 §4.1): the user a
	// machine token acts for. Only tokens minted in-process set it (the dashboard's); the token
	// endpoint never does, and Actions cannot (act is reserved).
	Actor string
	// JKT, when set, binds the token to a DPoP key: the claim cnf {"jkt": JKT} (RFC 9449 §6.1).
	JKT string
}

// Issued is a signed (or sealed) token.
type Issued struct {
	Token     string
	ExpiresIn int // seconds, for the token response
	ExpiresAt time.Time
}

// AccessToken issues an access token: a JWT in the API's dialect, or an opaque token when no API.
func (i *Issuer) AccessToken(ctx context.Context, p AccessTokenParams) (Issued, error) {
	now := i.now()
	if p.API == nil {
		return i.sealOpaque(p, now)
	}
	api := p.API
	alg := api.SigningAlg
	if alg == "" {
		alg = keys.RS256
	}
	var signer *keys.Signer
	var secret string
	if alg == keys.HS256 {
		s, err := i.secrets.Open(api.ID, api.SigningSecretSealed)
		if err != nil {
			return Issued{}, fmt.Errorf("token: HS256 API %s: %w", api.ID, err)
		}
		secret = s
	} else {
		s, err := i.keys.Current(ctx, alg)
		if err != nil {
			return Issued{}, err
		}
		signer = s
	}
	lifetime := api.AccessTokenLifetime()
	exp := now.Add(lifetime)
	rfc9068 := api.TokenDialect == domain.DialectRFC9068Profile || api.TokenDialect == domain.DialectRFC9068ProfileAuthz

	c := newPayload(384 + len(p.Scope) + 32*len(p.Permissions))
	c.str("iss", i.issuer)
	c.str("sub", p.Subject)
	// Auth0 adds the userinfo audience only when the API does not use HS256: /userinfo cannot
	// verify a token under a secret only the API holds.
	if p.OpenID && signer != nil {
		c.strs("aud", []string{api.Identifier, i.userinfo})
	} else {
		c.str("aud", api.Identifier)
	}
	c.num("iat", now.Unix())
	c.num("exp", exp.Unix())
	switch {
	case rfc9068:
		// RFC 9068 §2.2: client_id and jti; no gty (spec §2.3).
		jti := p.ID
		if jti == "" {
			jti = domain.RandomToken(16)
		}
		c.str("jti", jti)
		c.str("client_id", p.ClientID)
	case p.ID != "":
		c.str("jti", p.ID) // RFC 7519 §4.1.7
	}
	c.str("scope", p.Scope)
	if !rfc9068 {
		if p.GrantType != "" {
			c.str("gty", p.GrantType)
		}
		c.str("azp", p.ClientID)
	}
	if p.SessionID != "" && rfc9068 {
		c.str("sid", p.SessionID)
	}
	if api.WantsPermissionsClaim() {
		perms := p.Permissions
		if perms == nil {
			perms = []string{}
		}
		c.strs("permissions", perms)
	}
	if p.Actor != "" {
		c.value("act", map[string]string{"sub": p.Actor})
	}
	if p.JKT != "" {
		c.value("cnf", map[string]string{"jkt": p.JKT})
	}
	writeOrg(c, p.Org)
	writeCustom(c, p.Custom, nil)
	body, err := c.bytes()
	if err != nil {
		return Issued{}, fmt.Errorf("token: encode access token claims: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	var raw string
	if signer == nil {
		raw = keys.SignHS256([]byte(secret), payload, rfc9068)
	} else {
		header := signer.HeaderJWT
		if rfc9068 {
			header = signer.HeaderATJWT
		}
		if raw, err = signer.Sign(header, payload); err != nil {
			return Issued{}, err
		}
	}
	return Issued{Token: raw, ExpiresIn: int(lifetime / time.Second), ExpiresAt: exp}, nil
}

// writeOrg writes org_id and org_name (spec §2.2, §2.3).
func writeOrg(c *payload, org *domain.OrgClaims) {
	if org == nil {
		return
	}
	c.str("org_id", org.ID)
	if org.Name != "" {
		c.str("org_name", org.Name)
	}
}

// reserved claims are never taken from Actions: they are the token's own (spec §2.5).
var reserved = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`iss sub aud iat exp nbf nonce azp sid auth_time jti gty scope permissions c_hash at_hash
		acr act active amr at_hash ath attest authorization_details c_hash client_id cnf cty dest entitlements
		events groups htm htu internalService jcard jku jwe jwk kid may_act mky object_id org_id org_name orig
		origid roles rph s_hash sip_callid sip_cseq_num sip_date sip_from_tag sip_via_branch sub_jwk toe txn
		typ uuid vot vtm x5t#S256`) {
		reserved[n] = true
	}
}

// writeCustom writes the custom claims that are neither reserved nor in skip.
// Keys are written sorted, so the same claims always encode to the same bytes.
func writeCustom(c *payload, custom map[string]any, skip map[string]bool) {
	if len(custom) == 0 {
		return
	}
	names := make([]string, 0, len(custom))
	for k := range custom {
		if reserved[k] || skip[k] || k == "" {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c.value(escapeKey(k), custom[k])
	}
}

// escapeKey returns k as it must appear between the quotes of a JSON key.
func escapeKey(k string) string {
	q := appendString(nil, k)
	return string(q[1 : len(q)-1])
}
