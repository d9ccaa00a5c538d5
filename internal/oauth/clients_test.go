package oauth_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestClientCredentialsWithOutsideClients: golang.org/x/oauth2 obtains a token with either secret
// method, and auth0/go-jwt-middleware's validator, fed by its caching JWKS provider, accepts it for the
// right issuer and audience only.
func TestClientCredentialsWithOutsideClients(t *testing.T) {
	e := MustEnv(t, envOptions{realNow: true})
	ctx := context.Background()
	issURL, _ := url.Parse(e.Issuer)
	provider := jwtmiddleware.NewCachingProvider(issURL, 5*time.Minute)
	okValidator, err := validator.New(provider.KeyFunc, validator.RS256, e.Issuer, []string{apiID})
	must(t, err)
	otherValidator, err := validator.New(provider.KeyFunc, validator.RS256, e.Issuer, []string{"https://other.example.test"})
	must(t, err)

	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := clientcredentials.Config{
			ClientID: m2mID, ClientSecret: m2mSecret, TokenURL: e.url("oauth/token"), AuthStyle: style,
			Scopes: []string{"read:a"}, EndpointParams: url.Values{"audience": {apiID}},
		}
		tok, err := cfg.Token(ctx)
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
			t.Errorf("style %v: token %+v", style, tok)
		}
		if scope, _ := tok.Extra("scope").(string); scope != "read:a" {
			t.Errorf("scope = %q", scope)
		}
		got, err := okValidator.ValidateToken(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("style %v: validator rejects the token: %v", style, err)
		}
		vc := got.(*validator.ValidatedClaims)
		if vc.RegisteredClaims.Subject != m2mID+"@clients" || vc.RegisteredClaims.Issuer != e.Issuer {
			t.Errorf("claims %+v", vc.RegisteredClaims)
		}
		if _, err := otherValidator.ValidateToken(ctx, tok.AccessToken); err == nil {
			t.Fatal("validator accepted the token for another audience")
		}
	}
}

// TestDiscoveryWithGoOIDC: coreos/go-oidc reads the discovery document (it checks issuer equality)
// from the issuer as SDKs build it, and the JWKS it names.
func TestDiscoveryWithGoOIDC(t *testing.T) {
	e := MustEnv(t, envOptions{realNow: true})
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, e.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if p.Endpoint().TokenURL != e.Issuer+"oauth/token" || p.Endpoint().AuthURL != e.Issuer+"authorize" || p.UserInfoEndpoint() != e.Issuer+"userinfo" {
		t.Fatalf("endpoints %+v", p.Endpoint())
	}
	// An ID token signed by Gatehouse verifies through go-oidc's remote key set.
	var claims struct {
		EndSession    string   `json:"end_session_endpoint"`
		Methods       []string `json:"code_challenge_methods_supported"`
		Device        string   `json:"device_authorization_endpoint"`
		Introspection string   `json:"introspection_endpoint"`
		Grants        []string `json:"grant_types_supported"`
	}
	must(t, p.Claims(&claims))
	if claims.EndSession != e.Issuer+"oidc/logout" || len(claims.Methods) != 1 || claims.Methods[0] != "S256" ||
		claims.Device != e.Issuer+"oauth/device/code" || claims.Introspection != e.Issuer+"oauth/introspect" ||
		!slices.Contains(claims.Grants, "urn:ietf:params:oauth:grant-type:device_code") {
		t.Fatalf("discovery %+v", claims)
	}
}

