package mgmt_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// GET /users/{id}/authentication-methods pages as Auth0 does: a bare array, or with include_totals
// {start, limit, total, authenticators}, which is what auth0 v7's users.authenticationMethods.list
// reads its items from.
func TestAuthenticationMethodsPaging(t *testing.T) {
	e := newEnv(t)
	u := e.must(t, 201, "POST", "/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "methods@example.com", "password": "Str0ng!pass"}).obj(t)
	id := u["user_id"].(string)
	base := "/users/" + url.PathEscape(id) + "/authentication-methods"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, m := range []struct{ id, typ string }{
		{"totp|m1", domain.MethodTOTP}, {"recovery-code|m2", domain.MethodRecoveryCode}, {"email|m3", domain.MethodEmail},
	} {
		a := &domain.MFAAuthenticator{ID: m.id, UserID: id, Type: m.typ, Secret: []byte{1}, Confirmed: true,
			CreatedAt: at.Add(time.Duration(i) * time.Minute)}
		if err := e.st.CreateMFAAuthenticator(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}

	const reader = "scopes:read:authentication_methods"
	get := func(path string) resp {
		t.Helper()
		r := e.call(t, reader, "GET", path, nil)
		if r.status != 200 {
			t.Fatalf("GET %s: status %d; body %s", path, r.status, r.raw)
		}
		return r
	}
	if all := get(base).arr(t); len(all) != 3 {
		t.Fatalf("bare list has %d methods, want 3: %v", len(all), all)
	}
	got := get(base + "?include_totals=true&per_page=2&page=1").obj(t)
	if got["start"] != 2.0 || got["limit"] != 2.0 || got["total"] != 3.0 {
		t.Fatalf("totals %v", got)
	}
	items, _ := got["authenticators"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != "email|m3" {
		t.Fatalf("page 1 of 2 holds %v, want the third method", got["authenticators"])
	}
	first := get(base + "?include_totals=true&per_page=2").obj(t)
	if items, _ := first["authenticators"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != "totp|m1" {
		t.Fatalf("page 0 holds %v", first["authenticators"])
	}
	past := get(base + "?include_totals=true&page=9").obj(t)
	if items, _ := past["authenticators"].([]any); items == nil || len(items) != 0 || past["total"] != 3.0 {
		t.Fatalf("a page past the end: %v", past)
	}
	wantError(t, e.call(t, reader, "GET", base+"?per_page=101", nil), 400, "invalid_query_string", "per_page", false)
	wantError(t, e.call(t, reader, "GET", base+"?include_totals=maybe", nil), 400, "invalid_query_string", "include_totals", false)
	wantError(t, e.call(t, reader, "GET", "/users/auth0%7Cnobody/authentication-methods?include_totals=true", nil), 404, "inexistent_user", "", false)
}
