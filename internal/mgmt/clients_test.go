package mgmt_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestClientLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{
		"name": "My App", "app_type": "regular_web", "callbacks": []string{"http://localhost:3000/api/auth/callback"},
	})
	c := r.obj(t)
	id, _ := c["client_id"].(string)
	secret, _ := c["client_secret"].(string)
	if len(id) != 32 || len(secret) != 64 {
		t.Fatalf("client_id %q / client_secret length %d", id, len(secret))
	}
	if c["is_first_party"] != true || c["token_endpoint_auth_method"] != "client_secret_post" {
		t.Errorf("defaults: %s", r.raw)
	}
	for _, g := range c["grant_types"].([]any) {
		if g == "implicit" {
			t.Error("implicit granted by default")
		}
	}

	got := e.must(t, 200, "GET", "/clients/"+id, nil)
	if strings.Contains(string(got.raw), `"client_secret":`) || strings.Contains(string(got.raw), secret) {
		t.Fatalf("secret returned on GET: %s", got.raw)
	}
	list := e.must(t, 200, "GET", "/clients", nil)
	if strings.Contains(string(list.raw), secret) || len(list.arr(t)) != 1 {
		t.Fatalf("list: %s", list.raw)
	}

	// fields / include_fields
	f := e.must(t, 200, "GET", "/clients/"+id+"?fields=name,client_id&include_fields=true", nil).obj(t)
	if len(f) != 2 || f["name"] != "My App" {
		t.Errorf("fields projection: %v", f)
	}
	f = e.must(t, 200, "GET", "/clients/"+id+"?fields=callbacks&include_fields=false", nil).obj(t)
	if _, ok := f["callbacks"]; ok || f["name"] != "My App" {
		t.Errorf("exclusion projection: %v", f)
	}

	// PATCH replaces objects as a whole and leaves unnamed fields alone.
	p := e.must(t, 200, "PATCH", "/clients/"+id, map[string]any{
		"refresh_token": map[string]any{"rotation_type": "rotating", "expiration_type": "expiring", "token_lifetime": 86400, "idle_token_lifetime": 3600, "leeway": 0},
		"description":   "changed",
	}).obj(t)
	rt := p["refresh_token"].(map[string]any)
	if rt["token_lifetime"] != float64(86400) || p["description"] != "changed" || len(p["callbacks"].([]any)) != 1 {
		t.Errorf("patch: %v", p)
	}

	rot := e.must(t, 200, "POST", "/clients/"+id+"/rotate-secret", nil).obj(t)
	if s, _ := rot["client_secret"].(string); len(s) != 64 || s == secret {
		t.Fatalf("rotate-secret: %v", rot["client_secret"])
	}

	e.must(t, http.StatusNoContent, "DELETE", "/clients/"+id, nil)
	wantError(t, e.call(t, "admin", "GET", "/clients/"+id, nil), 404, "inexistent_client", "The client does not exist", true)
}

