package mgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/password"
)

const conn = "Username-Password-Authentication"

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	var bodies []string
	r := e.must(t, http.StatusCreated, "POST", "/users", map[string]any{
		"connection": conn, "email": "Jane@Example.com", "password": "Str0ng!pass", "user_id": "jane",
		"name": "Jane Doe", "user_metadata": map[string]any{"theme": "dark", "lang": "en"}, "app_metadata": map[string]any{"plan": "pro"},
	})
	bodies = append(bodies, string(r.raw))
	u := r.obj(t)
	if u["user_id"] != "auth0|jane" || u["email"] != "jane@example.com" || u["nickname"] != "jane" || u["email_verified"] != false {
		t.Fatalf("created: %s", r.raw)
	}
	idents := u["identities"].([]any)[0].(map[string]any)
	if idents["connection"] != conn || idents["provider"] != "auth0" || idents["user_id"] != "jane" || idents["isSocial"] != false {
		t.Errorf("identities: %v", idents)
	}
	if !strings.HasPrefix(u["picture"].(string), "https://s.gravatar.com/avatar/") || u["created_at"] == nil {
		t.Errorf("defaults: %v", u)
	}
	path := "/users/" + url.PathEscape("auth0|jane")
	if !strings.Contains(path, "%7C") {
		t.Fatalf("path %q not encoded", path)
	}

	wantError(t, e.call(t, "admin", "POST", "/users", map[string]any{"connection": conn, "email": "jane@example.com", "password": "Str0ng!pass"}),
		409, "auth0_idp_error", "The user already exists.", true)
	wantError(t, e.call(t, "admin", "POST", "/users", map[string]any{"connection": conn, "email": "weak@example.com", "password": "password"}),
		400, "", "PasswordStrengthError: Password is too weak", true)
	wantError(t, e.call(t, "admin", "POST", "/users", map[string]any{"email": "x@example.com", "password": "Str0ng!pass"}),
		400, "invalid_body", "connection", false)
	wantError(t, e.call(t, "admin", "POST", "/users", map[string]any{"connection": "google-oauth2", "email": "x@example.com", "password": "Str0ng!pass"}),
		400, "inexistent_connection", "The connection does not exist.", true)
	wantError(t, e.call(t, "admin", "GET", "/users/"+url.PathEscape("auth0|nobody"), nil),
		404, "inexistent_user", "The user does not exist.", true)

	// Metadata merges at the top level; null deletes a key.
	p := e.must(t, 200, "PATCH", path, map[string]any{
		"user_metadata": map[string]any{"theme": "light", "lang": nil, "tz": "UTC"}, "blocked": true,
	})
	bodies = append(bodies, string(p.raw))
	pu := p.obj(t)
	um := pu["user_metadata"].(map[string]any)
	if um["theme"] != "light" || um["tz"] != "UTC" || len(um) != 2 || pu["blocked"] != true {
		t.Errorf("merge: %v", pu)
	}
	if pu["app_metadata"].(map[string]any)["plan"] != "pro" {
		t.Errorf("app_metadata lost: %v", pu["app_metadata"])
	}

	// Password change is hashed and verifiable; the hash never leaves the server.
	e.must(t, 200, "PATCH", path, map[string]any{"password": "N3w!password", "connection": conn})
	stored, err := e.st.GetUser(context.Background(), "auth0|jane")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (password.Hasher{P: password.Fast()}).Verify(stored.PasswordHash, "N3w!password"); err != nil {
		t.Fatalf("new password does not verify: %v", err)
	}
	wantError(t, e.call(t, "admin", "PATCH", path, map[string]any{"password": "short"}), 400, "", "PasswordStrengthError", false)

	bodies = append(bodies, string(e.must(t, 200, "GET", path, nil).raw))
	bodies = append(bodies, string(e.must(t, 200, "GET", "/users", nil).raw))
	bodies = append(bodies, string(e.must(t, 200, "GET", "/users-by-email?email="+url.QueryEscape("JANE@example.com"), nil).raw))
	for _, b := range bodies {
		// The connection name and last_password_reset legitimately contain the word; a password
		// property or a hash must not appear.
		if strings.Contains(b, `"password"`) || strings.Contains(b, "password_hash") || strings.Contains(b, "argon2") || strings.Contains(b, "N3w!password") {
			t.Fatalf("a response mentions the password: %s", b)
		}
	}
	if n := len(e.must(t, 200, "GET", "/users-by-email?email=jane%40example.com", nil).arr(t)); n != 1 {
		t.Errorf("users-by-email: %d", n)
	}
	f := e.must(t, 200, "GET", path+"?fields=email,user_id", nil).obj(t)
	if len(f) != 2 {
		t.Errorf("fields: %v", f)
	}

	// Changing the email to a taken one is a conflict and changes nothing.
	other := e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "other@example.com", "password": "Str0ng!pass"}).obj(t)
	otherPath := "/users/" + url.PathEscape(other["user_id"].(string))
	wantError(t, e.call(t, "admin", "PATCH", otherPath, map[string]any{"email": "jane@example.com"}), 409, "", "email already exists", false)
	if got := e.must(t, 200, "GET", otherPath, nil).obj(t); got["email"] != "other@example.com" {
		t.Errorf("email after conflict: %v", got["email"])
	}
	moved := e.must(t, 200, "PATCH", otherPath, map[string]any{"email": "New@Example.com", "connection": conn}).obj(t)
	if moved["email"] != "new@example.com" || moved["email_verified"] != false {
		t.Errorf("email change: %v", moved)
	}

	e.must(t, http.StatusNoContent, "DELETE", path, nil)
	wantError(t, e.call(t, "admin", "GET", path, nil), 404, "inexistent_user", "The user does not exist.", true)
}

