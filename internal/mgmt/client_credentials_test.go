package mgmt_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func publicPEM(tb testing.TB, bits int) (string, *rsa.PrivateKey) {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), k
}

// TestClientCredentials: Auth0's /clients/{id}/credentials (public_key) and
// client_authentication_methods: create, list, get, enable on the client, refuse what cannot work,
// delete.
func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	c := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{"name": "Signed", "app_type": "non_interactive"}).obj(t)
	id := c["client_id"].(string)
	pemText, key := publicPEM(t, 2048)

	cr := e.must(t, http.StatusCreated, "POST", "/clients/"+id+"/credentials", map[string]any{
		"credential_type": "public_key", "name": "primary", "pem": pemText, "alg": "RS384",
	})
	got := cr.obj(t)
	credID, _ := got["id"].(string)
	if !strings.HasPrefix(credID, "cred_") || got["alg"] != "RS384" || got["kid"] != domain.RSAThumbprint(&key.PublicKey) ||
		got["credential_type"] != "public_key" || got["name"] != "primary" || got["created_at"] == nil {
		t.Fatalf("created credential: %s", cr.raw)
	}
	if strings.Contains(string(cr.raw), "BEGIN PUBLIC KEY") {
		t.Errorf("the key material is returned: %s", cr.raw)
	}
	if l := e.must(t, 200, "GET", "/clients/"+id+"/credentials", nil).arr(t); len(l) != 1 {
		t.Errorf("list: %v", l)
	}
	if one := e.must(t, 200, "GET", "/clients/"+id+"/credentials/"+credID, nil).obj(t); one["id"] != credID {
		t.Errorf("get: %v", one)
	}
	wantError(t, e.call(t, "admin", "GET", "/clients/"+id+"/credentials/cred_nope", nil), 404, "inexistent_client_credential", "", false)
	// PATCH changes the expiry only: a future one, or null for none.
	up := e.must(t, 200, "PATCH", "/clients/"+id+"/credentials/"+credID, map[string]any{"expires_at": "2099-01-02T03:04:05Z"}).obj(t)
	if up["expires_at"] != "2099-01-02T03:04:05Z" {
		t.Errorf("patched expiry: %v", up)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/clients/"+id+"/credentials/"+credID, map[string]any{"expires_at": "2001-01-01T00:00:00Z"}), 400, "invalid_body", "future", false)
	wantError(t, e.call(t, "admin", "PATCH", "/clients/"+id+"/credentials/"+credID, map[string]any{"alg": "PS256"}), 400, "invalid_body", "", false)
	if cleared := e.must(t, 200, "PATCH", "/clients/"+id+"/credentials/"+credID, map[string]any{"expires_at": nil}).obj(t); cleared["expires_at"] != nil {
		t.Errorf("expiry not cleared: %v", cleared)
	}
	wantError(t, e.call(t, "admin", "GET", "/clients/nope/credentials", nil), 404, "inexistent_client", "", false)

	// Bad input changes nothing.
	small, _ := publicPEM(t, 1024)
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no type", map[string]any{"pem": pemText}, "credential_type"},
		{"other type", map[string]any{"credential_type": "x509_cert", "pem": pemText}, "public_key"},
		{"no pem", map[string]any{"credential_type": "public_key"}, "pem"},
		{"bad alg", map[string]any{"credential_type": "public_key", "pem": pemText, "alg": "HS256"}, "alg"},
		{"short key", map[string]any{"credential_type": "public_key", "pem": small}, "2048"},
		{"private key", map[string]any{"credential_type": "public_key", "pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "PRIVATE KEY"},
		{"bad kid", map[string]any{"credential_type": "public_key", "pem": pemText, "kid": "short"}, "kid"},
		{"unknown field", map[string]any{"credential_type": "public_key", "pem": pemText, "secret": "x"}, ""},
	} {
		r := e.call(t, "admin", "POST", "/clients/"+id+"/credentials", tc.body)
		if r.status != 400 || !strings.Contains(string(r.raw), tc.want) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	if l := e.must(t, 200, "GET", "/clients/"+id+"/credentials", nil).arr(t); len(l) != 1 {
		t.Errorf("a refused credential was stored: %v", l)
	}

	// Enabling: only the client's own, live credentials.
	methods := func(ids ...string) map[string]any {
		refs := []map[string]string{}
		for _, i := range ids {
			refs = append(refs, map[string]string{"id": i})
		}
		return map[string]any{"client_authentication_methods": map[string]any{"private_key_jwt": map[string]any{"credentials": refs}}}
	}
	wantError(t, e.call(t, "admin", "PATCH", "/clients/"+id, methods("cred_other")), 400, "invalid_body", "not a credential of this client", false)
	up = e.must(t, 200, "PATCH", "/clients/"+id, methods(credID)).obj(t)
	if m, _ := up["client_authentication_methods"].(map[string]any); m == nil {
		t.Fatalf("client_authentication_methods not returned: %v", up)
	}
	// A credential in use cannot be deleted; once unlisted it can.
	wantError(t, e.call(t, "admin", "DELETE", "/clients/"+id+"/credentials/"+credID, nil), 400, "invalid_body", "in use", false)
	e.must(t, 200, "PATCH", "/clients/"+id, map[string]any{"client_authentication_methods": nil})
	e.must(t, http.StatusNoContent, "DELETE", "/clients/"+id+"/credentials/"+credID, nil)
	wantError(t, e.call(t, "admin", "DELETE", "/clients/"+id+"/credentials/"+credID, nil), 404, "inexistent_client_credential", "", false)

	// A public client cannot hold one.
	spa := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{"name": "SPA", "app_type": "spa"}).obj(t)
	spaID := spa["client_id"].(string)
	spaCred := e.must(t, http.StatusCreated, "POST", "/clients/"+spaID+"/credentials", map[string]any{"credential_type": "public_key", "pem": pemText}).obj(t)
	wantError(t, e.call(t, "admin", "PATCH", "/clients/"+spaID, methods(spaCred["id"].(string))), 400, "invalid_body", "public client", false)
}
