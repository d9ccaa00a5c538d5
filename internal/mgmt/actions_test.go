package mgmt_test

import (
	"net/http"
	"strings"
	"testing"
)

const rolesAction = `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://yourapp.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
    api.accessToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
  }
};`

func createAction(t *testing.T, e *env, name, code string) map[string]any {
	t.Helper()
	return e.must(t, http.StatusCreated, "POST", "/actions/actions", map[string]any{
		"name": name, "code": code, "supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}},
		"secrets": []map[string]string{{"name": "API_KEY", "value": "s3cr3t-value"}},
	}).obj(t)
}

func TestActions(t *testing.T) {
	e := newEnv(t)
	a := createAction(t, e, "Add roles", rolesAction)
	id := a["id"].(string)
	if a["status"] != "built" || a["runtime"] != "node22" || a["all_changes_deployed"] != false || len(id) != 36 {
		t.Fatalf("created: %v", a)
	}
	sec := a["secrets"].([]any)[0].(map[string]any)
	if sec["name"] != "API_KEY" || sec["value"] != nil || sec["updated_at"] == nil {
		t.Errorf("secret view: %v", sec)
	}
	got := e.must(t, 200, "GET", "/actions/actions/"+id, nil)
	if strings.Contains(string(got.raw), "s3cr3t-value") {
		t.Fatal("secret value returned on read")
	}
	if strings.Contains(string(e.must(t, 200, "GET", "/logs", nil).raw), "s3cr3t-value") {
		t.Fatal("secret value in the tenant log")
	}
	wantError(t, e.call(t, "admin", "GET", "/actions/actions/nope", nil), 404, "", "That action does not exist.", true)

	// Binding an action that was never deployed is refused.
	bind := map[string]any{"bindings": []map[string]any{{"ref": map[string]string{"type": "action_name", "value": "Add roles"}, "display_name": "Roles"}}}
	wantError(t, e.call(t, "admin", "PATCH", "/actions/triggers/post-login/bindings", bind), 400, "invalid_body", "has not been deployed", false)

	v := e.must(t, 200, "POST", "/actions/actions/"+id+"/deploy", nil).obj(t)
	if v["number"] != float64(1) || v["status"] != "built" || v["deployed"] != true || v["action"].(map[string]any)["id"] != id {
		t.Fatalf("deployed version: %v", v)
	}
	// Deployed as it stands: every change is deployed, whatever time the deploy stamped.
	if got := e.must(t, 200, "GET", "/actions/actions/"+id, nil).obj(t); got["all_changes_deployed"] != true {
		t.Errorf("all_changes_deployed after deploy: %v", got["all_changes_deployed"])
	}
	if strings.Contains(e.must(t, 200, "POST", "/actions/actions/"+id+"/deploy", nil).obj(t)["code"].(string), "SYNTAX") {
		t.Fatal("unexpected code")
	}
	vl := e.must(t, 200, "GET", "/actions/actions/"+id+"/versions", nil).obj(t)
	if vl["total"] != float64(2) || vl["page"] != float64(0) || vl["per_page"] != float64(50) || len(vl["versions"].([]any)) != 2 {
		t.Errorf("versions: %v", vl)
	}
	e.must(t, 200, "GET", "/actions/actions/"+id+"/versions/"+v["id"].(string), nil)

	b := e.must(t, 200, "PATCH", "/actions/triggers/post-login/bindings", bind).obj(t)
	bl := b["bindings"].([]any)
	if len(bl) != 1 || bl[0].(map[string]any)["display_name"] != "Roles" || bl[0].(map[string]any)["action"].(map[string]any)["id"] != id {
		t.Fatalf("bindings: %v", b)
	}
	list := e.must(t, 200, "GET", "/actions/triggers/post-login/bindings", nil).obj(t)
	if list["total"] != float64(1) {
		t.Errorf("bindings list: %v", list)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/actions/triggers/credentials-exchange/bindings",
		map[string]any{"bindings": []map[string]any{{"ref": map[string]string{"type": "action_id", "value": id}}}}), 400, "invalid_body", "does not support", false)

	// A syntax error fails the deploy with the line; the draft is marked failed.
	up := e.must(t, 200, "PATCH", "/actions/actions/"+id, map[string]any{"code": "exports.onExecutePostLogin = async () => {\n  SYNTAX\n};"}).obj(t)
	if up["status"] != "failed" || up["all_changes_deployed"] != false {
		t.Errorf("after a bad edit: %v", up)
	}
	wantError(t, e.call(t, "admin", "POST", "/actions/actions/"+id+"/deploy", nil), 400, "invalid_body", "line 2", false)

	al := e.must(t, 200, "GET", "/actions/actions?triggerId=post-login&deployed=true", nil).obj(t)
	if al["total"] != float64(1) || len(al["actions"].([]any)) != 1 {
		t.Errorf("actions list: %v", al)
	}
	tr := e.must(t, 200, "GET", "/actions/triggers", nil).obj(t)
	var ids []string
	for _, tv := range tr["triggers"].([]any) {
		ids = append(ids, tv.(map[string]any)["id"].(string))
	}
	if got := strings.Join(ids, " "); got != "post-login credentials-exchange pre-user-registration post-user-registration post-change-password password-reset-post-challenge send-phone-message" {
		t.Errorf("triggers: %v", got)
	}

	// A bound action is deleted only with force=true.
	wantError(t, e.call(t, "admin", "DELETE", "/actions/actions/"+id, nil), 400, "", "force=true", false)
	e.must(t, http.StatusNoContent, "DELETE", "/actions/actions/"+id+"?force=true", nil)
	if l := e.must(t, 200, "GET", "/actions/triggers/post-login/bindings", nil).obj(t); l["total"] != float64(0) {
		t.Errorf("bindings after forced delete: %v", l)
	}
	wantError(t, e.call(t, "admin", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": []map[string]string{{"id": "custom-token-exchange", "version": "v1"}}}),
		400, "invalid_body", "supported_triggers[0].id", false)
}
