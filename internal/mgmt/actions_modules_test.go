package mgmt_test

import (
	"net/http"
	"testing"
)

// TestActionDependenciesAndRuntime: a dependency on a built-in module is accepted (whatever its
// version), any other is refused with the list of what is available; the runtime label must be one
// Gatehouse knows. A refused write changes nothing.
func TestActionDependenciesAndRuntime(t *testing.T) {
	e := newEnv(t)
	body := func(name string, deps []map[string]string, runtime string) map[string]any {
		b := map[string]any{"name": name, "code": "const axios = require('axios');\nexports.onExecutePostLogin = async () => {};",
			"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}}, "dependencies": deps}
		if runtime != "" {
			b["runtime"] = runtime
		}
		return b
	}
	a := e.must(t, http.StatusCreated, "POST", "/actions/actions", body("sync", []map[string]string{{"name": "axios", "version": "1.7.2"},
		{"name": "jsonwebtoken", "version": "9.0.2"}}, "node18")).obj(t)
	if a["status"] != "built" || a["runtime"] != "node18" || len(a["dependencies"].([]any)) != 2 {
		t.Fatalf("created %v", a)
	}
	wantError(t, e.call(t, "admin", "POST", "/actions/actions", body("lodash", []map[string]string{{"name": "lodash", "version": "4.17.21"}}, "")),
		400, "invalid_body", `"lodash" is not available: npm packages are not installed; Actions may require only axios, crypto, jsonwebtoken`, false)
	wantError(t, e.call(t, "admin", "POST", "/actions/actions", body("old", nil, "node12")),
		400, "invalid_body", `"node12" is not a supported runtime (node18, node18-actions, node22)`, false)
	id := a["id"].(string)
	wantError(t, e.call(t, "admin", "PATCH", "/actions/actions/"+id, map[string]any{"dependencies": []map[string]string{{"name": "child_process", "version": "1"}}}),
		400, "invalid_body", `"child_process" is not available`, false)
	if got := e.must(t, 200, "GET", "/actions/actions/"+id, nil).obj(t); len(got["dependencies"].([]any)) != 2 {
		t.Fatalf("a refused PATCH changed the action: %v", got)
	}
	list := e.must(t, 200, "GET", "/actions/actions", nil).obj(t)
	if list["total"] != float64(1) {
		t.Fatalf("refused creates were stored: %v", list)
	}
}

func TestActionsAllowedHostsSetting(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"actions_allowed_hosts": []string{"http://sync.internal:8080/"}}),
		400, "invalid_body", "is not a host name or IP address", false)
	wantError(t, e.call(t, "admin", "PATCH", "/tenants/settings", map[string]any{"actions_allowed_hosts": []string{"*.internal"}}),
		400, "invalid_body", "no scheme, port, path or wildcard", false)
	got := e.must(t, 200, "PATCH", "/tenants/settings", map[string]any{"actions_allowed_hosts": []string{"sync.internal", "10.0.0.5", "::1"}}).obj(t)
	if hs := got["actions_allowed_hosts"].([]any); len(hs) != 3 || hs[0] != "sync.internal" {
		t.Fatalf("settings %v", got)
	}
}