func TestDiscoveryAndJWKSDocuments(t *testing.T) {
	e := MustEnv(t, envOptions{})
	get := func(path, inm string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+path, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		res, err := e.Server.Client().Do(req)
		must(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	res := get("/.well-known/openid-configuration", "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=300" || res.Header.Get("ETag") == "" {
		t.Fatalf("discovery: %d %v", res.StatusCode, res.Header)
	}
	if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) || res.TransferEncoding != nil {
		t.Errorf("discovery sent in chunks (Content-Length %q): the body is prebuilt", res.Header.Get("Content-Length"))
	}
	var doc map[string]any
	must(t, json.Unmarshal(body, &doc))
	if doc["issuer"] != e.Issuer {
		t.Errorf("issuer %v", doc["issuer"])
	}
	for k, v := range doc {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "http") && strings.Contains(strings.TrimPrefix(s, "http://"), "//") {
			t.Errorf("%s has a double slash: %s", k, s)
		}
	}
	for k, want := range map[string]string{
		"response_types_supported":                         `["code","id_token","code id_token"]`,
		"response_modes_supported":                         `["query","fragment","form_post","web_message"]`,
		"grant_types_supported":                            `["authorization_code","implicit","refresh_token","client_credentials","password","http://auth0.com/oauth/grant-type/password-realm","urn:ietf:params:oauth:grant-type:device_code"]`,
		"request_parameter_supported":                      `false`,
		"request_uri_parameter_supported":                  `false`,
		"code_challenge_methods_supported":                 `["S256"]`,
		"id_token_signing_alg_values_supported":            `["RS256"]`,
		"token_endpoint_auth_methods_supported":            `["client_secret_basic","client_secret_post","private_key_jwt"]`,
		"token_endpoint_auth_signing_alg_values_supported": `["RS256","RS384","PS256"]`,
		"dpop_signing_alg_values_supported":                `["ES256","ES384","ES512","RS256","RS384","RS512","PS256","PS384","PS512","EdDSA"]`,
		"pushed_authorization_request_endpoint":            `"` + e.Issuer + `oauth/par"`,
		"require_pushed_authorization_requests":            `false`,
		"backchannel_logout_supported":                     `true`,
		"backchannel_logout_session_supported":             `true`,
	} {
		if got, _ := json.Marshal(doc[k]); string(got) != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if r := get("/.well-known/openid-configuration", res.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.StatusCode)
	}
	// The double-slash form SDKs produce from a base URL with a trailing slash still reaches it.
	if r := get("//.well-known/openid-configuration", ""); r.StatusCode != 200 {
		t.Errorf("//.well-known: %d", r.StatusCode)
	}

	res = get("/.well-known/jwks.json", "")
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("jwks: %d %v", res.StatusCode, res.Header)
	}
	var set struct{ Keys []map[string]any }
	must(t, json.Unmarshal(body, &set))
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS lists %d keys, want current and next", len(set.Keys))
	}
	for _, k := range set.Keys {
		for _, f := range []string{"kty", "use", "alg", "kid", "n", "e", "x5c", "x5t"} {
			if k[f] == nil {
				t.Errorf("JWKS key lacks %s: %v", f, k)
			}
		}
	}
	// After a rotation the JWKS lists next, current and previous, and the ETag changes.
	etag := res.Header.Get("ETag")
	if _, err := e.Keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	res = get("/.well-known/jwks.json", etag)
	body, _ = io.ReadAll(res.Body)
	must(t, json.Unmarshal(body, &set))
	if res.StatusCode != 200 || len(set.Keys) != 3 {
		t.Fatalf("after rotation: %d, %d keys", res.StatusCode, len(set.Keys))
	}
	if res.Header.Get("ETag") == etag || res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("after rotation: ETag %q (was %q), Content-Length %q for %d bytes", res.Header.Get("ETag"), etag, res.Header.Get("Content-Length"), len(body))
	}
	if r := get("/.well-known/jwks.json", res.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the new ETag: %d", r.StatusCode)
	}
}

// TestSigningKeysSealedInSQLite: what the real store holds is ciphertext, not a PEM or DER key.
func TestSigningKeysSealedInSQLite(t *testing.T) {
	e := MustEnv(t, envOptions{})
	stored, err := e.Store.ListSigningKeys(context.Background())
	must(t, err)
	if len(stored) != 2 {
		t.Fatalf("%d keys stored", len(stored))
	}
	for _, k := range stored {
		if strings.Contains(string(k.PrivateKeyEncrypted), "PRIVATE KEY") {
			t.Fatal("private key stored as PEM")
		}
		if _, err := x509.ParsePKCS8PrivateKey(k.PrivateKeyEncrypted); err == nil {
			t.Fatal("private key stored as plain PKCS #8")
		}
	}
}
