package oauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// dpopKey is a client's DPoP key pair.
type dpopKey struct {
	priv *ecdsa.PrivateKey
	jwk  map[string]any
	jkt  string
}

func newDPoPKey(tb testing.TB) *dpopKey {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(tb, err)
	pub := jose.JSONWebKey{Key: &priv.PublicKey}
	b, err := pub.MarshalJSON()
	must(tb, err)
	var m map[string]any
	must(tb, json.Unmarshal(b, &m))
	tp, err := pub.Thumbprint(crypto.SHA256)
	must(tb, err)
	return &dpopKey{priv: priv, jwk: m, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proofSpec changes a proof away from a good one.
type proofSpec struct {
	method, url, accessToken, nonce, typ string
	iat                                  time.Time
	jwk                                  map[string]any
	jti                                  string
}

func (k *dpopKey) proof(tb testing.TB, e *env, s proofSpec) string {
	tb.Helper()
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.url == "" {
		s.url = e.url("oauth/token")
	}
	if s.iat.IsZero() {
		s.iat = e.Clock.Now()
	}
	if s.typ == "" {
		s.typ = "dpop+jwt"
	}
	if s.jwk == nil {
		s.jwk = k.jwk
	}
	if s.jti == "" {
		s.jti = domain.RandomToken(12)
	}
	claims := jwt.MapClaims{"jti": s.jti, "htm": s.method, "htu": s.url, "iat": s.iat.Unix()}
	if s.accessToken != "" {
		sum := sha256.Sum256([]byte(s.accessToken))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if s.nonce != "" {
		claims["nonce"] = s.nonce
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["typ"] = s.typ
	t.Header["jwk"] = s.jwk
	raw, err := t.SignedString(k.priv)
	must(tb, err)
	return raw
}

func (e *env) userinfo(tb testing.TB, scheme, tok, proof string) (int, http.Header, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url("userinfo"), nil)
	req.Header.Set("Authorization", scheme+" "+tok)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	res, err := e.Server.Client().Do(req)
	must(tb, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return res.StatusCode, res.Header, body
}

func ccForm() string {
	return form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)
}

// TestDPoPTokenEndpoint (RFC 9449) on both engines: a good proof binds the access token (token_type
// DPoP, cnf.jkt); each flaw of the list is invalid_dpop_proof with nothing issued.
func TestDPoPTokenEndpoint(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			e := MustEnv(t, envOptions{postgres: engine.postgres})
			k := newDPoPKey(t)
			good := k.proof(t, e, proofSpec{})
			a := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: good})
			if a.status != 200 || a.body["token_type"] != "DPoP" {
				t.Fatalf("good proof: %d %s", a.status, a.raw)
			}
			_, claims := decodeJWT(t, a.body["access_token"].(string))
			if cnf, _ := claims["cnf"].(map[string]any); cnf == nil || cnf["jkt"] != k.jkt {
				t.Fatalf("cnf = %v, want jkt %s", claims["cnf"], k.jkt)
			}
			if b := e.call(t, "oauth/token", tokenCall{body: ccForm()}); b.status != 200 || b.body["token_type"] != "Bearer" {
				t.Fatalf("no proof: %d %s", b.status, b.raw)
			}

			private, err := jose.JSONWebKey{Key: k.priv}.MarshalJSON()
			must(t, err)
			var privJWK map[string]any
			must(t, json.Unmarshal(private, &privJWK))
			for _, tc := range []struct{ name, proof, want string }{
				{"replayed", good, "already been used"},
				{"another URL", k.proof(t, e, proofSpec{url: e.url("oauth/revoke")}), "htu"},
				{"another method", k.proof(t, e, proofSpec{method: http.MethodGet}), "htm"},
				{"private key in its header", k.proof(t, e, proofSpec{jwk: privJWK}), "private"},
				{"too old", k.proof(t, e, proofSpec{iat: e.Clock.Now().Add(-10 * time.Minute)}), "iat"},
				{"from the future", k.proof(t, e, proofSpec{iat: e.Clock.Now().Add(10 * time.Minute)}), "iat"},
				{"wrong typ", k.proof(t, e, proofSpec{typ: "JWT"}), "typ"},
				{"query in htu is ignored, host is not", k.proof(t, e, proofSpec{url: "https://elsewhere.example/oauth/token"}), "htu"},
				{"not a JWT", "abc", "invalid"},
			} {
				r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: tc.proof})
				desc, _ := r.body["error_description"].(string)
				if r.status != 400 || r.body["error"] != "invalid_dpop_proof" || !strings.Contains(desc, tc.want) || r.body["access_token"] != nil {
					t.Errorf("%s: %d %s, want 400 invalid_dpop_proof mentioning %q", tc.name, r.status, r.raw, tc.want)
				}
			}
			// A MAC "proof" is no proof.
			hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "x", "htm": "POST", "htu": e.url("oauth/token"), "iat": e.Clock.Now().Unix()})
			hs.Header["typ"], hs.Header["jwk"] = "dpop+jwt", map[string]any{"kty": "oct", "k": "c2VjcmV0"}
			hsRaw, _ := hs.SignedString([]byte("secret"))
			if r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: hsRaw}); r.status != 400 || r.body["error"] != "invalid_dpop_proof" {
				t.Errorf("HS256 proof: %d %s", r.status, r.raw)
			}
			// The query string is ignored in htu (RFC 9449 §4.3).
			if r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{url: e.url("oauth/token?x=1")})}); r.status != 200 {
				t.Errorf("htu with a query: %d %s", r.status, r.raw)
			}
		})
	}
}

