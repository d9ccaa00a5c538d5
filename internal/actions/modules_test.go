package actions_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// TestModulesMatchNode runs testdata/node-shims.js in the sandbox and, when node is installed, in
// Node, and compares the results: the shims of node:crypto, Buffer, URL, querystring and url must
// answer as Node does on the same inputs.
func TestModulesMatchNode(t *testing.T) {
	src, err := os.ReadFile("testdata/node-shims.js")
	if err != nil {
		t.Fatal(err)
	}
	rt := actions.NewRuntime(actions.Options{DefaultTimeout: 10 * time.Second})
	p := MustCompile(t, rt, "shims", string(src)+"\nexports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('out', out); };", actions.TriggerPostLogin)
	res, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "a", Name: "shims", Program: p}}, loginEvent())
	if err != nil {
		t.Fatal(err)
	}
	got := res.IDTokenClaims["out"].(map[string]any)
	if got["sha256"] == "" || got["uuid"] != true || got["rb"] != float64(16) {
		t.Fatalf("sandbox results %v", got)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the sandbox's results were not compared")
	}
	out, err := exec.Command(node, "-e", string(src)+"\nprocess.stdout.write(JSON.stringify(out));").Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want map[string]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s: sandbox %#v, node %#v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: only the sandbox has it", k)
		}
	}
}

