package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// opaqueVersion is the first byte of every sealed userinfo token.
const opaqueVersion = 1

// opaqueClaims is what a userinfo-only token carries, sealed.
type opaqueClaims struct {
	Sub   string `json:"sub"`
	Scope string `json:"scope"`
	AZP   string `json:"azp"`
	SID   string `json:"sid,omitempty"`
	JTI   string `json:"jti,omitempty"`
	JKT   string `json:"jkt,omitempty"`
	IAT   int64  `json:"iat"`
	EXP   int64  `json:"exp"`
}

// sealOpaque issues a userinfo-only access token: base64url(version ‖ nonce ‖ AES-256-GCM(claims)),
// with the issuer as associated data so a token of another tenant sharing the master key does not
// open. It has no dots, so no client mistakes it for a JWT.
func (i *Issuer) sealOpaque(p AccessTokenParams, now time.Time) (Issued, error) {
	exp := now.Add(OpaqueLifetime)
	pt, err := json.Marshal(opaqueClaims{Sub: p.Subject, Scope: p.Scope, AZP: p.ClientID, SID: p.SessionID, JTI: p.ID, JKT: p.JKT, IAT: now.Unix(), EXP: exp.Unix()})
	if err != nil {
		return Issued{}, err
	}
	n := i.opaque.NonceSize()
	buf := make([]byte, 1+n, 1+n+len(pt)+i.opaque.Overhead())
	buf[0] = opaqueVersion
	_, _ = rand.Read(buf[1:])
	buf = i.opaque.Seal(buf, buf[1:1+n], pt, []byte(i.issuer))
	return Issued{Token: base64.RawURLEncoding.EncodeToString(buf), ExpiresIn: int(OpaqueLifetime / time.Second), ExpiresAt: exp}, nil
}

// openOpaque checks and reads a userinfo-only token.
func (i *Issuer) openOpaque(raw string) (*Claims, error) {
	buf, err := base64.RawURLEncoding.DecodeString(raw)
	n := i.opaque.NonceSize()
	if err != nil || len(buf) < 1+n+i.opaque.Overhead() || buf[0] != opaqueVersion {
		return nil, fmt.Errorf("%w: malformed token", ErrInvalidToken)
	}
	pt, err := i.opaque.Open(nil, buf[1:1+n], buf[1+n:], []byte(i.issuer))
	if err != nil {
		return nil, fmt.Errorf("%w: signature or key invalid", ErrInvalidToken)
	}
	var oc opaqueClaims
	if err := json.Unmarshal(pt, &oc); err != nil {
		return nil, fmt.Errorf("%w: malformed token", ErrInvalidToken)
	}
	if i.now().After(time.Unix(oc.EXP, 0).Add(i.leeway)) {
		return nil, fmt.Errorf("%w: token expired", ErrInvalidToken)
	}
	var cnf *Confirmation
	if oc.JKT != "" {
		cnf = &Confirmation{JKT: oc.JKT}
	}
	return &Claims{
		Cnf: cnf,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: i.issuer, Subject: oc.Sub, Audience: jwt.ClaimStrings{i.userinfo}, ID: oc.JTI,
			IssuedAt: jwt.NewNumericDate(time.Unix(oc.IAT, 0)), ExpiresAt: jwt.NewNumericDate(time.Unix(oc.EXP, 0)),
		},
		Scope: oc.Scope, AZP: oc.AZP, SessionID: oc.SID, Opaque: true,
	}, nil
}

// VerifyUserinfo accepts what /userinfo accepts (spec §1.4): a JWT whose aud includes
// ISSUER+"userinfo", or an opaque userinfo-only token.
func (i *Issuer) VerifyUserinfo(ctx context.Context, raw string) (*Claims, error) {
	if strings.Count(raw, ".") == 2 {
		return i.Verify(ctx, raw, i.userinfo)
	}
	return i.openOpaque(raw)
}

// VerifyAccessToken checks an access token Gatehouse issued, for whatever audience: a JWT (signature
// by a published key, this issuer, not expired) or an opaque userinfo-only token. Token
// introspection uses it; the caller must still decide whether the token is an access token for a
// known API (an ID token is signed the same way) and whether the asker may see it.
func (i *Issuer) VerifyAccessToken(ctx context.Context, raw string) (*Claims, error) {
	if strings.Count(raw, ".") != 2 {
		return i.openOpaque(raw)
	}
	claims := &Claims{}
	parser := jwt.NewParser(
		jwt.WithValidMethods(validMethods),
		jwt.WithIssuer(i.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(i.leeway),
		jwt.WithTimeFunc(i.now),
	)
	if _, err := parser.ParseWithClaims(raw, claims, i.keyFunc(ctx)); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, describe(err))
	}
	return claims, nil
}
