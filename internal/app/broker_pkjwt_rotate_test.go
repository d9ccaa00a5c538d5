package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestRotateConnectionKeys: POST /connections/{id}/keys/rotate (update:connections_keys) of an
// oidc private_key_jwt connection. The first rotation publishes a next key and changes nothing
// else: the sign-in still signs with the current key. Once the upstream (a second Gatehouse)
// trusts only the next key, sign-in fails until the second rotation makes it current, the old
// current listed as previous and a new next key published. Bad rotations change nothing.
func TestRotateConnectionKeys(t *testing.T) {
	rotateConnectionKeys(t, startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true }))
}

// TestRotateConnectionKeysPostgres is the same with the connection's node on PostgreSQL. Skips
// without GATEHOUSE_TEST_POSTGRES_URL.
func TestRotateConnectionKeysPostgres(t *testing.T) {
	rotateConnectionKeys(t, startPostgresNodes(t, 1, func(o *app.Options) { o.AllowPrivateDestinations = true })[0])
}

func rotateConnectionKeys(t *testing.T, down *node) {
	up := startNode(t)
	upM, downM := newMgmtClient(t, up), newMgmtClient(t, down)
	status, client := upM.do("POST", "clients", map[string]any{"name": "Downstream", "app_type": "regular_web",
		"callbacks": []string{down.issuer + "login/callback"}, "grant_types": []string{"authorization_code"}})
	if status != http.StatusCreated {
		t.Fatalf("upstream client: %d %v", status, client)
	}
	clientID := client["client_id"].(string)
	status, created := downM.do("POST", "connections", map[string]any{"name": "acme", "strategy": "oidc",
		"enabled_clients": []string{down.tenant.WebApp.ClientID}, "options": map[string]any{
			"discovery_url": up.issuer + ".well-known/openid-configuration", "client_id": clientID,
			"scope": "openid profile email", "type": "back_channel", "token_endpoint_auth_method": "private_key_jwt"}})
	if status != http.StatusCreated {
		t.Fatalf("create oidc connection: %d %v", status, created)
	}
	id := created["id"].(string)
	keys := func() map[string]map[string]any {
		t.Helper()
		_, out := downM.do("GET", "connections/"+id+"/keys", nil)
		got := map[string]map[string]any{}
		for _, k := range out["list"].([]any) {
			k := k.(map[string]any)
			for _, place := range []string{"current", "next", "previous"} {
				if k[place] == true {
					got[place] = k
				}
			}
		}
		return got
	}
	// trust makes key the upstream client's only credential.
	trust := func(key map[string]any) {
		t.Helper()
		status, cred := upM.do("POST", "clients/"+clientID+"/credentials", map[string]any{"credential_type": "public_key",
			"name": "downstream " + key["kid"].(string)[:8], "pem": key["cert"], "alg": "RS256", "kid": key["kid"]})
		if status != http.StatusCreated {
			t.Fatalf("upstream credential: %d %v", status, cred)
		}
		if status, out := upM.do("PATCH", "clients/"+clientID, map[string]any{"client_authentication_methods": map[string]any{
			"private_key_jwt": map[string]any{"credentials": []map[string]any{{"id": cred["id"]}}}}}); status != http.StatusOK {
			t.Fatalf("upstream client: private_key_jwt: %d %v", status, out)
		}
	}
	admin := up.tenant.Users[0]
	appl := newBrokerApp(t, down)
	signsIn := func() bool {
		t.Helper()
		downJar, upJar := browser(t), browser(t)
		back := signIn(t, upJar, appl.authorize(downJar, "acme").String(), admin.Email, admin.Password)
		cb := appl.finish(downJar, back.String())
		return cb.Query().Get("code") != ""
	}
	rotate := func(m *mgmtClient, body any) (int, map[string]any) {
		t.Helper()
		return m.do("POST", "connections/"+id+"/keys/rotate", body)
	}

	first := keys()["current"]
	trust(first)
	if !signsIn() {
		t.Fatal("sign-in with the first key")
	}

	// Refusals, each changing nothing.
	if status, out := rotate(scopedMgmtClient(t, down, downM, "read:connections_keys", "update:connections"), nil); status != http.StatusForbidden {
		t.Errorf("rotate without update:connections_keys: %d %v", status, out)
	}
	if status, out := rotate(downM, map[string]any{"signing_alg": "RS512"}); status != http.StatusBadRequest ||
		!strings.Contains(out["message"].(string), "token_endpoint_auth_signing_alg") {
		t.Errorf("rotate to another algorithm: %d %v", status, out)
	}
	_, dbConns := downM.do("GET", "connections?strategy=auth0", nil)
	dbID := dbConns["list"].([]any)[0].(map[string]any)["id"].(string)
	if status, out := downM.do("POST", "connections/"+dbID+"/keys/rotate", nil); status != http.StatusBadRequest {
		t.Errorf("rotate a database connection's keys: %d %v", status, out)
	}
	if status, out := downM.do("POST", "connections/con_nothere0000000/keys/rotate", nil); status != http.StatusNotFound {
		t.Errorf("rotate an unknown connection's keys: %d %v", status, out)
	}
	if got := keys(); len(got) != 1 || got["current"]["kid"] != first["kid"] {
		t.Fatalf("a refused rotation changed the keys: %v", got)
	}

	// First rotation: a next key is published; the current one still signs.
	status, next := rotate(scopedMgmtClient(t, down, downM, "update:connections_keys"), map[string]any{"signing_alg": "RS256"})
	if status != http.StatusCreated || next["next"] != true || next["kid"] == first["kid"] ||
		!strings.HasPrefix(next["cert"].(string), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("first rotation: %d %v", status, next)
	}
	if got := keys(); got["current"]["kid"] != first["kid"] || got["next"]["kid"] != next["kid"] || got["previous"] != nil {
		t.Fatalf("keys after the first rotation: %v", got)
	}
	if !signsIn() {
		t.Fatal("the first rotation changed the key in use")
	}

	// The upstream now trusts only the next key: the current one is refused there until the
	// second rotation makes the next key current.
	trust(next)
	if signsIn() {
		t.Fatal("signed in with a key the upstream no longer trusts")
	}
	status, newer := rotate(downM, nil)
	if status != http.StatusCreated || newer["next"] != true || newer["kid"] == next["kid"] {
		t.Fatalf("second rotation: %d %v", status, newer)
	}
	got := keys()
	if got["current"]["kid"] != next["kid"] || got["previous"]["kid"] != first["kid"] || got["next"]["kid"] != newer["kid"] ||
		got["current"]["current_since"] == nil {
		t.Fatalf("keys after the second rotation: %v", got)
	}
	if !signsIn() {
		t.Fatal("sign-in with the promoted key")
	}
}
