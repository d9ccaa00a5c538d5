package apiauth_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// TestTokenRules runs one request per rule against a fake issuer publishing an
// RSA key "k1" (alg RS256), an EC key "ec1" and an Ed25519 key "ed1".
func TestTokenRules(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	iss.publish("ec1", keys.ec, "ES256")
	iss.publish("ed1", keys.ed, "")
	clk := newFakeClock()

	rs256 := func(mut func(jwt.MapClaims)) string {
		c := iss.claims(clk)
		if mut != nil {
			mut(c)
		}
		return sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)
	}
	now := clk.Now()
	pubDER, err := x509.MarshalPKIXPublicKey(&keys.rsa1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tests := []struct {
		name   string
		algs   []string
		token  func() string
		status int
		desc   string // expected error_description; "" for success
	}{
		{name: "valid RS256", token: func() string { return rs256(nil) }, status: 200},
		{name: "audience as a string", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["aud"] = testAudience })
		}, status: 200},
		{name: "audience array without ours", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["aud"] = []string{"https://other.api", "x"} })
		}, status: 401, desc: "unexpected 'aud' claim value"},
		{name: "wrong audience", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["aud"] = "https://other.api" })
		}, status: 401, desc: "unexpected 'aud' claim value"},
		{name: "missing audience", token: func() string {
			return rs256(func(c jwt.MapClaims) { delete(c, "aud") })
		}, status: 401, desc: "missing required 'aud' claim"},
		{name: "wrong issuer", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" })
		}, status: 401, desc: "unexpected 'iss' claim value"},
		{name: "issuer without the trailing slash is not exact", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["iss"] = iss.URL() })
		}, status: 401, desc: "unexpected 'iss' claim value"},
		{name: "missing issuer", token: func() string {
			return rs256(func(c jwt.MapClaims) { delete(c, "iss") })
		}, status: 401, desc: "missing required 'iss' claim"},
		{name: "expired", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })
		}, status: 401, desc: "'exp' claim timestamp check failed"},
		{name: "expired within tolerance", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["exp"] = now.Add(-3 * time.Second).Unix() })
		}, status: 200},
		{name: "expired just past tolerance", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Second).Unix() })
		}, status: 401, desc: "'exp' claim timestamp check failed"},
		{name: "missing exp", token: func() string {
			return rs256(func(c jwt.MapClaims) { delete(c, "exp") })
		}, status: 401, desc: "missing required 'exp' claim"},
		{name: "exp of the wrong type", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })
		}, status: 401, desc: "a registered claim has an invalid type"},
		{name: "nbf in the future", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })
		}, status: 401, desc: "'nbf' claim timestamp check failed"},
		{name: "nbf within tolerance", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["nbf"] = now.Add(4 * time.Second).Unix() })
		}, status: 200},
		{name: "iat in the future", token: func() string {
			return rs256(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() })
		}, status: 401, desc: "'iat' claim timestamp check failed"},
		{name: "alg none", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, iss.claims(clk))
			tok.Header["kid"] = "k1"
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "HS256 signed with the public key PEM (key confusion)", token: func() string {
			return sign(t, jwt.SigningMethodHS256, "k1", pubPEM, iss.claims(clk))
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "HS256 signed with the public key DER (key confusion)", token: func() string {
			return sign(t, jwt.SigningMethodHS256, "k1", pubDER, iss.claims(clk))
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "unknown alg", token: func() string {
			return "eyJhbGciOiJGT08iLCJraWQiOiJrMSJ9." + strings.Split(rs256(nil), ".")[1] + ".c2ln"
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "RS384 when only RS256 is allowed", token: func() string {
			return sign(t, jwt.SigningMethodRS384, "k1", keys.rsa1, iss.claims(clk))
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "tampered signature", token: func() string {
			parts := strings.Split(rs256(nil), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sig[10] ^= 0x01
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		}, status: 401, desc: "signature verification failed"},
		{name: "tampered payload", token: func() string {
			good := strings.Split(rs256(nil), ".")
			evil := strings.Split(rs256(func(c jwt.MapClaims) { c["sub"] = "auth0|admin" }), ".")
			return good[0] + "." + evil[1] + "." + good[2]
		}, status: 401, desc: "signature verification failed"},
		{name: "signed by a key the issuer never published", token: func() string {
			return sign(t, jwt.SigningMethodRS256, "k1", keys.rsaOther, iss.claims(clk))
		}, status: 401, desc: "signature verification failed"},
		{name: "kid of another key type", token: func() string {
			return sign(t, jwt.SigningMethodRS256, "ec1", keys.rsa1, iss.claims(clk))
		}, status: 401, desc: "the key named by 'kid' cannot verify this 'alg'"},
		{name: "crit header", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, iss.claims(clk))
			tok.Header["kid"] = "k1"
			tok.Header["crit"] = []string{"exp"}
			s, err := tok.SignedString(keys.rsa1)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, status: 401, desc: "unsupported 'crit' header parameter"},
		{name: "opaque token", token: func() string { return "8xLOxBtZp8" }, status: 401, desc: "jwt malformed"},
		{name: "JWE-shaped token", token: func() string { return "a.b.c.d.e" }, status: 401, desc: "jwt malformed"},
		{name: "ES256 when allowed", algs: []string{"RS256", "ES256"}, token: func() string {
			return sign(t, jwt.SigningMethodES256, "ec1", keys.ec, iss.claims(clk))
		}, status: 200},
		{name: "ES256 when not allowed", token: func() string {
			return sign(t, jwt.SigningMethodES256, "ec1", keys.ec, iss.claims(clk))
		}, status: 401, desc: "'alg' (Algorithm) Header Parameter value not allowed"},
		{name: "PS256 with an RSA key whose JWK says RS256", algs: []string{"PS256"}, token: func() string {
			return sign(t, jwt.SigningMethodPS256, "k1", keys.rsa1, iss.claims(clk))
		}, status: 401, desc: "the key named by 'kid' cannot verify this 'alg'"},
		{name: "EdDSA when allowed", algs: []string{"EdDSA"}, token: func() string {
			return sign(t, jwt.SigningMethodEdDSA, "ed1", keys.ed, iss.claims(clk))
		}, status: 200},
		{name: "no kid with several keys", token: func() string {
			return sign(t, jwt.SigningMethodRS256, "", keys.rsa1, iss.claims(clk))
		}, status: 200}, // only one published key fits RS256
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := iss.config(clk)
			cfg.Algorithms = tt.algs
			h := mustNew(t, cfg).Handler(okHandler)
			r := do(t, h, "Bearer "+tt.token())
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.status, r.rawBody)
			}
			if tt.status == 200 {
				if r.body["sub"] != "auth0|user1" {
					t.Errorf("handler saw sub %v", r.body["sub"])
				}
				return
			}
			if r.body["error"] != "invalid_token" || r.body["error_description"] != tt.desc {
				t.Errorf("body = %s, want invalid_token %q", r.rawBody, tt.desc)
			}
			want := `Bearer realm="api", error="invalid_token", error_description="` + tt.desc + `"`
			if r.challenge != want {
				t.Errorf("WWW-Authenticate = %s, want %s", r.challenge, want)
			}
		})
	}
}

