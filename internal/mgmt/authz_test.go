package mgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

var apiScopes = []map[string]string{
	{"value": "read:own_data", "description": "Read own data"},
	{"value": "write:own_data", "description": "Write own data"},
	{"value": "admin:read", "description": "Read all data"},
	{"value": "admin:write", "description": "Modify all data"},
}

const apiID = "https://api.yourapp.com"

func createAPI(t *testing.T, e *env) map[string]any {
	t.Helper()
	return e.must(t, http.StatusCreated, "POST", "/resource-servers", map[string]any{
		"name": "Your App API", "identifier": apiID, "signing_alg": "RS256", "scopes": apiScopes,
	}).obj(t)
}

func TestResourceServers(t *testing.T) {
	e := newEnv(t)
	rs := createAPI(t, e)
	id, _ := rs["id"].(string)
	if len(id) != 24 || rs["token_lifetime"] != float64(86400) || rs["token_lifetime_for_web"] != float64(7200) || rs["token_dialect"] != "access_token" {
		t.Errorf("created: %v", rs)
	}
	wantError(t, e.call(t, "admin", "POST", "/resource-servers", map[string]any{"name": "dup", "identifier": apiID}), 409, "", "identifier", false)

	byIdent := e.must(t, 200, "GET", "/resource-servers/"+url.PathEscape(apiID), nil).obj(t)
	if byIdent["id"] != id {
		t.Errorf("by identifier: %v", byIdent)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/resource-servers/"+id, map[string]any{"identifier": "https://other"}), 400, "invalid_body", "identifier cannot be changed", false)
	p := e.must(t, 200, "PATCH", "/resource-servers/"+id, map[string]any{"enforce_policies": true, "token_dialect": "access_token_authz"}).obj(t)
	if p["enforce_policies"] != true || len(p["scopes"].([]any)) != 4 {
		t.Errorf("patched: %v", p)
	}
	wantError(t, e.call(t, "admin", "GET", "/resource-servers/nope", nil), 404, "inexistent_resource_server", "The resource server does not exist", true)

	// The system Management API cannot be changed or deleted.
	if err := mgmt.EnsureManagementAPI(context.Background(), e.st, issuer, []domain.Scope{{Value: "read:users"}}, time.Now); err != nil {
		t.Fatal(err)
	}
	sys := url.PathEscape(issuer + "api/v2/")
	wantError(t, e.call(t, "admin", "DELETE", "/resource-servers/"+sys, nil), 403, "operation_not_supported", "cannot be deleted", false)
	wantError(t, e.call(t, "admin", "PATCH", "/resource-servers/"+sys, map[string]any{"name": "x"}), 403, "operation_not_supported", "cannot be changed", false)

	e.must(t, http.StatusNoContent, "DELETE", "/resource-servers/"+id, nil)
	wantError(t, e.call(t, "admin", "GET", "/resource-servers/"+id, nil), 404, "inexistent_resource_server", "", false)
}

func TestClientGrants(t *testing.T) {
	e := newEnv(t)
	createAPI(t, e)
	cl := e.must(t, 201, "POST", "/clients", map[string]any{"name": "m2m", "app_type": "non_interactive"}).obj(t)
	cid := cl["client_id"].(string)

	g := e.must(t, http.StatusCreated, "POST", "/client-grants", map[string]any{"client_id": cid, "audience": apiID, "scope": []string{"admin:read"}}).obj(t)
	gid, _ := g["id"].(string)
	if !strings.HasPrefix(gid, "cgr_") || g["audience"] != apiID {
		t.Fatalf("grant: %v", g)
	}
	wantError(t, e.call(t, "admin", "POST", "/client-grants", map[string]any{"client_id": cid, "audience": apiID, "scope": []string{}}), 409, "", "already exists", false)
	wantError(t, e.call(t, "admin", "POST", "/client-grants", map[string]any{"client_id": cid, "audience": "https://nope", "scope": []string{}}), 404, "inexistent_resource_server", "", false)
	wantError(t, e.call(t, "admin", "POST", "/client-grants", map[string]any{"client_id": "nope", "audience": apiID, "scope": []string{}}), 404, "inexistent_client", "", false)

	wantError(t, e.call(t, "admin", "PATCH", "/client-grants/"+gid, map[string]any{"scope": []string{"delete:everything"}}), 400, "invalid_body", `"delete:everything" is not a permission`, false)
	p := e.must(t, 200, "PATCH", "/client-grants/"+gid, map[string]any{"scope": []string{"admin:read", "admin:write"}}).obj(t)
	if len(p["scope"].([]any)) != 2 {
		t.Errorf("patched: %v", p)
	}
	l := e.must(t, 200, "GET", "/client-grants?include_totals=true&audience="+url.QueryEscape(apiID), nil).obj(t)
	if l["total"] != float64(1) || len(l["client_grants"].([]any)) != 1 {
		t.Errorf("list: %v", l)
	}
	if n := len(e.must(t, 200, "GET", "/client-grants?client_id=other", nil).arr(t)); n != 0 {
		t.Errorf("client_id filter: %d", n)
	}
	e.must(t, http.StatusNoContent, "DELETE", "/client-grants/"+gid, nil)
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	createAPI(t, e)
	r := e.must(t, 200, "POST", "/roles", map[string]any{"name": "user"})
	if !strings.Contains(string(r.raw), `"description":null`) {
		t.Errorf("create without description: %s", r.raw)
	}
	rid := r.obj(t)["id"].(string)
	if !strings.HasPrefix(rid, "rol_") || len(rid) != 20 {
		t.Errorf("role id %q", rid)
	}
	wantError(t, e.call(t, "admin", "POST", "/roles", map[string]any{"name": "user"}), 409, "", "user", false)
	if got := e.must(t, 200, "GET", "/roles/"+rid, nil).obj(t); got["description"] != "" {
		t.Errorf("GET description: %v", got["description"])
	}
	if n := len(e.must(t, 200, "GET", "/roles?name_filter=use", nil).arr(t)); n != 1 {
		t.Errorf("name_filter: %d", n)
	}

	perms := map[string]any{"permissions": []map[string]string{{"resource_server_identifier": apiID, "permission_name": "read:own_data"}}}
	if b := e.must(t, http.StatusCreated, "POST", "/roles/"+rid+"/permissions", perms); string(b.raw) != "{}" {
		t.Errorf("add permissions body %s", b.raw)
	}
	bad := map[string]any{"permissions": []map[string]string{{"resource_server_identifier": apiID, "permission_name": "fly"}}}
	wantError(t, e.call(t, "admin", "POST", "/roles/"+rid+"/permissions", bad), 400, "invalid_body", `"fly" is not a permission`, false)
	pl := e.must(t, 200, "GET", "/roles/"+rid+"/permissions", nil).arr(t)
	if len(pl) != 1 || pl[0].(map[string]any)["description"] != "Read own data" || pl[0].(map[string]any)["resource_server_name"] != "Your App API" {
		t.Errorf("permissions: %v", pl)
	}
	e.must(t, http.StatusNoContent, "DELETE", "/roles/"+rid+"/permissions", perms)

	// Members: assign, list with from/take.
	var ids []string
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		u := e.must(t, 201, "POST", "/users", map[string]any{"connection": "Username-Password-Authentication", "email": email, "password": "Str0ng!pass"}).obj(t)
		ids = append(ids, u["user_id"].(string))
	}
	if b := e.must(t, 200, "POST", "/roles/"+rid+"/users", map[string]any{"users": ids}); string(b.raw) != "{}" {
		t.Errorf("assign users body %s", b.raw)
	}
	wantError(t, e.call(t, "admin", "POST", "/roles/"+rid+"/users", map[string]any{"users": []string{"auth0|nobody"}}), 404, "inexistent_user", "The user does not exist.", true)
	page1 := e.must(t, 200, "GET", "/roles/"+rid+"/users?take=2", nil).obj(t)
	if len(page1["users"].([]any)) != 2 || page1["next"] == nil {
		t.Fatalf("first checkpoint page: %v", page1)
	}
	page2 := e.must(t, 200, "GET", "/roles/"+rid+"/users?take=2&from="+page1["next"].(string), nil).obj(t)
	if len(page2["users"].([]any)) != 1 || page2["next"] != nil {
		t.Fatalf("last checkpoint page: %v", page2)
	}
	member := page2["users"].([]any)[0].(map[string]any)
	if member["email"] == nil || member["user_id"] == nil {
		t.Errorf("member shape: %v", member)
	}
	tot := e.must(t, 200, "GET", "/roles/"+rid+"/users?include_totals=true&per_page=2&page=1", nil).obj(t)
	if tot["total"] != float64(3) || len(tot["users"].([]any)) != 1 {
		t.Errorf("offset paging of members: %v", tot)
	}

	p := e.must(t, 200, "PATCH", "/roles/"+rid, map[string]any{"description": "Regular user"}).obj(t)
	if p["description"] != "Regular user" || p["name"] != "user" {
		t.Errorf("patched role: %v", p)
	}
	if b := e.must(t, 200, "DELETE", "/roles/"+rid, nil); string(b.raw) != "{}" {
		t.Errorf("delete role body %s", b.raw)
	}
	wantError(t, e.call(t, "admin", "GET", "/roles/"+rid, nil), 404, "", "", false)
}