func TestClientFilters(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/clients", map[string]any{"name": "web", "app_type": "regular_web"})
	e.must(t, 201, "POST", "/clients", map[string]any{"name": "m2m", "app_type": "non_interactive"})
	e.must(t, 201, "POST", "/clients", map[string]any{"name": "third", "app_type": "regular_web", "is_first_party": false})
	if n := len(e.must(t, 200, "GET", "/clients?app_type=non_interactive", nil).arr(t)); n != 1 {
		t.Errorf("app_type filter: %d", n)
	}
	if n := len(e.must(t, 200, "GET", "/clients?is_first_party=false", nil).arr(t)); n != 1 {
		t.Errorf("is_first_party filter: %d", n)
	}
	if n := len(e.must(t, 200, "GET", "/clients?app_type=non_interactive,regular_web&is_first_party=true", nil).arr(t)); n != 2 {
		t.Errorf("app_type list and is_first_party together: %d", n)
	}
	// No client here is global (each shows global: false): is_global=true finds none, false all.
	all := len(e.must(t, 200, "GET", "/clients", nil).arr(t))
	if n := len(e.must(t, 200, "GET", "/clients?is_global=false", nil).arr(t)); n != all || all < 3 {
		t.Errorf("is_global=false: %d of %d", n, all)
	}
	// is_global=true is the tenant's "All Applications" client, as on Auth0 (the Deploy CLI reads
	// it to export the login page); it is never in the other lists, reads by id, and cannot change.
	got := e.must(t, 200, "GET", "/clients?is_global=true&include_totals=true", nil).obj(t)
	globals, _ := got["clients"].([]any)
	if got["total"] != 1.0 || len(globals) != 1 {
		t.Fatalf("is_global=true: %v", got)
	}
	gc := globals[0].(map[string]any)
	gid, _ := gc["client_id"].(string)
	if gc["global"] != true || gc["name"] != "All Applications" || len(gid) != 32 {
		t.Errorf("global client: %v", gc)
	}
	for _, q := range []string{"is_first_party=false", "app_type=spa"} {
		if got := e.must(t, 200, "GET", "/clients?is_global=true&include_totals=true&"+q, nil).obj(t); got["total"] != 0.0 {
			t.Errorf("is_global=true&%s: %v", q, got)
		}
	}
	for _, l := range e.must(t, 200, "GET", "/clients", nil).arr(t) {
		if l.(map[string]any)["client_id"] == gid {
			t.Errorf("the global client is in the plain list")
		}
	}
	if again := e.must(t, 200, "GET", "/clients/"+gid, nil).obj(t); again["global"] != true {
		t.Errorf("GET global client: %v", again)
	}
	if r := e.call(t, "admin", "PATCH", "/clients/"+gid, map[string]any{"custom_login_page_on": true}); r.status != 403 {
		t.Errorf("PATCH global client: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "admin", "DELETE", "/clients/"+gid, nil); r.status != 403 {
		t.Errorf("DELETE global client: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "admin", "GET", "/clients?is_global=yes", nil), 400, "invalid_query_string", "is_global", false)
	wantError(t, e.call(t, "admin", "GET", "/clients?is_first_party=maybe", nil), 400, "invalid_query_string", "is_first_party", false)
	wantError(t, e.call(t, "admin", "GET", "/clients?app_type="+strings.Repeat("spa,", 40)+"spa", nil), 400, "invalid_query_string", "app_type", false)
	wantError(t, e.call(t, "admin", "GET", "/clients?q=client_grant.allow_any_organization:true", nil), 400, "invalid_query_string", "q", false)
	// A public SPA gets no secret.
	spa := e.must(t, 201, "POST", "/clients", map[string]any{"name": "spa", "app_type": "spa"}).obj(t)
	if _, ok := spa["client_secret"]; ok || spa["token_endpoint_auth_method"] != "none" {
		t.Errorf("spa: %v", spa)
	}
}

func TestClientValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"wildcard callback", map[string]any{"name": "a", "callbacks": []string{"https://*.example.com/cb"}}, "on property callbacks[0]"},
		{"http non-loopback", map[string]any{"name": "a", "allowed_logout_urls": []string{"http://example.com"}}, "only https is allowed"},
		{"unknown field", map[string]any{"name": "a", "foo": 1}, "Payload validation error: 'Additional properties not allowed: foo'."},
		{"wrong type", map[string]any{"name": "a", "callbacks": "https://x.test/cb"}, "'Expected type array but found type string' on property callbacks"},
		{"bad json", `{"name": "a",`, "Invalid request payload JSON format"},
		{"unknown app_type", map[string]any{"name": "a", "app_type": "desktop"}, "on property app_type"},
		{"missing name", map[string]any{"app_type": "spa"}, "name"},
		{"not an object", `[1]`, "Expected type object but found type array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call(t, "admin", "POST", "/clients", tc.body), 400, "invalid_body", tc.want, false)
		})
	}
	// Nothing was written.
	if n := len(e.must(t, 200, "GET", "/clients", nil).arr(t)); n != 0 {
		t.Fatalf("%d clients after failed creates", n)
	}
	// The wildcard message names the value.
	r := e.call(t, "admin", "POST", "/clients", map[string]any{"name": "a", "callbacks": []string{"https://*.example.com/cb"}})
	if !strings.Contains(string(r.raw), "wildcard") {
		t.Errorf("wildcard message: %s", r.raw)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.must(t, 200, "POST", "/roles", map[string]any{"name": n})
	}
	r := e.must(t, 200, "GET", "/roles?page=0&per_page=2&include_totals=true", nil).obj(t)
	if r["start"] != float64(0) || r["limit"] != float64(2) || r["length"] != float64(2) || r["total"] != float64(3) || len(r["roles"].([]any)) != 2 {
		t.Errorf("first page: %v", r)
	}
	r = e.must(t, 200, "GET", "/roles?page=1&per_page=2&include_totals=true", nil).obj(t)
	if r["start"] != float64(2) || r["length"] != float64(1) || r["total"] != float64(3) {
		t.Errorf("second page: %v", r)
	}
	if a := e.must(t, 200, "GET", "/roles?page=7&per_page=2", nil); string(a.raw) != "[]" {
		t.Errorf("past the end: %s", a.raw)
	}
	if n := len(e.must(t, 200, "GET", "/roles", nil).arr(t)); n != 3 {
		t.Errorf("bare array: %d", n)
	}
	wantError(t, e.call(t, "admin", "GET", "/roles?per_page=101", nil), 400, "invalid_query_string", "per_page", false)
	wantError(t, e.call(t, "admin", "GET", "/roles?page=-1", nil), 400, "invalid_query_string", "page", false)
}
