package apiauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// TestHS256Config: HS256 needs the shared secret, at least 32 bytes, and must be the only
// algorithm, so no configuration mixes the secret with the issuer's public keys.
func TestHS256Config(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	base := apiauth.Config{IssuerBaseURL: "https://issuer.example.test", Audience: testAudience}
	for name, tc := range map[string]struct {
		algs    []string
		secret  []byte
		wantErr string
	}{
		"HS256 without a secret": {[]string{"HS256"}, nil, `algorithm "HS256" is not supported`},
		"secret with RS256":      {[]string{"RS256"}, secret, `exactly ["HS256"]`},
		"secret, default RS256":  {nil, secret, `exactly ["HS256"]`},
		"HS256 mixed with RS256": {[]string{"HS256", "RS256"}, secret, `exactly ["HS256"]`},
		"a 31-byte secret":       {[]string{"HS256"}, secret[:31], "at least 32 bytes"},
		"HS256 with its secret":  {[]string{"HS256"}, secret, ""},
		"HS384 even with secret": {[]string{"HS384"}, secret, `algorithm "HS384" is not supported`},
	} {
		cfg := base
		cfg.Algorithms, cfg.HS256Secret = tc.algs, tc.secret
		_, err := apiauth.New(cfg)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: %v; want an error containing %q", name, err, tc.wantErr)
		}
	}
}

// TestHS256Tokens: a middleware holding the secret accepts tokens HMAC'd with it and refuses a
// wrong secret, an RS256 token (even one from the issuer's own key) and "none"; one pinned to
// RS256 refuses the HS256 token, including one HMAC'd with the issuer's public key bytes.
func TestHS256Tokens(t *testing.T) {
	f := newFakeIssuer(t)
	clk := newFakeClock()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.publish("k1", rsaKey, "RS256")
	secret := []byte(strings.Repeat("0123456789abcdef", 3))
	cfg := f.config(clk)
	cfg.Algorithms, cfg.HS256Secret = []string{"HS256"}, secret
	hs, err := apiauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := apiauth.New(f.config(clk))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := sign(t, jwt.SigningMethodHS256, "", secret, f.claims(clk))
	if _, err := hs.Validate(ctx, good); err != nil {
		t.Errorf("HS256 token with the secret: %v", err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	for name, tc := range map[string]struct {
		mw  *apiauth.Middleware
		raw string
	}{
		"wrong secret":               {hs, sign(t, jwt.SigningMethodHS256, "", []byte(strings.Repeat("x", 48)), f.claims(clk))},
		"RS256 token at HS256":       {hs, sign(t, jwt.SigningMethodRS256, "k1", rsaKey, f.claims(clk))},
		"HS256 token at RS256":       {rs, good},
		"HS256 under the public key": {rs, sign(t, jwt.SigningMethodHS256, "k1", pubDER, f.claims(clk))},
		"none at HS256":              {hs, sign(t, jwt.SigningMethodNone, "", jwt.UnsafeAllowNoneSignatureType, f.claims(clk))},
		"HS256 expired":              {hs, sign(t, jwt.SigningMethodHS256, "", secret, jwt.MapClaims{"iss": f.Issuer(), "aud": testAudience, "exp": clk.Now().Unix() - 3600})},
	} {
		if _, err := tc.mw.Validate(ctx, tc.raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
