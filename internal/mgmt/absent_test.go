package mgmt_test

import (
	"net/http"
	"testing"
)

// Features Gatehouse lacks answer as an Auth0 tenant without them does: reads answer empty or
// Auth0's refusal, and a write may only say what is already so.
func TestAbsentFeatures(t *testing.T) {
	e := newEnv(t)
	const tok = "scopes:read:rules,read:attack_protection,update:attack_protection,read:email_templates,update:email_templates,read:forms,read:prompts,update:prompts"
	call := func(method, path string, body any) resp { return e.call(t, tok, method, path, body) }
	ok := func(r resp) resp {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		return r
	}
	wantError(t, call("GET", "/rules", nil), http.StatusForbidden, "", "Insufficient privileges to use this deprecated feature", true)
	wantError(t, call("GET", "/attack-protection/bot-detection", nil), http.StatusForbidden, "feature_not_enabled", "not enabled", false)
	wantError(t, call("GET", "/email-templates/enrollment_email", nil), http.StatusNotFound, "inexistent_email_template", "does not exist", false)
	wantError(t, call("PATCH", "/email-templates/enrollment_email", map[string]any{"enabled": true}), http.StatusBadRequest, "invalid_uri", "must be one of", false)
	if got := ok(call("GET", "/forms?include_totals=true", nil)).obj(t); got["total"] != float64(0) {
		t.Errorf("forms: %v", got)
	}
	ok(call("PATCH", "/risk-assessments/settings", map[string]any{"enabled": false}))
	wantError(t, call("PATCH", "/risk-assessments/settings", map[string]any{"enabled": true}), http.StatusForbidden, "feature_not_enabled", "", false)
	ok(call("PATCH", "/prompts", map[string]any{"universal_login_experience": "new", "identifier_first": false}))
	wantError(t, call("PATCH", "/prompts", map[string]any{"universal_login_experience": "classic"}), http.StatusBadRequest, "invalid_body", "classic", false)
	if r := e.call(t, "scopes:read:clients", "GET", "/prompts", nil); r.status != http.StatusForbidden {
		t.Errorf("GET /prompts without read:prompts: %d", r.status)
	}
}
