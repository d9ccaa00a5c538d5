package mgmt_test

import "testing"

// GET /tenants/settings honours fields and include_fields, as auth0 v7's tenants.settings.get sends them.
func TestTenantSettingsFields(t *testing.T) {
	e := newEnv(t)
	only := e.must(t, 200, "GET", "/tenants/settings?fields=session_lifetime,default_directory&include_fields=true", nil).obj(t)
	if len(only) != 2 || only["session_lifetime"] != float64(168) || only["default_directory"] != conn {
		t.Fatalf("fields with include_fields=true: %v", only)
	}
	if got := e.must(t, 200, "GET", "/tenants/settings?fields=friendly_name", nil).obj(t); len(got) != 1 {
		t.Fatalf("include_fields defaults to true: %v", got)
	}
	all := e.must(t, 200, "GET", "/tenants/settings", nil).obj(t)
	without := e.must(t, 200, "GET", "/tenants/settings?fields=session_lifetime&include_fields=false", nil).obj(t)
	if _, ok := without["session_lifetime"]; ok || len(without) != len(all)-1 {
		t.Fatalf("include_fields=false: %v (all: %v)", without, all)
	}
	wantError(t, e.call(t, "admin", "GET", "/tenants/settings?include_fields=perhaps", nil), 400, "invalid_query_string", "include_fields", false)
}
