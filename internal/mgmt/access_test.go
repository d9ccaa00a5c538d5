package mgmt_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/mgmt"
)

func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, token, msg string
	}{
		{"missing", "", "Missing authentication"},
		{"bad signature", "forged", "Invalid token"},
		{"expired", "expired", "Expired token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, tc.token, "GET", "/clients", nil)
			wantError(t, r, http.StatusUnauthorized, "", tc.msg, true)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if r.header.Get("X-Ratelimit-Limit") == "" {
				t.Error("401 without rate-limit headers")
			}
		})
	}
}

func TestInsufficientScopeExactBody(t *testing.T) {
	e := newEnv(t)
	r := e.call(t, "reader", "GET", "/clients", nil)
	want := `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:clients,read:client_keys,read:client_summary","errorCode":"insufficient_scope"}`
	if r.status != 403 || string(r.raw) != want {
		t.Fatalf("got %d %s\nwant %s", r.status, r.raw, want)
	}
	// Any one of an endpoint's scopes suffices.
	if r := e.call(t, "reader", "GET", "/roles/rol_x/users", nil); r.status != 404 {
		t.Fatalf("read:users on GET /roles/{id}/users: %d %s", r.status, r.raw)
	}
	r = e.call(t, "reader", "POST", "/roles", map[string]any{"name": "x"})
	wantError(t, r, 403, "insufficient_scope", "Insufficient scope, expected any of: create:roles", true)
}

func TestUnknownPathIsJSON404(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.call(t, "admin", "GET", "/no-such-thing", nil), 404, "", "Not Found", true)
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	e := newEnv(t, func(o *mgmt.Options) {
		o.Now = clock
		o.RateLimit = mgmt.RateLimit{Max: 2, Window: time.Second}
	})
	r1 := e.must(t, 200, "GET", "/roles", nil)
	if r1.header.Get("X-Ratelimit-Limit") != "2" || r1.header.Get("X-Ratelimit-Remaining") != "1" {
		t.Fatalf("headers after one request: %v", r1.header)
	}
	if reset, _ := strconv.ParseInt(r1.header.Get("X-Ratelimit-Reset"), 10, 64); reset != now.Unix()+1 {
		t.Errorf("x-ratelimit-reset %d, want %d", reset, now.Unix()+1)
	}
	e.must(t, 200, "GET", "/roles", nil)
	r3 := e.call(t, "admin", "GET", "/roles", nil)
	wantError(t, r3, http.StatusTooManyRequests, "too_many_requests", "", false)
	if r3.header.Get("Retry-After") != "1" || r3.header.Get("X-Ratelimit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", r3.header)
	}
	// Another client has its own count.
	if r := e.call(t, "reader", "GET", "/users", nil); r.status != 200 {
		t.Fatalf("other client limited: %d", r.status)
	}
	now = now.Add(time.Second)
	e.must(t, 200, "GET", "/roles", nil)
}
