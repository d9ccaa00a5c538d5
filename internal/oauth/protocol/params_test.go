package protocol_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

func TestParseBody(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		want           map[string]string
		bad            bool
	}{
		{"form", "application/x-www-form-urlencoded", "a=1&b=x+y&c=%2F", map[string]string{"a": "1", "b": "x y", "c": "/"}, false},
		{"form with charset", "application/x-www-form-urlencoded; charset=UTF-8", "a=1", map[string]string{"a": "1"}, false},
		{"no content type is read as a form", "", "a=1", map[string]string{"a": "1"}, false},
		{"empty pairs skipped", "application/x-www-form-urlencoded", "&a=1&&", map[string]string{"a": "1"}, false},
		{"repeated", "application/x-www-form-urlencoded", "a=1&a=2", nil, true},
		{"bad escape", "application/x-www-form-urlencoded", "a=%zz", nil, true},
		{"json scalars", "application/json", `{"a":"1","n":5,"b":true,"z":null,"o":{"x":1},"l":[1]}`, map[string]string{"a": "1", "n": "5", "b": "true"}, false},
		{"json repeated", "application/json", `{"a":"1","a":"2"}`, nil, true},
		{"json not an object", "application/json", `["a"]`, nil, true},
		{"json trailing garbage inside", "application/json", `{"a":"1",}`, nil, true},
		{"other type", "text/plain", "a=1", nil, true},
		{"bad media type", "application/", "a=1", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			p, err := protocol.ParseBody(r)
			if tc.bad {
				if err == nil || err.Status != 400 || err.Code != "invalid_request" {
					t.Fatalf("accepted: %v %v", p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != len(tc.want) {
				t.Fatalf("got %v", p)
			}
			for k, v := range tc.want {
				if p[k] != v {
					t.Errorf("%s = %q, want %q", k, p[k], v)
				}
			}
		})
	}
	big := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("a="+strings.Repeat("x", protocol.MaxBodyBytes)))
	if _, err := protocol.ParseBody(big); err == nil {
		t.Fatal("oversized body accepted")
	}
}

func FuzzParseBody(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials&audience=x")
	f.Add("application/json", `{"grant_type":"refresh_token","scope":["a"],"n":1e400}`)
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		p, err := protocol.ParseBody(r)
		if (p == nil) == (err == nil) {
			t.Fatalf("params %v with error %v", p, err)
		}
		if err != nil && (err.Status != 400 || err.Code != "invalid_request") {
			t.Fatalf("error %+v", err)
		}
	})
}

func TestSingleValued(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      map[string]string
		desc      string
	}{
		{"single", "a=1&b=x+y&c=", map[string]string{"a": "1", "b": "x y", "c": ""}, ""},
		{"repeated", "a=1&b=2&a=1", nil, "Duplicate parameter: a"},
		{"repeated, empty values", "a&a", nil, "Duplicate parameter: a"},
		{"first repeated name in sorted order", "z=1&z=2&b=1&b=2", nil, "Duplicate parameter: b"},
		{"long name is cut", strings.Repeat("n", 70) + "=1&" + strings.Repeat("n", 70) + "=2", nil, "Duplicate parameter: " + strings.Repeat("n", 64) + "…"},
		{"bad escape", "a=%zz", nil, "The query string is malformed."},
		{"semicolon", "a=1;b=2", nil, "The query string is malformed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := protocol.ParseQuery(tc.raw)
			if tc.desc != "" {
				if err == nil || err.Status != 400 || err.Code != "invalid_request" || err.Description != tc.desc {
					t.Fatalf("got %v %v", p, err)
				}
				return
			}
			if err != nil || len(p) != len(tc.want) {
				t.Fatalf("got %v %v", p, err)
			}
			for k, v := range tc.want {
				if p[k] != v || !p.Has(k) {
					t.Errorf("%s = %q", k, p[k])
				}
			}
		})
	}
}

func TestTokenRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=refresh_token&refresh_token=rt&scope=&client_id=c"))
	p, err := protocol.ParseBody(r)
	if err != nil {
		t.Fatal(err)
	}
	req := p.TokenRequest()
	if req.GrantType != "refresh_token" || req.RefreshToken != "rt" || !req.ScopeSent || req.Scope != "" ||
		!req.ClientIDSent || req.ClientID != "c" || req.ClientSecretSent || req.Audience != "" {
		t.Errorf("%+v", req)
	}
}
