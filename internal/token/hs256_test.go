package token_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// TestHS256API: an HS256 API's tokens are HMAC-SHA256 under its secret, unsealed per token, with no
// kid and typ at+jwt in the RFC 9068 dialect; openid adds no userinfo audience (as on Auth0), and
// Gatehouse's own verifier (userinfo, introspection) refuses them with a clear reason.
func TestHS256API(t *testing.T) {
	iss, _, _ := MustIssuer(t)
	sealer, err := keys.NewSecretSealer(master)
	if err != nil {
		t.Fatal(err)
	}
	secret := domain.NewSigningSecret()
	for _, dialect := range []string{domain.DialectAccessToken, domain.DialectRFC9068Profile} {
		rs := api(dialect, false)
		rs.SigningAlg = keys.HS256
		if rs.SigningSecretSealed, err = sealer.Seal(rs.ID, secret); err != nil {
			t.Fatal(err)
		}
		out, err := iss.AccessToken(context.Background(), token.AccessTokenParams{Subject: "auth0|u1", ClientID: "c1", API: rs,
			Scope: "openid read:x", OpenID: true})
		if err != nil {
			t.Fatal(err)
		}
		header, claims := decode(t, out.Token)
		wantTyp := map[string]string{domain.DialectAccessToken: "JWT", domain.DialectRFC9068Profile: "at+jwt"}[dialect]
		if header["alg"] != "HS256" || header["kid"] != nil || header["typ"] != wantTyp {
			t.Errorf("%s: header %v", dialect, header)
		}
		if claims["aud"] != rs.Identifier {
			t.Errorf("%s: aud %v; want only the API (no userinfo audience for HS256)", dialect, claims["aud"])
		}
		if _, err := jwt.Parse(out.Token, func(*jwt.Token) (any, error) { return []byte(secret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return out.ExpiresAt.Add(-1) })); err != nil {
			t.Errorf("%s: golang-jwt: %v", dialect, err)
		}
		_, err = iss.Verify(context.Background(), out.Token, rs.Identifier)
		if !errors.Is(err, token.ErrInvalidToken) || !strings.Contains(err.Error(), "HS256") {
			t.Errorf("%s: Verify: %v; want a refusal naming HS256", dialect, err)
		}
	}
	// A sealed secret copied onto another API does not open: no token is signed.
	rs := api(domain.DialectAccessToken, false)
	rs.SigningAlg = keys.HS256
	rs.SigningSecretSealed, _ = sealer.Seal("rs_other", secret)
	if _, err := iss.AccessToken(context.Background(), token.AccessTokenParams{Subject: "s", ClientID: "c", API: rs}); err == nil {
		t.Error("signed with a secret sealed for another API")
	}
}
