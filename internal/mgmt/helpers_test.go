package mgmt_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

const issuer = "https://gatehouse.test/"

// allScopes are every scope an endpoint of the package names.
var allScopes = strings.Fields(`read:clients create:clients update:clients delete:clients update:client_keys
read:client_grants create:client_grants update:client_grants delete:client_grants
read:resource_servers create:resource_servers update:resource_servers delete:resource_servers
read:roles create:roles update:roles delete:roles read:users create:users update:users delete:users
read:signing_keys create:signing_keys update:signing_keys read:tenant_settings update:tenant_settings
read:logs read:actions create:actions update:actions delete:actions
read:email_provider create:email_provider update:email_provider create:user_tickets
read:email_templates create:email_templates update:email_templates
read:connections create:connections update:connections delete:connections
read:branding update:branding
read:client_credentials create:client_credentials update:client_credentials delete:client_credentials
read:organizations create:organizations update:organizations delete:organizations
read:organization_members create:organization_members delete:organization_members
read:organization_member_roles create:organization_member_roles delete:organization_member_roles
read:organization_connections create:organization_connections update:organization_connections delete:organization_connections
read:organization_invitations create:organization_invitations delete:organization_invitations`)

// fakeVerifier maps fixed bearer strings to callers.
type fakeVerifier struct{}

func (fakeVerifier) VerifyAccessToken(_ context.Context, raw, audience string) (mgmt.Caller, error) {
	if audience != issuer+"api/v2/" {
		return mgmt.Caller{}, errors.New("wrong audience")
	}
	// "scopes:a,b" is a client holding exactly the scopes a and b.
	if list, ok := strings.CutPrefix(raw, "scopes:"); ok {
		return mgmt.Caller{Subject: "narrow@clients", ClientID: "narrow", Scopes: strings.Split(list, ",")}, nil
	}
	switch raw {
	case "admin":
		return mgmt.Caller{Subject: "mgmtclient@clients", ClientID: "mgmtclient", Scopes: allScopes}, nil
	case "reader":
		return mgmt.Caller{Subject: "readonly@clients", ClientID: "readonly", Scopes: []string{"read:users"}}, nil
	case "expired":
		return mgmt.Caller{}, fmt.Errorf("verify: %w", mgmt.ErrTokenExpired)
	}
	if sub, ok := strings.CutPrefix(raw, "user:"); ok {
		// A token a user obtained, claiming every Management API scope there is.
		return mgmt.Caller{Subject: sub, ClientID: "webapp", User: true,
			Scopes: mgmt.Scopes()}, nil
	}
	return mgmt.Caller{}, errors.New("bad signature")
}

// fakeCompiler refuses code containing "SYNTAX".
type fakeCompiler struct{}

func (fakeCompiler) Compile(name, code, trigger string) error {
	if i := strings.Index(code, "SYNTAX"); i >= 0 {
		return fmt.Errorf("SyntaxError: Unexpected identifier (line %d)", strings.Count(code[:i], "\n")+1)
	}
	return nil
}

// fakeKeys rotates through the store as the key manager does.
type fakeKeys struct {
	st   store.Store
	mu   sync.Mutex
	next *domain.SigningKey // the key the last rotation generated
}

func (k *fakeKeys) Rotate(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys, err := k.st.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	var cur string
	for _, key := range keys {
		if key.State == domain.KeyCurrent {
			cur = key.KID
		}
	}
	k.next = newKey(nil, domain.KeyNext)
	return k.st.RotateSigningKeys(ctx, cur, k.next, time.Now())
}

func (k *fakeKeys) Revoke(ctx context.Context, kid string) error {
	return k.st.RevokeSigningKey(ctx, kid, time.Now())
}

func newKey(tb testing.TB, state string) *domain.SigningKey {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gatehouse.test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil && tb != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC()
	k := &domain.SigningKey{KID: domain.RandomToken(12), Alg: "ES256", State: state, PrivateKeyEncrypted: []byte("sealed"), CertDER: der, CreatedAt: now}
	if state == domain.KeyCurrent {
		k.CurrentSince = &now
	}
	return k
}

type env struct {
	st  store.Store
	srv *httptest.Server
	h   *mgmt.Handler
}

type envOption func(*mgmt.Options)

func newEnv(tb testing.TB, opts ...envOption) *env {
	tb.Helper()
	st := sqlitetest.New(tb, sqlite.Options{})
	o := mgmt.Options{
		Issuer: issuer, Store: st, Verifier: fakeVerifier{}, Keys: &fakeKeys{st: st}, Actions: fakeCompiler{},
		Hasher: password.Hasher{P: password.Fast()}, Audit: &audit.Recorder{Store: st},
	}
	for _, f := range opts {
		f(&o)
	}
	h := mgmt.New(o)
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return &env{st: st, srv: srv, h: h}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
}

// obj decodes the body as an object.
func (r resp) obj(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		tb.Fatalf("body %q is not an object: %v", r.raw, err)
	}
	return m
}

// arr decodes the body as an array.
func (r resp) arr(tb testing.TB) []any {
	tb.Helper()
	var a []any
	if err := json.Unmarshal(r.raw, &a); err != nil {
		tb.Fatalf("body %q is not an array: %v", r.raw, err)
	}
	return a
}

// call sends a request; body is JSON-encoded unless it is a string (sent as is).
func (e *env) call(tb testing.TB, token, method, path string, body any) resp {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v2"+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

// must sends an admin request and fails unless the status is want.
func (e *env) must(tb testing.TB, want int, method, path string, body any) resp {
	tb.Helper()
	r := e.call(tb, "admin", method, path, body)
	if r.status != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r
}

// wantError checks an Auth0 error body exactly, or with message only as a substring when
// exact is false.
func wantError(tb testing.TB, r resp, status int, code, message string, exact bool) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	m := r.obj(tb)
	if m["statusCode"] != float64(status) || m["error"] != http.StatusText(status) {
		tb.Errorf("error body %s: statusCode/error wrong", r.raw)
	}
	if code != "" && m["errorCode"] != code {
		tb.Errorf("errorCode %v, want %q (body %s)", m["errorCode"], code, r.raw)
	}
	msg, _ := m["message"].(string)
	if exact && msg != message || !exact && !strings.Contains(msg, message) {
		tb.Errorf("message %q, want %q (exact=%v)", msg, message, exact)
	}
}
