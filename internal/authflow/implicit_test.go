package authflow_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/token"
)

var hiddenField = regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)

// formPostFields reads the hidden fields of a form_post page.
func formPostFields(tb testing.TB, p page) url.Values {
	tb.Helper()
	if p.status != http.StatusOK || !strings.Contains(p.body, `<form method="post"`) {
		tb.Fatalf("want a form_post page, got %d %q\n%s", p.status, p.location, p.body)
	}
	out := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(p.body, -1) {
		out.Set(m[1], html.UnescapeString(m[2]))
	}
	return out
}

// fragmentOf checks p is a redirect to redirectURI carrying a fragment and returns its values.
func fragmentOf(tb testing.TB, p page, redirectURI string) url.Values {
	tb.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, redirectURI+"#") {
		tb.Fatalf("want a redirect to %s#…, got %d %q", redirectURI, p.status, p.location)
	}
	v, err := url.ParseQuery(strings.TrimPrefix(p.location, redirectURI+"#"))
	must(tb, err)
	return v
}

func jwtClaims(tb testing.TB, raw string) map[string]any {
	tb.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(tb, err)
	var m map[string]any
	must(tb, json.Unmarshal(b, &m))
	return m
}

// The implicit (id_token) and hybrid (code id_token) responses, for a client that enabled the
// implicit grant: what express-openid-connect asks for by default (id_token, form_post, a nonce).
func TestImplicitAndHybrid(t *testing.T) {
	e := newEnv(t, envOptions{idTokens: true})
	app := &domain.Client{ClientID: domain.NewClientID(), Name: "Express app", AppType: domain.AppTypeRegularWeb,
		Callbacks: []string{"http://localhost:3000/callback"}, SecretHash: domain.HashSecret("s"),
		GrantTypes: []string{domain.GrantAuthorizationCode, domain.GrantRefreshToken, domain.GrantImplicit}}
	domain.ApplyClientDefaults(app)
	must(t, app.Validate())
	must(t, e.st.CreateClient(context.Background(), app))
	params := func(extra ...string) url.Values {
		q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"http://localhost:3000/callback"}, "response_type": {"id_token"},
			"response_mode": {"form_post"}, "scope": {"openid profile email"}, "nonce": {"n-0S6_WzA2Mj"}, "state": {"st&1"}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				q.Del(extra[i])
			} else {
				q.Set(extra[i], extra[i+1])
			}
		}
		return q
	}
	signIn := func(q url.Values) page {
		c := e.browser(t)
		lp, csrf := e.startLogin(t, c, q)
		return e.post(t, c, lp, url.Values{"state": {stateOf(lp)}, "csrf": {csrf}, "username": {userEmail}, "password": {userPassword}})
	}
	checkIDToken := func(t *testing.T, raw string) map[string]any {
		t.Helper()
		claims := jwtClaims(t, raw)
		if claims["aud"] != app.ClientID || claims["sub"] != e.userID || claims["nonce"] != "n-0S6_WzA2Mj" || claims["email"] != userEmail || claims["sid"] == nil {
			t.Errorf("ID token claims %v", claims)
		}
		if _, _, _, err := e.tokens.VerifyIDTokenHint(context.Background(), raw); err != nil {
			t.Errorf("ID token not signed by the issuer's keys: %v", err)
		}
		return claims
	}

	t.Run("id_token by form_post", func(t *testing.T) {
		f := formPostFields(t, signIn(params()))
		if f.Get("state") != "st&1" || f.Get("code") != "" || f.Get("access_token") != "" {
			t.Errorf("fields %v", f)
		}
		if claims := checkIDToken(t, f.Get("id_token")); claims["c_hash"] != nil {
			t.Errorf("c_hash without a code: %v", claims["c_hash"])
		}
	})
	t.Run("code id_token by form_post", func(t *testing.T) {
		f := formPostFields(t, signIn(params("response_type", "id_token code")))
		code := f.Get("code")
		claims := checkIDToken(t, f.Get("id_token"))
		if code == "" || claims["c_hash"] != token.CodeHash(code) {
			t.Fatalf("code %q, c_hash %v", code, claims["c_hash"])
		}
		if rec := e.redeem(t, code); rec.ClientID != app.ClientID || rec.Nonce != "n-0S6_WzA2Mj" {
			t.Errorf("code record %+v", rec)
		}
	})
	t.Run("id_token in the fragment by default", func(t *testing.T) {
		f := fragmentOf(t, signIn(params("response_mode", "")), "http://localhost:3000/callback")
		checkIDToken(t, f.Get("id_token"))
		if f.Get("state") != "st&1" {
			t.Errorf("state %q", f.Get("state"))
		}
	})

	// Bad input: each an error to the redirect URI (in the mode an ID token would have used), no
	// transaction, no code, no token.
	web := func(extra ...string) url.Values {
		q := params(extra...)
		q.Set("client_id", e.webApp.ClientID)
		q.Set("redirect_uri", webAppCallback)
		return q
	}
	tests := []struct {
		name     string
		q        url.Values
		fragment bool
		code     string
		desc     string
	}{
		{"client without implicit: id_token", web("response_mode", ""), true, "unauthorized_client", "enable the implicit grant"},
		{"client without implicit: code id_token", web("response_type", "code id_token"), false, "unauthorized_client", "implicit"},
		{"token", params("response_type", "token"), false, "unsupported_response_type", "access tokens are never returned"},
		{"id_token token", params("response_type", "id_token token", "response_mode", ""), true, "unsupported_response_type", "use response_type=code"},
		{"code token", params("response_type", "code token"), false, "unsupported_response_type", "token"},
		{"unknown type", params("response_type", "id_token magic"), false, "unsupported_response_type", "magic"},
		{"repeated type", params("response_type", "id_token id_token"), false, "invalid_request", "twice"},
		{"no nonce", params("nonce", ""), false, "invalid_request", "Missing required parameter: nonce"},
		{"no openid", params("scope", "profile"), false, "invalid_request", "openid"},
		{"id_token in a query", params("response_mode", "query"), false, "invalid_request", "cannot carry an id_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.logTypes(t))
			p := e.get(t, e.browser(t), "/authorize?"+tt.q.Encode())
			var got url.Values
			switch {
			case tt.fragment:
				got = fragmentOf(t, p, tt.q.Get("redirect_uri"))
			case tt.q.Get("response_mode") == "form_post":
				got = formPostFields(t, p)
			default:
				got = callbackQuery(t, p, tt.q.Get("redirect_uri"))
			}
			if got.Get("error") != tt.code || !strings.Contains(got.Get("error_description"), tt.desc) {
				t.Errorf("error %q %q, want %q containing %q", got.Get("error"), got.Get("error_description"), tt.code, tt.desc)
			}
			if got.Get("id_token") != "" || got.Get("code") != "" || got.Get("state") != "st&1" {
				t.Errorf("response %v", got)
			}
			if after := len(e.logTypes(t)); after != before {
				t.Errorf("the refusal changed the tenant log (%d → %d)", before, after)
			}
		})
	}
}
