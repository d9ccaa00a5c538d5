package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/sdk/apiauth"
)

// TestHS256PerAPI: an API with signing_alg HS256 gets a generated signing_secret (or the caller's,
// at least 32 characters), shown back by the Management API and stored only sealed; its access
// tokens are HMAC-SHA256 under that secret with no kid, verify with golang-jwt and with
// sdk/apiauth given the secret, and are refused by sdk/apiauth pinned to RS256. The JWKS never
// lists anything HS256, and a PATCH with a new secret rotates it. SQLite, and PostgreSQL when
// GATEHOUSE_TEST_POSTGRES_URL is set.
func TestHS256PerAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testHS256PerAPI(t, startNode(t)) })
	t.Run("postgres", func(t *testing.T) { testHS256PerAPI(t, startPostgresNodes(t, 1)[0]) })
}

func testHS256PerAPI(t *testing.T, n *node) {
	m := newMgmtClient(t, n)
	const audience = "https://hs.example.test"
	status, created := m.do("POST", "resource-servers", map[string]any{"name": "HMAC API", "identifier": audience,
		"signing_alg": "HS256", "scopes": []map[string]string{{"value": "read:x"}}})
	if status != http.StatusCreated {
		t.Fatalf("create HS256 API: %d %v", status, created)
	}
	secret, _ := created["signing_secret"].(string)
	if created["signing_alg"] != "HS256" || len(secret) < 32 {
		t.Fatalf("created API: alg %v, signing_secret %q; want HS256 and a generated secret of 32+ characters", created["signing_alg"], secret)
	}
	if _, leaked := created["signing_secret_sealed"]; leaked {
		t.Errorf("the response shows the sealed form: %v", created)
	}
	id := fmt.Sprint(created["id"])
	if _, got := m.do("GET", "resource-servers/"+id, nil); got["signing_secret"] != secret {
		t.Errorf("GET signing_secret %v; want the generated one", got["signing_secret"])
	}
	for _, short := range []string{"too-short", strings.Repeat("s", 31), ""} {
		status, out := m.do("POST", "resource-servers", map[string]any{"identifier": "https://short.example.test/" + fmt.Sprint(len(short)),
			"signing_alg": "HS256", "signing_secret": short})
		if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["message"]), "signing_secret") {
			t.Errorf("signing_secret of %d characters: %d %v; want 400 naming signing_secret", len(short), status, out)
		}
	}
	if status, out := m.do("POST", "client-grants", map[string]any{"client_id": n.tenant.M2MApp.ClientID,
		"audience": audience, "scope": []string{"read:x"}}); status != http.StatusCreated {
		t.Fatalf("create grant: %d %v", status, out)
	}

	// The database row holds the secret sealed, never in clear.
	db := n.Store.(interface{ DB() *sql.DB }).DB()
	var doc string
	if err := db.QueryRowContext(context.Background(), "SELECT doc FROM resource_servers WHERE identifier = '"+audience+"'").Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc, secret) || !strings.Contains(doc, "signing_secret_sealed") {
		t.Errorf("stored document %s: want the secret sealed only", doc)
	}

	ctx := context.Background()
	token := func() string {
		t.Helper()
		cc := clientcredentials.Config{ClientID: n.tenant.M2MApp.ClientID, ClientSecret: n.tenant.M2MApp.ClientSecret,
			TokenURL: n.issuer + "oauth/token", EndpointParams: url.Values{"audience": {audience}}}
		tk, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		return tk.AccessToken
	}
	raw := token()
	if h := decodeJWTHeader(t, raw); h["alg"] != "HS256" || h["kid"] != nil {
		t.Errorf("header %v; want alg HS256 and no kid", h)
	}
	verifyJWT := func(raw, secret string) error {
		_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return []byte(secret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(n.issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired())
		return err
	}
	if err := verifyJWT(raw, secret); err != nil {
		t.Errorf("golang-jwt rejected the HS256 token: %v", err)
	}

	// sdk/apiauth: accepted with the secret, refused when pinned to RS256 (no algorithm confusion).
	call := func(cfg apiauth.Config, raw string) int {
		t.Helper()
		mw, err := apiauth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })))
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hs := apiauth.Config{IssuerBaseURL: n.issuer, Audience: audience, Algorithms: []string{"HS256"}, HS256Secret: []byte(secret)}
	if got := call(hs, raw); got != http.StatusNoContent {
		t.Errorf("sdk/apiauth with the secret: %d; want 204", got)
	}
	if got := call(apiauth.Config{IssuerBaseURL: n.issuer, Audience: audience}, raw); got != http.StatusUnauthorized {
		t.Errorf("sdk/apiauth pinned to RS256 accepted an HS256 token: %d", got)
	}

	// Nothing HS256 in the JWKS.
	resp, err := http.Get(n.issuer + ".well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks: %v %s", err, body)
	}
	for _, k := range set.Keys {
		if k["alg"] == "HS256" || k["kty"] == "oct" {
			t.Errorf("JWKS publishes %v", k)
		}
	}

	// Rotation: PATCH a new secret; new tokens verify under it only.
	rotated := strings.Repeat("r0tated-secret-", 3)
	if status, out := m.do("PATCH", "resource-servers/"+id, map[string]any{"signing_secret": rotated}); status != http.StatusOK || out["signing_secret"] != rotated {
		t.Fatalf("rotate secret: %d %v", status, out)
	}
	raw = token()
	if err := verifyJWT(raw, rotated); err != nil {
		t.Errorf("token after rotation does not verify with the new secret: %v", err)
	}
	if err := verifyJWT(raw, secret); err == nil {
		t.Error("token after rotation verifies with the old secret")
	}
	// A PATCH that does not name the secret keeps it.
	if status, out := m.do("PATCH", "resource-servers/"+id, map[string]any{"name": "HMAC API 2"}); status != http.StatusOK || out["signing_secret"] != rotated {
		t.Errorf("PATCH without a secret: %d %v; want the secret kept", status, out)
	}
}