// TestDPoPRefreshAndUserinfo: a public client's refresh token is bound to its key (another key, or
// none, is refused and changes nothing); /userinfo takes a bound token only with the DPoP scheme and
// a proof with ath.
func TestDPoPRefreshAndUserinfo(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		k := newDPoPKey(t)
		code := e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: "openid profile offline_access", verifier: verifier})
		a := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "authorization_code", "client_id", spaID, "code", code,
			"redirect_uri", spaCB, "code_verifier", verifier), dpop: k.proof(t, e, proofSpec{})})
		if a.status != 200 || a.body["token_type"] != "DPoP" || a.body["refresh_token"] == nil {
			t.Fatalf("code exchange with DPoP: %d %s", a.status, a.raw)
		}
		rt := a.body["refresh_token"].(string)
		at := a.body["access_token"].(string)

		other := newDPoPKey(t)
		for _, tc := range []struct{ name, proof, want string }{
			{"another key", other.proof(t, e, proofSpec{}), "not by the key"},
			{"no proof", "", "send a DPoP proof"},
		} {
			r := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", spaID, "refresh_token", rt), dpop: tc.proof})
			desc, _ := r.body["error_description"].(string)
			if r.status != 400 || r.body["error"] != "invalid_grant" || !strings.Contains(desc, tc.want) {
				t.Errorf("refresh with %s: %d %s", tc.name, r.status, r.raw)
			}
		}
		// The refusals spent nothing: the bound key still refreshes, and the rotated token stays bound.
		r := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", spaID, "refresh_token", rt), dpop: k.proof(t, e, proofSpec{})})
		if r.status != 200 || r.body["token_type"] != "DPoP" {
			t.Fatalf("refresh with the bound key: %d %s", r.status, r.raw)
		}
		r2 := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "refresh_token", "client_id", spaID, "refresh_token", r.body["refresh_token"].(string)),
			dpop: other.proof(t, e, proofSpec{})})
		if r2.status != 400 {
			t.Errorf("the rotated token lost its binding: %d %s", r2.status, r2.raw)
		}

		ui := e.url("userinfo")
		if s, h, _ := e.userinfo(t, "Bearer", at, ""); s != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "DPoP ") {
			t.Errorf("bound token as Bearer: %d %v", s, h)
		}
		if s, _, b := e.userinfo(t, "DPoP", at, k.proof(t, e, proofSpec{method: "GET", url: ui})); s != 401 || b["error"] != "invalid_dpop_proof" {
			t.Errorf("proof without ath: %d %v", s, b)
		}
		if s, _, b := e.userinfo(t, "DPoP", at, other.proof(t, e, proofSpec{method: "GET", url: ui, accessToken: at})); s != 401 || b["error"] != "invalid_dpop_proof" {
			t.Errorf("proof by another key: %d %v", s, b)
		}
		if s, _, b := e.userinfo(t, "DPoP", at, ""); s != 401 || b["error"] != "invalid_dpop_proof" {
			t.Errorf("no proof: %d %v", s, b)
		}
		s, _, b := e.userinfo(t, "DPoP", at, k.proof(t, e, proofSpec{method: "GET", url: ui, accessToken: at}))
		if s != 200 || b["sub"] != userID {
			t.Fatalf("DPoP userinfo: %d %v", s, b)
		}
		// A Bearer token is not accepted under the DPoP scheme.
		plain := e.exchange(t, spaID, e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: "openid", verifier: verifier}), spaCB, verifier)
		if s, _, _ := e.userinfo(t, "DPoP", plain.body["access_token"].(string), k.proof(t, e, proofSpec{method: "GET", url: ui})); s != 401 {
			t.Errorf("unbound token under DPoP: %d", s)
		}
	})
}