// TestJSONWebToken: tokens the sandbox signs verify with golang-jwt, tokens golang-jwt signs verify
// in the sandbox, and the refusals carry jsonwebtoken's error names and messages.
func TestJSONWebToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	now := time.Now()
	goHS, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u1", "aud": "app", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("shh"))
	goRS, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "u2", "iss": "https://me/"}).SignedString(key)
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()}).SignedString([]byte("shh"))
	none := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."

	rt := fastRuntime()
	res, err := runWithHosts(t, rt, nil, fmt.Sprintf(`
  const jwt = require('jsonwebtoken');
  const out = {};
  out.hs = jwt.sign({ sub: 'u1', n: 1 }, 'shh', { expiresIn: '5m', audience: 'app', issuer: 'https://me/' });
  out.rs = jwt.sign({ sub: 'u2' }, %q, { algorithm: 'RS256', keyid: 'k1', expiresIn: 60 });
  out.goHS = jwt.verify(%q, 'shh', { audience: 'app' }).sub;
  out.goRS = jwt.verify(%q, %q, { issuer: 'https://me/' }).sub;
  const fail = (f) => { try { f(); return 'verified'; } catch (e) { return e.name + ': ' + e.message; } };
  out.expired = fail(() => jwt.verify(%q, 'shh'));
  out.wrongKey = fail(() => jwt.verify(%q, 'other'));
  out.wrongAud = fail(() => jwt.verify(%q, 'shh', { audience: 'api' }));
  out.none = fail(() => jwt.verify(%q, 'shh'));
  out.rsAsHS = fail(() => jwt.verify(out.rs, 'shh'));
  out.decoded = jwt.decode(out.rs, { complete: true }).header;
  api.idToken.setCustomClaim('out', out);`, privPEM, goHS, goRS, pubPEM, expired, goHS, goHS, none))
	out := claim(t, res, err, "out").(map[string]any)

	hs, err := jwt.Parse(out["hs"].(string), func(*jwt.Token) (any, error) { return []byte("shh"), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience("app"), jwt.WithIssuer("https://me/"), jwt.WithExpirationRequired())
	if err != nil || hs.Claims.(jwt.MapClaims)["n"] != float64(1) {
		t.Fatalf("HS256 from the sandbox: %v %v", err, hs)
	}
	exp, _ := hs.Claims.GetExpirationTime()
	if d := exp.Sub(now); d < 4*time.Minute || d > 6*time.Minute {
		t.Fatalf("expiresIn '5m' gave exp in %v", d)
	}
	rs, err := jwt.Parse(out["rs"].(string), func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || rs.Header["kid"] != "k1" {
		t.Fatalf("RS256 from the sandbox: %v %v", err, rs)
	}
	for k, want := range map[string]any{
		"goHS": "u1", "goRS": "u2", "expired": "TokenExpiredError: jwt expired", "wrongKey": "JsonWebTokenError: invalid signature",
		"wrongAud": "JsonWebTokenError: jwt audience invalid. expected: api", "none": "JsonWebTokenError: jwt signature is required",
		"rsAsHS": "JsonWebTokenError: invalid algorithm",
	} {
		if out[k] != want {
			t.Errorf("%s = %v, want %v", k, out[k], want)
		}
	}
	if h := out["decoded"].(map[string]any); h["alg"] != "RS256" || h["typ"] != "JWT" || h["kid"] != "k1" {
		t.Errorf("decoded header %v", h)
	}
}

func TestAxios(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/users":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "query": r.URL.RawQuery, "body": string(b),
				"ctype": r.Header.Get("Content-Type"), "key": r.Header.Get("X-Api-Key"), "auth": r.Header.Get("Authorization")})
		case "/v1/slow":
			time.Sleep(500 * time.Millisecond)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"nope"}`)
		}
	}))
	defer srv.Close()
	res, err := runWithHosts(t, fastRuntimeLong(), []string{"127.0.0.1"}, fmt.Sprintf(`
  const axios = require('axios');
  const client = axios.create({ baseURL: %q, headers: { 'X-Api-Key': event.secrets.TOKEN } });
  const out = {};
  const g = await client.get('/users', { params: { id: 'a b', n: 2 } });
  out.get = [g.status, g.data.method, g.data.query, g.data.key];
  const p = await client.post('users', { email: event.user.email }, { auth: { username: 'u', password: 'p' } });
  out.post = [p.data.method, p.data.body, p.data.ctype, p.data.auth, p.headers['content-type']];
  try { await client.get('/missing'); } catch (e) { out.missing = [e.isAxiosError, e.response.status, e.response.data.error, e.message, e.code]; }
  try { await client.get('/slow', { timeout: 100 }); } catch (e) { out.timeout = [e.code, e.message]; }
  const ok = await axios({ method: 'put', url: %q, data: 'raw', validateStatus: () => true });
  out.put = [ok.data.method, ok.data.body, ok.data.ctype];
  api.idToken.setCustomClaim('out', out);`, srv.URL+"/v1", srv.URL+"/v1/users"))
	out := claim(t, res, err, "out").(map[string]any)
	want := map[string]any{
		"get":     []any{float64(200), "GET", "id=a+b&n=2", "s3cret"},
		"post":    []any{"POST", `{"email":"ada@example.com"}`, "application/json", "Basic dTpw", "application/json"},
		"missing": []any{true, float64(404), "nope", "Request failed with status code 404", "ERR_BAD_REQUEST"},
		"timeout": []any{"ECONNABORTED", "timeout of 100ms exceeded"},
		"put":     []any{"PUT", "raw", "application/x-www-form-urlencoded"},
	}
	for k, w := range want {
		if !reflect.DeepEqual(out[k], w) {
			t.Errorf("%s = %#v, want %#v", k, out[k], w)
		}
	}
}

func fastRuntimeLong() *actions.Runtime {
	return actions.NewRuntime(actions.Options{DefaultTimeout: 10 * time.Second, MemoryLimitBytes: 64 << 20})
}

// TestModulesPerAction: each action of a chain gets its own modules and globals; what one action
// does to them is not seen by the next.
func TestModulesPerAction(t *testing.T) {
	rt := fastRuntime()
	res, err := runLogin(t, rt, loginEvent(),
		`const c = require('crypto'); c.createHash = () => { throw new Error('tampered'); }; globalThis.URL = null;
exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('a', typeof URL); };`,
		`const c = require('crypto');
exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('b', c.createHash('sha1').update('').digest('hex') + ' ' + typeof URL); };`)
	if err != nil {
		t.Fatal(err)
	}
	if res.IDTokenClaims["a"] != "object" || res.IDTokenClaims["b"] != "da39a3ee5e6b4b0d3255bfef95601890afd80709 function" {
		t.Fatalf("claims %v", res.IDTokenClaims)
	}
}
