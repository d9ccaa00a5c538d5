package token_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/keys/keystest"
	"github.com/gatehouse/gatehouse/internal/token"
)

const issuer = "https://auth.example.test/"

var master = bytes.Repeat([]byte{3}, 32)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func MustIssuer(tb testing.TB) (*token.Issuer, *keys.Manager, *clock) {
	tb.Helper()
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m, err := keys.NewManager(context.Background(), &keystest.MemKeyStore{}, master, keys.Options{Now: clk.Now, UnknownKIDReloadInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	iss, err := token.NewIssuer(token.Options{Issuer: issuer, Keys: m, MasterKey: master, Now: clk.Now, Leeway: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return iss, m, clk
}

// decode splits a JWT without verifying it.
func decode(tb testing.TB, raw string) (header, claims map[string]any) {
	tb.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWS: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			tb.Fatalf("part %d: %v: %s", i, err, b)
		}
	}
	return header, claims
}

func api(dialect string, rbac bool) *domain.ResourceServer {
	rs := &domain.ResourceServer{Identifier: "https://api.example.test", TokenDialect: dialect, EnforcePolicies: rbac}
	domain.ApplyResourceServerDefaults(rs)
	return rs
}

func TestAccessTokenClaims(t *testing.T) {
	iss, m, clk := MustIssuer(t)
	ctx := context.Background()
	cur, _ := m.Current(ctx, keys.RS256)
	for _, tc := range []struct {
		name   string
		p      token.AccessTokenParams
		typ    string
		want   map[string]any
		absent []string
	}{
		{
			name:   "client credentials, auth0 dialect",
			p:      token.AccessTokenParams{Subject: "abc@clients", ClientID: "abc", API: api(domain.DialectAccessToken, false), Scope: "read:a", GrantType: token.GTYClientCredentials},
			typ:    "JWT",
			want:   map[string]any{"iss": issuer, "sub": "abc@clients", "aud": "https://api.example.test", "azp": "abc", "gty": "client-credentials", "scope": "read:a", "iat": float64(clk.t.Unix()), "exp": float64(clk.t.Add(24 * time.Hour).Unix())},
			absent: []string{"permissions", "client_id", "jti"},
		},
		{
			name:   "user with openid and permissions",
			p:      token.AccessTokenParams{Subject: "auth0|1", ClientID: "abc", API: api(domain.DialectAccessTokenAuthz, true), Scope: "openid read:a", OpenID: true, Permissions: []string{"read:a", "write:a"}},
			typ:    "JWT",
			want:   map[string]any{"aud": []any{"https://api.example.test", issuer + "userinfo"}, "permissions": []any{"read:a", "write:a"}},
			absent: []string{"gty"},
		},
		{
			name: "authz dialect with no permissions writes an empty list",
			p:    token.AccessTokenParams{Subject: "auth0|1", ClientID: "abc", API: api(domain.DialectAccessTokenAuthz, true), Scope: ""},
			typ:  "JWT",
			want: map[string]any{"permissions": []any{}},
		},
		{
			name:   "rfc 9068 dialect",
			p:      token.AccessTokenParams{Subject: "auth0|1", ClientID: "abc", API: api(domain.DialectRFC9068Profile, false), Scope: "read:a", GrantType: token.GTYRefreshToken},
			typ:    "at+jwt",
			want:   map[string]any{"client_id": "abc"},
			absent: []string{"azp", "gty", "permissions"},
		},
		{
			name: "an actor is written as act (RFC 8693)",
			p: token.AccessTokenParams{Subject: "abc@clients", ClientID: "abc", API: api(domain.DialectAccessToken, false), Scope: "read:a",
				GrantType: token.GTYClientCredentials, Actor: "auth0|admin"},
			typ:  "JWT",
			want: map[string]any{"act": map[string]any{"sub": "auth0|admin"}},
		},
		{
			name: "custom act claims are reserved",
			p: token.AccessTokenParams{Subject: "abc@clients", ClientID: "abc", API: api(domain.DialectAccessToken, false), Scope: "read:a",
				GrantType: token.GTYClientCredentials, Custom: map[string]any{"act": map[string]any{"sub": "auth0|admin"}}},
			typ:    "JWT",
			absent: []string{"act"},
		},
		{
			name: "custom claims, reserved names dropped",
			p: token.AccessTokenParams{Subject: "auth0|1", ClientID: "abc", API: api(domain.DialectAccessToken, false), Scope: "x",
				Custom: map[string]any{"https://app/roles": []string{"admin"}, "iss": "evil", "scope": "admin", "permissions": []string{"all"}, "sub": "root"}},
			typ:    "JWT",
			want:   map[string]any{"https://app/roles": []any{"admin"}, "iss": issuer, "scope": "x", "sub": "auth0|1"},
			absent: []string{"permissions"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, err := iss.AccessToken(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if at.ExpiresIn != 86400 {
				t.Errorf("expires_in = %d", at.ExpiresIn)
			}
			h, c := decode(t, at.Token)
			if h["alg"] != "RS256" || h["typ"] != tc.typ || h["kid"] != cur.KID {
				t.Errorf("header %v", h)
			}
			for k, v := range tc.want {
				gb, _ := json.Marshal(c[k])
				wb, _ := json.Marshal(v)
				if !bytes.Equal(gb, wb) {
					t.Errorf("%s = %s, want %s", k, gb, wb)
				}
			}
			for _, k := range tc.absent {
				if _, ok := c[k]; ok {
					t.Errorf("%s present: %v", k, c[k])
				}
			}
			if tc.typ == "at+jwt" {
				if jti, _ := c["jti"].(string); len(jti) < 16 {
					t.Errorf("jti %q", jti)
				}
			}
		})
	}
}

func TestIDTokenClaims(t *testing.T) {
	iss, _, clk := MustIssuer(t)
	ctx := context.Background()
	client := &domain.Client{ClientID: "cid"}
	domain.ApplyClientDefaults(client)
	user := &domain.User{UserID: "auth0|abc", Email: "jane@example.test", EmailVerified: true, GivenName: "Jane",
		UpdatedAt: time.Date(2024, 1, 1, 10, 0, 0, 123456789, time.UTC)}
	domain.ApplyUserDefaults(user)
	auth := clk.t.Add(-time.Minute)
	for _, tc := range []struct {
		name   string
		p      token.IDTokenParams
		want   map[string]any
		absent []string
	}{
		{
			name: "profile and email",
			p:    token.IDTokenParams{Client: client, User: user, Scope: "openid profile email", Nonce: "n-1", SessionID: "sid-1"},
			want: map[string]any{"iss": issuer, "sub": "auth0|abc", "aud": "cid", "nonce": "n-1", "sid": "sid-1", "name": "jane@example.test",
				"nickname": "jane", "given_name": "Jane", "updated_at": "2024-01-01T10:00:00.123Z", "email": "jane@example.test", "email_verified": true,
				"exp": float64(clk.t.Add(36000 * time.Second).Unix())},
			absent: []string{"auth_time", "family_name"},
		},
		{
			name:   "openid only",
			p:      token.IDTokenParams{Client: client, User: user, Scope: "openid", AuthTime: auth, IncludeAuthTime: true},
			want:   map[string]any{"auth_time": float64(auth.Unix())},
			absent: []string{"name", "email", "nonce", "sid", "picture", "updated_at"},
		},
		{
			name: "action claims: namespaced kept, reserved dropped, profile claims need their scope",
			p: token.IDTokenParams{Client: client, User: user, Scope: "openid email", Custom: map[string]any{
				"https://yourapp.com/roles": []string{"admin"}, "aud": "other", "nonce": "x", "name": "From Action", "email": "a@b.test"}},
			want:   map[string]any{"https://yourapp.com/roles": []any{"admin"}, "aud": "cid", "email": "a@b.test"},
			absent: []string{"name", "nonce"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := iss.IDToken(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			_, c := decode(t, raw)
			for k, v := range tc.want {
				gb, _ := json.Marshal(c[k])
				wb, _ := json.Marshal(v)
				if !bytes.Equal(gb, wb) {
					t.Errorf("%s = %s, want %s", k, gb, wb)
				}
			}
			for _, k := range tc.absent {
				if _, ok := c[k]; ok {
					t.Errorf("%s present: %v", k, c[k])
				}
			}
		})
	}
}

func TestVerify(t *testing.T) {
	iss, m, clk := MustIssuer(t)
	ctx := context.Background()
	rs := api(domain.DialectAccessToken, false)
	at, err := iss.AccessToken(ctx, token.AccessTokenParams{Subject: "c@clients", ClientID: "c", API: rs, Scope: "read:a", GrantType: token.GTYClientCredentials})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(ctx, at.Token, rs.Identifier)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "c@clients" || c.Client() != "c" || !c.HasScope("read:a") || c.GTY != "client-credentials" {
		t.Fatalf("claims %+v", c)
	}
	cur, _ := m.Current(ctx, keys.RS256)
	forge := func(method jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := jwt.MapClaims{"iss": issuer, "aud": rs.Identifier, "sub": "x", "exp": clk.t.Add(time.Hour).Unix()}
	for _, tc := range []struct {
		name, raw, aud string
	}{
		{"other audience", at.Token, "https://other.example.test"},
		{"alg none", forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good, cur.KID), rs.Identifier},
		{"HS256 keyed with the kid", forge(jwt.SigningMethodHS256, []byte(cur.KID), good, cur.KID), rs.Identifier},
		{"unknown kid", forge(jwt.SigningMethodRS256, cur.Key(), good, "nope"), rs.Identifier},
		{"other issuer", forge(jwt.SigningMethodRS256, cur.Key(), jwt.MapClaims{"iss": "https://auth.example.test", "aud": rs.Identifier, "exp": clk.t.Add(time.Hour).Unix()}, cur.KID), rs.Identifier},
		{"no exp", forge(jwt.SigningMethodRS256, cur.Key(), jwt.MapClaims{"iss": issuer, "aud": rs.Identifier}, cur.KID), rs.Identifier},
		{"garbage", "a.b.c", rs.Identifier},
		{"tampered payload", at.Token[:strings.Index(at.Token, ".")+1] + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+issuer+`","aud":"`+rs.Identifier+`","exp":9999999999,"scope":"admin"}`)) + at.Token[strings.LastIndex(at.Token, "."):], rs.Identifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := iss.Verify(ctx, tc.raw, tc.aud); !errors.Is(err, token.ErrInvalidToken) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
	t.Run("expiry with leeway", func(t *testing.T) {
		saved := clk.t
		defer func() { clk.t = saved }()
		clk.t = saved.Add(24*time.Hour + 5*time.Second)
		if _, err := iss.Verify(ctx, at.Token, rs.Identifier); err != nil {
			t.Fatalf("within leeway: %v", err)
		}
		clk.t = saved.Add(24*time.Hour + 11*time.Second)
		if _, err := iss.Verify(ctx, at.Token, rs.Identifier); err == nil {
			t.Fatal("expired token accepted")
		}
	})
}

func TestRotationKeepsOldTokensVerifiable(t *testing.T) {
	iss, m, clk := MustIssuer(t)
	ctx := context.Background()
	rs := api(domain.DialectAccessToken, false)
	p := token.AccessTokenParams{Subject: "c@clients", ClientID: "c", API: rs, Scope: "a"}
	before, _ := iss.AccessToken(ctx, p)
	oldKID := m.Signers()[0].KID
	clk.t = clk.t.Add(time.Hour) // the next key has been published for an hour
	newCur, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := iss.AccessToken(ctx, p)
	if h, _ := decode(t, after.Token); h["kid"] != newCur.KID || newCur.KID == oldKID {
		t.Fatalf("new token signed with %v, want %s", h["kid"], newCur.KID)
	}
	for _, raw := range []string{before.Token, after.Token} {
		if _, err := iss.Verify(ctx, raw, rs.Identifier); err != nil {
			t.Fatalf("token no longer verifies after rotation: %v", err)
		}
	}
	if err := m.Revoke(ctx, oldKID); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(ctx, before.Token, rs.Identifier); err == nil {
		t.Fatal("token of a revoked key still verifies")
	}
}

func TestES256API(t *testing.T) {
	iss, _, _ := MustIssuer(t)
	ctx := context.Background()
	rs := api(domain.DialectAccessToken, false)
	rs.SigningAlg = "ES256"
	at, err := iss.AccessToken(ctx, token.AccessTokenParams{Subject: "s", ClientID: "c", API: rs, Scope: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := decode(t, at.Token); h["alg"] != "ES256" {
		t.Fatalf("alg %v", h["alg"])
	}
	if _, err := iss.Verify(ctx, at.Token, rs.Identifier); err != nil {
		t.Fatal(err)
	}
}

func TestOpaqueUserinfoToken(t *testing.T) {
	iss, _, clk := MustIssuer(t)
	ctx := context.Background()
	at, err := iss.AccessToken(ctx, token.AccessTokenParams{Subject: "auth0|1", ClientID: "c", Scope: "openid profile", SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(at.Token, ".") {
		t.Fatal("opaque token looks like a JWT")
	}
	c, err := iss.VerifyUserinfo(ctx, at.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "auth0|1" || c.Scope != "openid profile" || c.Client() != "c" || c.SessionID != "s1" || !c.Opaque {
		t.Fatalf("claims %+v", c)
	}
	b, _ := base64.RawURLEncoding.DecodeString(at.Token)
	b[len(b)-1] ^= 1
	if _, err := iss.VerifyUserinfo(ctx, base64.RawURLEncoding.EncodeToString(b)); err == nil {
		t.Fatal("tampered opaque token accepted")
	}
	// Another tenant (issuer) with the same master key cannot read it.
	other, _ := token.NewIssuer(token.Options{Issuer: "https://other.example.test/", Keys: mustKeys(t), MasterKey: master, Now: clk.Now})
	if _, err := other.VerifyUserinfo(ctx, at.Token); err == nil {
		t.Fatal("token opened under another issuer")
	}
	clk.t = clk.t.Add(token.OpaqueLifetime + time.Minute)
	if _, err := iss.VerifyUserinfo(ctx, at.Token); err == nil {
		t.Fatal("expired opaque token accepted")
	}
}

func mustKeys(tb testing.TB) *keys.Manager {
	m, err := keys.NewManager(context.Background(), &keystest.MemKeyStore{}, master, keys.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// The actor claim survives verification, for the Management API to log the person it names.
func TestVerifyReadsActor(t *testing.T) {
	iss, _, _ := MustIssuer(t)
	ctx := context.Background()
	rs := api(domain.DialectAccessToken, false)
	at, err := iss.AccessToken(ctx, token.AccessTokenParams{Subject: "abc@clients", ClientID: "abc", API: rs, Scope: "read:a",
		GrantType: token.GTYClientCredentials, Actor: "auth0|admin"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(ctx, at.Token, rs.Identifier)
	if err != nil || c.Act == nil || c.Act.Sub != "auth0|admin" {
		t.Fatalf("verified claims: %+v %v", c, err)
	}
}

// CodeHash against OpenID Connect Core Appendix A.4 (the code and c_hash of its example).
func TestCodeHash(t *testing.T) {
	if got := token.CodeHash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"); got != "LDktKdoQak3Pk0cnXxCltA" {
		t.Errorf("CodeHash = %q, want LDktKdoQak3Pk0cnXxCltA", got)
	}
}
