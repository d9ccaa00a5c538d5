package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
)

// TestSignInThroughUpstreamWithPrivateKeyJWT: an oidc connection with token_endpoint_auth_method
// private_key_jwt gets a key pair whose certificate GET /connections/{id}/keys shows (never the
// key). The upstream node (a second Gatehouse) verifies the connection's client assertion: before
// it registers the certificate as the client's credential, the code exchange is refused and the
// app gets access_denied; once registered, the sign-in completes. Options outside Auth0's values
// are refused.
func TestSignInThroughUpstreamWithPrivateKeyJWT(t *testing.T) {
	up := startNode(t)
	down := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	upM, downM := newMgmtClient(t, up), newMgmtClient(t, down)

	status, client := upM.do("POST", "clients", map[string]any{"name": "Downstream", "app_type": "regular_web",
		"callbacks": []string{down.issuer + "login/callback"}, "grant_types": []string{"authorization_code"}})
	if status != http.StatusCreated {
		t.Fatalf("upstream client: %d %v", status, client)
	}
	opts := map[string]any{"discovery_url": up.issuer + ".well-known/openid-configuration", "client_id": client["client_id"],
		"scope": "openid profile email", "type": "back_channel", "token_endpoint_auth_method": "private_key_jwt"}
	conn := map[string]any{"name": "acme", "strategy": "oidc", "enabled_clients": []string{down.tenant.WebApp.ClientID}, "options": opts}

	// Bad options: each refused, nothing created.
	for _, tc := range []struct {
		name   string
		change map[string]any
		want   string
	}{
		{"unknown method", map[string]any{"token_endpoint_auth_method": "tls_client_auth"}, "token_endpoint_auth_method"},
		{"EC algorithm", map[string]any{"token_endpoint_auth_signing_alg": "ES256"}, "token_endpoint_auth_signing_alg"},
		{"HMAC algorithm", map[string]any{"token_endpoint_auth_signing_alg": "HS256"}, "token_endpoint_auth_signing_alg"},
		{"alg without private_key_jwt", map[string]any{"token_endpoint_auth_method": "client_secret_post", "client_secret": "s3cret-s3cret",
			"token_endpoint_auth_signing_alg": "RS256"}, "token_endpoint_auth_signing_alg"},
		{"front_channel", map[string]any{"type": "front_channel"}, "token_endpoint_auth_method"},
	} {
		o := map[string]any{}
		for k, v := range opts {
			o[k] = v
		}
		for k, v := range tc.change {
			o[k] = v
		}
		bad := map[string]any{"name": "bad", "strategy": "oidc", "options": o}
		if status, out := downM.do("POST", "connections", bad); status != http.StatusBadRequest || !strings.Contains(out["message"].(string), tc.want) {
			t.Errorf("%s: %d %v", tc.name, status, out)
		}
	}
	if status, out := downM.do("POST", "connections", map[string]any{"name": "gh", "strategy": "github",
		"options": map[string]any{"client_id": "x", "client_secret": "y", "token_endpoint_auth_method": "private_key_jwt"}}); status != http.StatusBadRequest {
		t.Errorf("private_key_jwt on github: %d %v", status, out)
	}

	status, created := downM.do("POST", "connections", conn)
	if status != http.StatusCreated {
		t.Fatalf("create oidc connection: %d %v", status, created)
	}
	raw, _ := json.Marshal(created)
	if strings.Contains(string(raw), "PRIVATE KEY") || strings.Contains(string(raw), "key_sealed") || created["options"].(map[string]any)["token_endpoint_auth_method"] != "private_key_jwt" {
		t.Fatalf("created: %s", raw)
	}
	id := created["id"].(string)
	status, keysOut := downM.do("GET", "connections/"+id+"/keys", nil)
	keys, _ := keysOut["list"].([]any)
	if status != http.StatusOK || len(keys) != 1 {
		t.Fatalf("connection keys: %d %v", status, keysOut)
	}
	if status, out := scopedMgmtClient(t, down, downM, "read:connections").do("GET", "connections/"+id+"/keys", nil); status != http.StatusForbidden {
		t.Errorf("connection keys without read:connections_keys: %d %v", status, out)
	}
	key := keys[0].(map[string]any)
	cert, _ := key["cert"].(string)
	if !strings.HasPrefix(cert, "-----BEGIN CERTIFICATE-----") || key["current"] != true || key["algorithm"] != "RS256" ||
		key["key_use"] != "signing" || key["kid"] != key["thumbprint"] || !strings.Contains(key["fingerprint"].(string), ":") {
		t.Errorf("key %v", key)
	}
	if raw, _ := json.Marshal(keysOut); strings.Contains(string(raw), "PRIVATE") {
		t.Fatal("the private key is shown")
	}
	// A PATCH of other options keeps the key.
	opts["scope"] = "openid email profile"
	if status, out := downM.do("PATCH", "connections/"+id, map[string]any{"options": opts}); status != http.StatusOK {
		t.Fatalf("patch: %d %v", status, out)
	}
	if _, again := downM.do("GET", "connections/"+id+"/keys", nil); again["list"].([]any)[0].(map[string]any)["kid"] != key["kid"] {
		t.Errorf("the key changed on a PATCH: %v", again)
	}

	admin := up.tenant.Users[0]
	appl := newBrokerApp(t, down)
	signInUpstream := func() (*http.Client, string) {
		downJar, upJar := browser(t), browser(t)
		toUp := appl.authorize(downJar, "acme")
		back := signIn(t, upJar, toUp.String(), admin.Email, admin.Password)
		if !strings.HasPrefix(back.String(), down.issuer+"login/callback?") {
			t.Fatalf("upstream answered to %s", back)
		}
		return downJar, back.String()
	}

	// The upstream does not know the key yet: the exchange is refused, the app told access_denied.
	jar, back := signInUpstream()
	cb := appl.finish(jar, back)
	if cb.Query().Get("error") != "access_denied" || !strings.Contains(cb.Query().Get("error_description"), "refused the authorization code") {
		t.Fatalf("unregistered key: %s", cb)
	}

	// Registered at the upstream as the client's only way to authenticate.
	clientID := client["client_id"].(string)
	status, cred := upM.do("POST", "clients/"+clientID+"/credentials", map[string]any{"credential_type": "public_key",
		"name": "downstream connection", "pem": cert, "alg": "RS256", "kid": key["kid"]})
	if status != http.StatusCreated {
		t.Fatalf("upstream credential: %d %v", status, cred)
	}
	if status, out := upM.do("PATCH", "clients/"+clientID, map[string]any{"client_authentication_methods": map[string]any{
		"private_key_jwt": map[string]any{"credentials": []map[string]any{{"id": cred["id"]}}}}}); status != http.StatusOK {
		t.Fatalf("upstream client: private_key_jwt: %d %v", status, out)
	}
	jar, back = signInUpstream()
	claims := appl.idToken(appl.finish(jar, back))
	if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "oidc|acme|") || claims["email"] != admin.Email {
		t.Fatalf("ID token through private_key_jwt: %v", claims)
	}

	// The connection's keys are its own: another connection's key is not the client's credential.
	// (A second connection at the same upstream client, with its own key pair, is refused there.)
	other := map[string]any{"name": "acme-other", "strategy": "oidc", "enabled_clients": []string{down.tenant.WebApp.ClientID}, "options": opts}
	if status, out := downM.do("POST", "connections", other); status != http.StatusCreated {
		t.Fatalf("second connection: %d %v", status, out)
	}
	downJar, upJar := browser(t), browser(t)
	back2 := signIn(t, upJar, appl.authorize(downJar, "acme-other").String(), admin.Email, admin.Password)
	if cb := appl.finish(downJar, back2.String()); cb.Query().Get("error") != "access_denied" {
		t.Errorf("a connection whose key the upstream does not know: %s", cb)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != devtenant.Callback {
		t.Errorf("callback %s", got)
	}
}