func TestUserSearch(t *testing.T) {
	e := newEnv(t)
	for _, u := range []map[string]any{
		{"email": "jane@example.com", "name": "Jane Doe"},
		{"email": "john@example.com", "name": "John Smith"},
		{"email": "admin@corp.test", "name": "Jane Admin"},
	} {
		u["connection"], u["password"] = conn, "Str0ng!pass"
		e.must(t, 201, "POST", "/users", u)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{`email:"jane@example.com"`, 1},
		{`email:j*`, 2},
		{`name:"Jane Doe"`, 1},
		{`name:"jane doe"`, 1},
		{`name:Jane* AND email:admin*`, 1},
		{`email:nobody*`, 0},
	} {
		r := e.must(t, 200, "GET", "/users?search_engine=v3&include_totals=true&q="+url.QueryEscape(tc.q), nil).obj(t)
		if r["total"] != float64(tc.want) || len(r["users"].([]any)) != tc.want {
			t.Errorf("q=%s: %v", tc.q, r["total"])
		}
	}
	// Without include_totals a bare array; paging stops at Auth0's first 1,000 results.
	if l := e.must(t, 200, "GET", "/users?q="+url.QueryEscape("email:j*"), nil); !strings.HasPrefix(string(l.raw), "[") {
		t.Errorf("a list without include_totals: %s", l.raw)
	}
	e.must(t, 200, "GET", "/users?page=9&per_page=100", nil)
	for _, p := range []string{"page=10&per_page=100", "page=20&per_page=50", "page=11&per_page=90"} {
		wantError(t, e.call(t, "admin", "GET", "/users?"+p, nil), 400, "invalid_paging", "You can only page through the first 1000 records.", false)
	}
	for _, q := range []string{`email:a OR email:b`, `app_metadata.plan:pro`, `logins_count:[1 TO 5]`, `name:*oe`, `_exists_:email`} {
		wantError(t, e.call(t, "admin", "GET", "/users?q="+url.QueryEscape(q), nil), 400, "invalid_query_string", "on property q", false)
	}
	// An unknown search engine is named, not echoed back (a 1 MiB value would be).
	long := strings.Repeat("v9", 2000)
	r := e.call(t, "admin", "GET", "/users?search_engine="+long, nil)
	wantError(t, r, 400, "invalid_query_string", "on property search_engine", false)
	if strings.Contains(string(r.raw), long[:100]) {
		t.Errorf("the search_engine value was echoed: %.200s", r.raw)
	}
}

func TestUserRolesAndPermissions(t *testing.T) {
	e := newEnv(t)
	createAPI(t, e)
	role := e.must(t, 200, "POST", "/roles", map[string]any{"name": "admin", "description": "Admins"}).obj(t)
	rid := role["id"].(string)
	e.must(t, 201, "POST", "/roles/"+rid+"/permissions", map[string]any{"permissions": []map[string]string{{"resource_server_identifier": apiID, "permission_name": "admin:read"}}})
	u := e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "a@example.com", "password": "Str0ng!pass"}).obj(t)
	path := "/users/" + url.PathEscape(u["user_id"].(string))

	e.must(t, http.StatusNoContent, "POST", path+"/roles", map[string]any{"roles": []string{rid}})
	wantError(t, e.call(t, "admin", "POST", path+"/roles", map[string]any{"roles": []string{"rol_doesnotexist00"}}), 404, "", "does not exist", false)
	rl := e.must(t, 200, "GET", path+"/roles?include_totals=true", nil).obj(t)
	if rl["total"] != float64(1) || rl["roles"].([]any)[0].(map[string]any)["name"] != "admin" {
		t.Errorf("user roles: %v", rl)
	}

	if b := e.must(t, http.StatusCreated, "POST", path+"/permissions", map[string]any{"permissions": []map[string]string{{"resource_server_identifier": apiID, "permission_name": "read:own_data"}}}); string(b.raw) != "{}" {
		t.Errorf("add user permissions: %s", b.raw)
	}
	pl := e.must(t, 200, "GET", path+"/permissions", nil).arr(t)
	sources := map[string]string{}
	for _, p := range pl {
		pm := p.(map[string]any)
		src := pm["sources"].([]any)[0].(map[string]any)
		sources[pm["permission_name"].(string)] = src["source_type"].(string)
	}
	if sources["admin:read"] != "ROLE" || sources["read:own_data"] != "DIRECT" {
		t.Errorf("permission sources: %v", pl)
	}
	e.must(t, http.StatusNoContent, "DELETE", path+"/permissions", map[string]any{"permissions": []map[string]string{{"resource_server_identifier": apiID, "permission_name": "read:own_data"}}})
	e.must(t, http.StatusNoContent, "DELETE", path+"/roles", map[string]any{"roles": []string{rid}})
	if n := len(e.must(t, 200, "GET", path+"/permissions", nil).arr(t)); n != 0 {
		t.Errorf("permissions after removal: %d", n)
	}
}
