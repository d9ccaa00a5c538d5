package apiauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

type dpopClient struct {
	key *ecdsa.PrivateKey
	jwk map[string]any
	jkt string
}

func newDPoPClient(t *testing.T) *dpopClient {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: &k.PublicKey}
	b, _ := pub.MarshalJSON()
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	tp, _ := pub.Thumbprint(crypto.SHA256)
	return &dpopClient{key: k, jwk: m, jkt: b64(tp)}
}

func (c *dpopClient) proof(t *testing.T, method, htu, token string, iat time.Time, edit func(h, claims map[string]any)) string {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	claims := jwt.MapClaims{"jti": b64(sum[:8]) + iat.String(), "htm": method, "htu": htu, "iat": iat.Unix(), "ath": b64(sum[:])}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", c.jwk
	if edit != nil {
		edit(tok.Header, claims)
	}
	s, err := tok.SignedString(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func call(t *testing.T, h http.Handler, auth, proof string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://api.example.com/api/private?x=1", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	r := response{status: rec.Code, challenge: rec.Header().Get("WWW-Authenticate"), rawBody: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestDPoP follows express-oauth2-jwt-bearer's dpop options: by default Bearer and DPoP are both
// accepted and a bound token needs its proof; Required takes DPoP only; Disabled Bearer only.
func TestDPoP(t *testing.T) {
	f := newFakeIssuer(t)
	clk := newFakeClock()
	signer, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.publish("k1", signer, "RS256")
	client := newDPoPClient(t)
	bound := f.claims(clk)
	bound["cnf"] = map[string]any{"jkt": client.jkt}
	boundTok := sign(t, jwt.SigningMethodRS256, "k1", signer, bound)
	plainTok := sign(t, jwt.SigningMethodRS256, "k1", signer, f.claims(clk))
	const url = "http://api.example.com/api/private"
	good := client.proof(t, "GET", url, boundTok, clk.Now(), nil)

	h := mustNew(t, f.config(clk)).Handler(okHandler)
	if r := call(t, h, "DPoP "+boundTok, good); r.status != 200 {
		t.Fatalf("good DPoP request: %d %s", r.status, r.rawBody)
	}
	if r := call(t, h, "Bearer "+plainTok, ""); r.status != 200 {
		t.Fatalf("Bearer token by default: %d %s", r.status, r.rawBody)
	}
	other := newDPoPClient(t)
	for _, tc := range []struct {
		name, auth, proof, code string
		status                  int
	}{
		{"bound token as Bearer", "Bearer " + boundTok, "", "invalid_token", 401},
		{"DPoP scheme without proof", "DPoP " + boundTok, "", "invalid_request", 400},
		{"Bearer with a proof", "Bearer " + plainTok, good, "invalid_request", 400},
		{"unbound token under DPoP", "DPoP " + plainTok, client.proof(t, "GET", url, plainTok, clk.Now(), nil), "invalid_token", 401},
		{"another key", "DPoP " + boundTok, other.proof(t, "GET", url, boundTok, clk.Now(), nil), "invalid_token", 401},
		{"another method", "DPoP " + boundTok, client.proof(t, "POST", url, boundTok, clk.Now(), nil), "invalid_dpop_proof", 401},
		{"another URL", "DPoP " + boundTok, client.proof(t, "GET", "http://api.example.com/other", boundTok, clk.Now(), nil), "invalid_dpop_proof", 401},
		{"too old", "DPoP " + boundTok, client.proof(t, "GET", url, boundTok, clk.Now().Add(-6*time.Minute), nil), "invalid_dpop_proof", 401},
		{"no ath", "DPoP " + boundTok, client.proof(t, "GET", url, boundTok, clk.Now(), func(_, c map[string]any) { delete(c, "ath") }), "invalid_dpop_proof", 401},
		{"wrong typ", "DPoP " + boundTok, client.proof(t, "GET", url, boundTok, clk.Now(), func(h, _ map[string]any) { h["typ"] = "JWT" }), "invalid_dpop_proof", 401},
		{"private key in header", "DPoP " + boundTok, client.proof(t, "GET", url, boundTok, clk.Now(), func(h, _ map[string]any) {
			b, _ := jose.JSONWebKey{Key: client.key}.MarshalJSON()
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			h["jwk"] = m
		}), "invalid_dpop_proof", 401},
	} {
		r := call(t, h, tc.auth, tc.proof)
		if r.status != tc.status || r.body["error"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.rawBody, tc.status, tc.code)
		}
		if tc.status == 401 && tc.code != "invalid_token" && !strings.HasPrefix(r.challenge, "DPoP ") {
			t.Errorf("%s: challenge %q, want a DPoP challenge", tc.name, r.challenge)
		}
	}

	cfg := f.config(clk)
	cfg.DPoP.Required = true
	req := mustNew(t, cfg).Handler(okHandler)
	if r := call(t, req, "Bearer "+plainTok, ""); r.status != 401 || !strings.HasPrefix(r.challenge, "DPoP ") {
		t.Errorf("required: Bearer answered %d %q", r.status, r.challenge)
	}
	if r := call(t, req, "DPoP "+boundTok, client.proof(t, "GET", url, boundTok, clk.Now(), nil)); r.status != 200 {
		t.Errorf("required: DPoP answered %d %s", r.status, r.rawBody)
	}

	cfg = f.config(clk)
	cfg.DPoP.Disabled = true
	off := mustNew(t, cfg).Handler(okHandler)
	if r := call(t, off, "Bearer "+boundTok, ""); r.status != 200 {
		t.Errorf("disabled: a bound token as Bearer answered %d", r.status)
	}
	if r := call(t, off, "DPoP "+boundTok, good); r.status != 401 {
		t.Errorf("disabled: DPoP scheme answered %d", r.status)
	}
	cfg.DPoP.Required = true
	if _, err := apiauth.New(cfg); err == nil {
		t.Error("Disabled with Required was accepted")
	}
}
