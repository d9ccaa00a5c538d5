package mgmt_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func TestEmailTemplates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wantError(t, e.call(t, "admin", "GET", "/email-templates/verify_email", nil), 404, "inexistent_email_template", "The template does not exist.", true)
	wantError(t, e.call(t, "admin", "GET", "/email-templates/bogus", nil), 400, "invalid_uri", "templateName", false)
	wantError(t, e.call(t, "reader", "GET", "/email-templates/verify_email", nil), 403, "insufficient_scope", "", false)

	body := map[string]any{"template": "verify_email", "body": "<p>{{ user.email }} {{ url }}</p>", "from": "Acme <no-reply@acme.test>",
		"subject": "Verify {{ user.email }}", "syntax": "liquid", "enabled": true, "resultUrl": "https://app.acme.test/verified",
		"urlLifetimeInSeconds": 3600}
	created := e.must(t, 201, "POST", "/email-templates", body).obj(t)
	if created["template"] != "verify_email" || created["syntax"] != "liquid" || created["enabled"] != true ||
		created["urlLifetimeInSeconds"] != float64(3600) || created["resultUrl"] != "https://app.acme.test/verified" ||
		created["includeEmailInRedirect"] != true || created["from"] != "Acme <no-reply@acme.test>" {
		t.Fatalf("created: %v", created)
	}
	wantError(t, e.call(t, "admin", "POST", "/email-templates", body), 409, "email_template_conflict", "already exists", false)
	if got := e.must(t, 200, "GET", "/email-templates/verify_email", nil).obj(t); got["subject"] != "Verify {{ user.email }}" {
		t.Fatalf("get: %v", got)
	}
	// PATCH changes what it names.
	patched := e.must(t, 200, "PATCH", "/email-templates/verify_email", map[string]any{"enabled": false, "subject": "Please verify"}).obj(t)
	if patched["enabled"] != false || patched["subject"] != "Please verify" || patched["body"] != body["body"] {
		t.Fatalf("patched: %v", patched)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/email-templates/reset_email", map[string]any{"enabled": false}), 404, "inexistent_email_template", "", false)
	wantError(t, e.call(t, "admin", "PATCH", "/email-templates/verify_email", map[string]any{"template": "reset_email"}), 400, "invalid_body", "path", false)
	// PUT replaces (or creates): what it leaves out takes the defaults.
	put := e.must(t, 200, "PUT", "/email-templates/reset_email", map[string]any{"template": "reset_email", "body": "<p>{{ url }}</p>",
		"subject": "Reset", "syntax": "liquid"}).obj(t)
	if put["enabled"] != true || put["from"] != "" || put["resultUrl"] != nil {
		t.Fatalf("put: %v", put)
	}
	wantError(t, e.call(t, "admin", "PUT", "/email-templates/reset_email", map[string]any{"template": "reset_email", "body": "x", "syntax": "liquid"}),
		400, "invalid_body", "Missing required property: subject", false)

	// Bad input: each refused with a clear error, and nothing stored.
	for name, change := range map[string]map[string]any{
		"header injection in subject": {"subject": "Hi\r\nBcc: victim@evil.test"},
		"header injection in from":    {"from": "a@acme.test\nBcc: victim@evil.test"},
		"two senders":                 {"from": "a@acme.test, b@evil.test"},
		"oversized body":              {"body": strings.Repeat("a", domain.MaxEmailTemplateBody+1)},
		"endless loop":                {"body": "{% for i in (1..1000000000) %}{% endfor %}"},
		"output explosion":            {"body": "{% for i in (1..5000) %}{% for j in (1..5000) %}x{% endfor %}{% endfor %}"},
		"include":                     {"body": `{% include "/etc/passwd" %}`},
		"broken liquid":               {"body": "{% if user.email %}"},
		"other syntax":                {"syntax": "handlebars"},
		"bad result url":              {"resultUrl": "javascript:alert(1)"},
		"negative lifetime":           {"urlLifetimeInSeconds": -5},
		"unknown field":               {"bcc": "x@evil.test"},
	} {
		start := time.Now()
		r := e.call(t, "admin", "PATCH", "/email-templates/verify_email", change)
		if r.status != 400 {
			t.Errorf("%s: status %d %s", name, r.status, r.raw)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
	stored, err := e.st.GetEmailTemplate(ctx, "verify_email")
	if err != nil || stored.Subject != "Please verify" || stored.Body != body["body"] || stored.From != body["from"] || stored.Enabled {
		t.Fatalf("a refused change was stored: %+v %v", stored, err)
	}
	r := e.call(t, "admin", "POST", "/email-templates", map[string]any{"template": "welcome_email", "body": "{% for i in (1..1000000000) %}{% endfor %}",
		"subject": "Hi", "syntax": "liquid"})
	wantError(t, r, 400, "invalid_body", "limits", false)
	if _, err := e.st.GetEmailTemplate(ctx, "welcome_email"); err == nil {
		t.Fatal("a refused template was stored")
	}
}

func TestEmailVerificationTicketScopes(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.call(t, "reader", "POST", "/tickets/email-verification", map[string]any{"user_id": "auth0|x"}), 403, "insufficient_scope", "", false)
	wantError(t, e.call(t, "admin", "POST", "/jobs/verification-email", map[string]any{"user_id": "auth0|x"}), 501, "operation_not_supported", "", false)
	wantError(t, e.call(t, "reader", "GET", "/jobs/job_x", nil), 404, "inexistent_job", "", false)
}