func TestPS256(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("ps", keys.rsa2, "PS256")
	clk := newFakeClock()
	cfg := iss.config(clk)
	cfg.Algorithms = []string{"RS256", "PS256"}
	h := mustNew(t, cfg).Handler(okHandler)
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodPS256, "ps", keys.rsa2, iss.claims(clk))); r.status != 200 {
		t.Fatalf("PS256: %d %s", r.status, r.rawBody)
	}
	// The JWK pins PS256, so the same key must not verify RS256.
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "ps", keys.rsa2, iss.claims(clk))); r.status != 401 {
		t.Fatalf("RS256 with a PS256 key: %d", r.status)
	}
}

func TestClockToleranceConfigurable(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	expired := iss.claims(clk)
	expired["exp"] = clk.Now().Add(-30 * time.Second).Unix()
	tok := "Bearer " + sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, expired)

	for _, tc := range []struct {
		tolerance time.Duration
		want      int
	}{{0, 401}, {time.Minute, 200}, {-1, 401}} {
		cfg := iss.config(clk)
		cfg.ClockTolerance = tc.tolerance
		if r := do(t, mustNew(t, cfg).Handler(okHandler), tok); r.status != tc.want {
			t.Errorf("tolerance %v: status %d, want %d", tc.tolerance, r.status, tc.want)
		}
	}
	// A negative tolerance means none: a token expiring this very second fails.
	cfg := iss.config(clk)
	cfg.ClockTolerance = -1
	edge := iss.claims(clk)
	edge["exp"] = clk.Now().Unix()
	if r := do(t, mustNew(t, cfg).Handler(okHandler), "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, edge)); r.status != 401 {
		t.Errorf("zero tolerance at exp: %d", r.status)
	}
}

