package oauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

const pkjID = "pkjClient0000000000000000000001"

// mustPKJClient registers an M2M client that authenticates with private_key_jwt (alg) and returns
// its private key.
func (e *env) mustPKJClient(tb testing.TB, alg string) *rsa.PrivateKey {
	tb.Helper()
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(tb, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	must(tb, err)
	c := &domain.Client{ClientID: pkjID, Name: "Signed M2M", AppType: domain.AppTypeNonInteractive, SecretHash: domain.HashSecret(m2mSecret)}
	domain.ApplyClientDefaults(c)
	must(tb, e.Store.CreateClient(ctx, c))
	cred := &domain.ClientCredential{ID: domain.NewCredentialID(), ClientID: pkjID, CredentialType: domain.CredentialTypePublicKey, Alg: alg,
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	must(tb, domain.ValidateCredential(cred, false))
	must(tb, e.Store.CreateClientCredential(ctx, cred))
	c.ClientAuthenticationMethods = &domain.ClientAuthenticationMethods{PrivateKeyJWT: &domain.PrivateKeyJWTMethod{Credentials: []domain.CredentialRef{{ID: cred.ID}}}}
	must(tb, c.Validate())
	must(tb, e.Store.UpdateClient(ctx, c))
	must(tb, e.Store.CreateClientGrant(ctx, &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: pkjID, Audience: apiID, Scope: []string{"read:a"}}))
	e.Handler.ConfigChanged()
	return key
}

// assertion signs a client assertion; edit changes the claims first.
func assertion(tb testing.TB, key *rsa.PrivateKey, alg string, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims).SignedString(key)
	must(tb, err)
	return s
}

func (e *env) assertionClaims() jwt.MapClaims {
	now := e.Clock.Now()
	return jwt.MapClaims{"iss": pkjID, "sub": pkjID, "aud": e.Issuer, "jti": domain.RandomToken(16),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
}

func (e *env) ccWithAssertion(tb testing.TB, a string, extra ...string) tokenAnswer {
	tb.Helper()
	kv := append([]string{"grant_type", "client_credentials", "audience", apiID,
		"client_assertion_type", domain.ClientAssertionTypeJWT, "client_assertion", a}, extra...)
	return e.call(tb, "oauth/token", tokenCall{body: form(kv...)})
}

// TestPrivateKeyJWT: a client that registered private_key_jwt gets tokens with a signed assertion,
// on both engines, and every flaw of an assertion (RFC 7523 §3) is invalid_client with nothing issued.
func TestPrivateKeyJWT(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			e := MustEnv(t, envOptions{postgres: engine.postgres})
			key := e.mustPKJClient(t, "PS256")

			a := assertion(t, key, "PS256", e.assertionClaims())
			ok := e.ccWithAssertion(t, a)
			if ok.status != 200 || ok.body["access_token"] == nil {
				t.Fatalf("good assertion: %d %s", ok.status, ok.raw)
			}
			// The token endpoint's URL is an audience RFC 7523 §3 names too; client_id may accompany.
			c := e.assertionClaims()
			c["aud"] = e.url("oauth/token")
			if r := e.ccWithAssertion(t, assertion(t, key, "PS256", c), "client_id", pkjID); r.status != 200 {
				t.Fatalf("token endpoint audience: %d %s", r.status, r.raw)
			}

			other, err := rsa.GenerateKey(rand.Reader, 2048)
			must(t, err)
			bad := func(edit func(jwt.MapClaims)) jwt.MapClaims {
				c := e.assertionClaims()
				edit(c)
				return c
			}
			for _, tc := range []struct {
				name, assertion, want string
				extra                 []string
				status                int
			}{
				{name: "replayed", assertion: a, want: "already been used"},
				{name: "another audience", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["aud"] = "https://elsewhere.example/" })), want: "aud"},
				{name: "expired", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["exp"] = e.Clock.Now().Add(-time.Minute).Unix() })), want: "expired"},
				{name: "exp too far ahead", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["exp"] = e.Clock.Now().Add(time.Hour).Unix() })), want: "too far"},
				{name: "no exp", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { delete(c, "exp") })), want: "no exp"},
				{name: "no jti", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { delete(c, "jti") })), want: "no jti"},
				{name: "sub differs", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["sub"] = m2mID })), want: "iss and sub"},
				{name: "another key", assertion: assertion(t, other, "PS256", e.assertionClaims()), want: "signature"},
				{name: "another alg", assertion: assertion(t, key, "RS256", e.assertionClaims()), want: "signature"},
				{name: "unknown client", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["iss"], c["sub"] = "nobody", "nobody" })), want: "Unauthorized"},
				{name: "client without private_key_jwt", assertion: assertion(t, key, "PS256", bad(func(c jwt.MapClaims) { c["iss"], c["sub"] = m2mID, m2mID })), want: "Unauthorized"},
				{name: "not a JWT", assertion: "abc.def", want: "Unauthorized"},
				{name: "client_id differs", assertion: assertion(t, key, "PS256", e.assertionClaims()), extra: []string{"client_id", m2mID}, want: "client_id does not match", status: 400},
				{name: "with a secret too", assertion: assertion(t, key, "PS256", e.assertionClaims()), extra: []string{"client_secret", m2mSecret}, want: "Multiple client authentication", status: 400},
			} {
				r := e.ccWithAssertion(t, tc.assertion, tc.extra...)
				want := tc.status
				if want == 0 {
					want = 401
				}
				desc, _ := r.body["error_description"].(string)
				code := map[int]string{400: "invalid_request", 401: "invalid_client"}[want]
				if r.status != want || r.body["error"] != code || !strings.Contains(desc, tc.want) || r.body["access_token"] != nil {
					t.Errorf("%s: %d %s, want %d %s mentioning %q", tc.name, r.status, r.raw, want, code, tc.want)
				}
			}

			// The wrong assertion type, and no secret fallback for a client that registered a key.
			r := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "audience", apiID,
				"client_assertion_type", "urn:other", "client_assertion", assertion(t, key, "PS256", e.assertionClaims()))})
			if r.status != 400 || r.body["error"] != "invalid_request" {
				t.Errorf("wrong client_assertion_type: %d %s", r.status, r.raw)
			}
			for _, call := range []tokenCall{
				{body: form("grant_type", "client_credentials", "audience", apiID, "client_id", pkjID, "client_secret", m2mSecret)},
				{body: form("grant_type", "client_credentials", "audience", apiID), basicID: pkjID, basicSecret: m2mSecret},
				{body: form("grant_type", "client_credentials", "audience", apiID, "client_id", pkjID)},
			} {
				if r := e.call(t, "oauth/token", call); r.status != 401 || r.body["error"] != "invalid_client" {
					t.Errorf("secret or nothing for a private_key_jwt client: %d %s", r.status, r.raw)
				}
			}

			// Revocation authenticates the same way (aud may be the endpoint called).
			c = e.assertionClaims()
			c["aud"] = e.url("oauth/revoke")
			r = e.call(t, "oauth/revoke", tokenCall{body: form("token", "not-a-token", "client_assertion_type", domain.ClientAssertionTypeJWT,
				"client_assertion", assertion(t, key, "PS256", c))})
			if r.status != 200 {
				t.Errorf("revoke with an assertion: %d %s", r.status, r.raw)
			}
		})
	}
}