// TestDPoPNonce: with server nonces on, a proof without one is answered use_dpop_nonce with the
// nonce to use, and the retry succeeds.
func TestDPoPNonce(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg, dpopNonceKey: []byte("0123456789abcdef0123456789abcdef")})
		k := newDPoPKey(t)
		r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{})})
		nonce := r.header.Get("DPoP-Nonce")
		if r.status != 400 || r.body["error"] != "use_dpop_nonce" || nonce == "" {
			t.Fatalf("no nonce: %d %s %v", r.status, r.raw, r.header)
		}
		if r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{nonce: "made-up"})}); r.body["error"] != "use_dpop_nonce" {
			t.Errorf("made-up nonce: %d %s", r.status, r.raw)
		}
		if r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{nonce: nonce})}); r.status != 200 || r.body["token_type"] != "DPoP" {
			t.Fatalf("with the nonce: %d %s", r.status, r.raw)
		}
		// /userinfo asks for the nonce the resource-server way: 401 with a DPoP challenge.
		code := e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: "openid", verifier: verifier})
		u := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "authorization_code", "client_id", spaID, "code", code,
			"redirect_uri", spaCB, "code_verifier", verifier), dpop: k.proof(t, e, proofSpec{nonce: nonce})})
		if u.status != 200 {
			t.Fatalf("code exchange with the nonce: %d %s", u.status, u.raw)
		}
		at := u.body["access_token"].(string)
		s, h, b := e.userinfo(t, "DPoP", at, k.proof(t, e, proofSpec{method: "GET", url: e.url("userinfo"), accessToken: at}))
		if s != 401 || b["error"] != "use_dpop_nonce" || h.Get("DPoP-Nonce") == "" || !strings.Contains(h.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) {
			t.Fatalf("userinfo without the nonce: %d %v %v", s, b, h)
		}
		if s, _, b := e.userinfo(t, "DPoP", at, k.proof(t, e, proofSpec{method: "GET", url: e.url("userinfo"), accessToken: at, nonce: h.Get("DPoP-Nonce")})); s != 200 {
			t.Fatalf("userinfo with the nonce: %d %v", s, b)
		}
		// The nonce outlives its window by one more, then is refused.
		e.Clock.Advance(11 * time.Minute)
		if r := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{nonce: nonce})}); r.body["error"] != "use_dpop_nonce" {
			t.Errorf("stale nonce: %d %s", r.status, r.raw)
		}
	})
}

// TestDPoPBoundCode (RFC 9449 §10): a code bound to a key at /authorize (dpop_jkt) or /oauth/par is
// redeemed only with a proof by that key; without one, or with another key, invalid_grant.
func TestDPoPBoundCode(t *testing.T) {
	onBothEngines(t, func(t *testing.T, pg bool) {
		e := MustEnv(t, envOptions{postgres: pg})
		k, other := newDPoPKey(t), newDPoPKey(t)
		redeem := func(proof string) tokenAnswer {
			code := e.mintCode(t, codeSpec{client: spaID, redirect: spaCB, scope: "openid", verifier: verifier, jkt: k.jkt})
			return e.call(t, "oauth/token", tokenCall{body: form("grant_type", "authorization_code", "client_id", spaID, "code", code,
				"redirect_uri", spaCB, "code_verifier", verifier), dpop: proof})
		}
		for name, proof := range map[string]string{"no proof": "", "another key": other.proof(t, e, proofSpec{})} {
			if r := redeem(proof); r.status != 400 || r.body["error"] != "invalid_grant" || r.body["access_token"] != nil {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		}
		if r := redeem(k.proof(t, e, proofSpec{})); r.status != 200 || r.body["token_type"] != "DPoP" {
			t.Fatalf("the bound key: %d %s", r.status, r.raw)
		}
	})
}

// TestDPoPIntrospection (RFC 9449 §6.2): introspection names a bound token's key and type.
func TestDPoPIntrospection(t *testing.T) {
	e := MustEnv(t, envOptions{})
	k := newDPoPKey(t)
	a := e.call(t, "oauth/token", tokenCall{body: ccForm(), dpop: k.proof(t, e, proofSpec{})})
	r := e.call(t, "oauth/introspect", tokenCall{basicID: m2mID, basicSecret: m2mSecret, body: form("token", a.body["access_token"].(string))})
	cnf, _ := r.body["cnf"].(map[string]any)
	if r.status != 200 || r.body["active"] != true || r.body["token_type"] != "DPoP" || cnf == nil || cnf["jkt"] != k.jkt {
		t.Fatalf("introspection of a bound token: %d %s", r.status, r.raw)
	}
	plain := e.call(t, "oauth/token", tokenCall{body: ccForm()})
	r = e.call(t, "oauth/introspect", tokenCall{basicID: m2mID, basicSecret: m2mSecret, body: form("token", plain.body["access_token"].(string))})
	if r.body["token_type"] != "Bearer" || r.body["cnf"] != nil {
		t.Fatalf("introspection of a bearer token: %s", r.raw)
	}
}