func TestMaxTokenAge(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	cfg := iss.config(clk)
	cfg.MaxTokenAge = time.Hour
	h := mustNew(t, cfg).Handler(okHandler)
	old := iss.claims(clk)
	old["iat"] = clk.Now().Add(-2 * time.Hour).Unix()
	noIat := iss.claims(clk)
	delete(noIat, "iat")
	for name, c := range map[string]jwt.MapClaims{"old": old, "no iat": noIat} {
		if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c)); r.status != 401 {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	if r := do(t, h, "Bearer "+sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))); r.status != 200 {
		t.Errorf("fresh: status %d", r.status)
	}
}

func TestAuthorizationHeader(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	h := mustNew(t, iss.config(clk)).Handler(okHandler)
	good := sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk))

	const bare = `Bearer realm="api"`
	const malformed = `Bearer realm="api", error="invalid_request", error_description="malformed Authorization header: expected 'Bearer <token>'"`
	tests := []struct {
		name      string
		headers   []string
		status    int
		challenge string
		bodyError string
	}{
		{"no header", nil, 401, bare, "unauthorized"},
		{"empty header", []string{""}, 401, bare, "unauthorized"},
		{"Basic scheme", []string{"Basic dXNlcjpwYXNz"}, 401, bare, "unauthorized"},
		{"Bearer without token", []string{"Bearer"}, 400, malformed, "invalid_request"},
		{"Bearer with blank token", []string{"Bearer    "}, 400, malformed, "invalid_request"},
		{"two tokens", []string{"Bearer a b"}, 400, malformed, "invalid_request"},
		{"characters outside b64token", []string{"Bearer abc$def"}, 400, malformed, "invalid_request"},
		{"padding in the middle", []string{"Bearer ab=cd"}, 400, malformed, "invalid_request"},
		{"two Authorization headers", []string{"Bearer " + good, "Bearer " + good}, 400,
			`Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`, "invalid_request"},
		{"lower-case scheme", []string{"bearer " + good}, 200, "", ""},
		{"several spaces", []string{"Bearer   " + good}, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, h, tt.headers...)
			if r.status != tt.status || r.challenge != tt.challenge {
				t.Fatalf("got %d %q, want %d %q", r.status, r.challenge, tt.status, tt.challenge)
			}
			if tt.bodyError != "" && r.body["error"] != tt.bodyError {
				t.Errorf("body %s, want error %q", r.rawBody, tt.bodyError)
			}
		})
	}
}

func TestValidateOutsideHTTP(t *testing.T) {
	keys := testKeys()
	iss := newFakeIssuer(t)
	iss.publish("k1", keys.rsa1, "RS256")
	clk := newFakeClock()
	m := mustNew(t, iss.config(clk))
	c := iss.claims(clk)
	c["exp"] = clk.Now().Add(-time.Hour).Unix()
	_, err := m.Validate(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, c))
	var e *apiauth.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != apiauth.CodeInvalidToken {
		t.Fatalf("err = %v, want 401 invalid_token", err)
	}
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("cause not reachable with errors.Is: %v", err)
	}
	claims, err := m.Validate(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", keys.rsa1, iss.claims(clk)),
		apiauth.RequiredScopes("read:own_data"))
	if err != nil || claims.Subject != "auth0|user1" {
		t.Fatalf("Validate = %v, %v", claims, err)
	}
}
