package mgmt_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestChangesAreLoggedAsSapi(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/users", map[string]any{"connection": conn, "email": "a@example.com", "password": "Str0ng!pass"})
	cl := e.must(t, 201, "POST", "/clients", map[string]any{"name": "web"}).obj(t)
	e.must(t, 200, "GET", "/clients", nil) // reads are not logged
	e.call(t, "admin", "POST", "/clients", map[string]any{"name": "bad", "foo": 1})

	r := e.call(t, "reader", "GET", "/logs", nil)
	wantError(t, r, 403, "insufficient_scope", "read:logs", false)

	logs := e.must(t, 200, "GET", "/logs?q=type:sapi&include_totals=true", nil).obj(t)
	if logs["total"] != float64(2) {
		t.Fatalf("sapi events: %v", logs)
	}
	list := logs["logs"].([]any)
	newest := list[0].(map[string]any)
	if newest["type"] != "sapi" || newest["description"] != "Create a client" || newest["client_id"] != "mgmtclient" {
		t.Errorf("newest event: %v", newest)
	}
	det := newest["details"].(map[string]any)
	req := det["request"].(map[string]any)
	if req["method"] != "post" || req["path"] != "/api/v2/clients" || req["body"].(map[string]any)["name"] != "web" {
		t.Errorf("request details: %v", req)
	}
	if det["response"].(map[string]any)["statusCode"] != float64(201) {
		t.Errorf("response details: %v", det["response"])
	}
	older := list[1].(map[string]any)
	body := older["details"].(map[string]any)["request"].(map[string]any)["body"].(map[string]any)
	if _, ok := body["password"]; ok || body["email"] != "a@example.com" {
		t.Errorf("user create body in the log: %v", body)
	}
	raw := string(e.must(t, 200, "GET", "/logs", nil).raw)
	if strings.Contains(raw, "Str0ng!pass") || strings.Contains(raw, cl["client_secret"].(string)) {
		t.Fatal("a secret reached the tenant log")
	}

	one := e.must(t, 200, "GET", "/logs/"+newest["log_id"].(string), nil).obj(t)
	if one["log_id"] != newest["log_id"] || !strings.HasSuffix(one["date"].(string), "Z") {
		t.Errorf("single event: %v", one)
	}
	wantError(t, e.call(t, "admin", "GET", "/logs/nope", nil), http.StatusNotFound, "", "", false)

	// Checkpoint: events newer than `from`, oldest first.
	after := e.must(t, 200, "GET", "/logs?from="+older["log_id"].(string)+"&take=10", nil).arr(t)
	if len(after) != 1 || after[0].(map[string]any)["log_id"] != newest["log_id"] {
		t.Errorf("from/take: %v", after)
	}
	wantError(t, e.call(t, "admin", "GET", "/logs?q=ip:1.2.3.4", nil), 400, "invalid_query_string", "", false)
	wantError(t, e.call(t, "admin", "GET", "/logs?sort=date:1", nil), 400, "invalid_query_string", "", false)
}
