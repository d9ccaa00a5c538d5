package mgmt_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
)

func emailEnv(t *testing.T) (*env, *mail.Sealer) {
	sealer, err := mail.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, func(o *mgmt.Options) {
		o.EmailSecrets = sealer
		o.CheckEmailProvider = mail.CheckProvider
	}), sealer
}

func TestEmailProvider(t *testing.T) {
	e, sealer := emailEnv(t)
	ctx := context.Background()
	wantError(t, e.call(t, "admin", "GET", "/emails/provider", nil), 404, "inexistent_email_provider", "There is no email provider configured.", true)

	body := map[string]any{"name": "smtp", "default_from_address": "Acme <no-reply@acme.test>",
		"credentials": map[string]any{"smtp_host": "smtp.acme.test", "smtp_port": 587, "smtp_user": "mailer", "smtp_pass": "p@ss word"}}
	created := e.must(t, 201, "POST", "/emails/provider", body)
	got := e.must(t, 200, "GET", "/emails/provider", nil)
	if only := e.must(t, 200, "GET", "/emails/provider?fields=name,enabled&include_fields=true", nil).obj(t); len(only) != 2 || only["name"] != "smtp" {
		t.Fatalf("provider with fields: %v", only)
	}
	if creds := e.must(t, 200, "GET", "/emails/provider?fields=credentials", nil); strings.Contains(string(creds.raw), "p@ss") || len(creds.obj(t)) != 1 {
		t.Fatalf("provider with fields=credentials: %s", creds.raw)
	}
	for _, r := range []resp{created, got} {
		if strings.Contains(string(r.raw), "p@ss") || strings.Contains(string(r.raw), "smtp_pass") {
			t.Fatalf("the password came back: %s", r.raw)
		}
		m := r.obj(t)
		cr := m["credentials"].(map[string]any)
		if m["name"] != "smtp" || m["enabled"] != true || m["default_from_address"] != "Acme <no-reply@acme.test>" ||
			cr["smtp_host"] != "smtp.acme.test" || cr["smtp_port"] != float64(587) || cr["smtp_user"] != "mailer" {
			t.Fatalf("provider: %s", r.raw)
		}
	}
	stored, err := e.st.GetEmailProvider(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored.PasswordSealed), "p@ss") {
		t.Fatal("the password is stored in the clear")
	}
	if pw, err := sealer.Open(stored.PasswordSealed); err != nil || pw != "p@ss word" {
		t.Fatalf("sealed password opens to %q, %v", pw, err)
	}
	// The tenant log keeps the change without the password.
	logs, _, err := e.st.ListLogs(ctx, store.LogFilter{Type: "sapi"}, store.Page{})
	if err != nil || len(logs) != 1 {
		t.Fatalf("logs = %v, %v", logs, err)
	}
	if raw := logs[0].Details; strings.Contains(strings.ToLower(fmtAny(raw)), "p@ss") {
		t.Fatalf("the password is in the tenant log: %v", raw)
	}

	wantError(t, e.call(t, "admin", "POST", "/emails/provider", body), 409, "", "already configured", false)

	// PATCH the port: the password stays; PATCH the host: a password is never sent to a host it
	// was not given for, so it goes, and a user without one is refused.
	e.must(t, 200, "PATCH", "/emails/provider", map[string]any{"credentials": map[string]any{"smtp_port": 465}, "enabled": false})
	stored, _ = e.st.GetEmailProvider(ctx)
	if stored.Credentials.SMTPPort != 465 || stored.Enabled || len(stored.PasswordSealed) == 0 {
		t.Fatalf("after PATCH: %+v", stored)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/emails/provider", map[string]any{"credentials": map[string]any{"smtp_host": "evil.test"}}),
		400, "invalid_body", "smtp_pass is required", false)
	stored, _ = e.st.GetEmailProvider(ctx)
	if stored.Credentials.SMTPHost != "smtp.acme.test" || len(stored.PasswordSealed) == 0 {
		t.Fatalf("a refused PATCH changed the provider: %+v", stored)
	}
}

func TestEmailProviderBadInput(t *testing.T) {
	e, _ := emailEnv(t)
	cases := []struct {
		name string
		body any
		code string
		msg  string
	}{
		{"not JSON", "{", "invalid_body", "Invalid request payload JSON format"},
		{"no name", map[string]any{"credentials": map[string]any{"smtp_host": "h", "smtp_port": 25}}, "invalid_body", "name"},
		{"no credentials", map[string]any{"name": "smtp"}, "invalid_body", "credentials"},
		{"other provider", map[string]any{"name": "sendgrid", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 25}}, "invalid_body", "Only the smtp"},
		{"unknown credential", map[string]any{"name": "smtp", "credentials": map[string]any{"api_key": "k"}}, "invalid_body", "api_key"},
		{"no host", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_port": 587}}, "invalid_body", "smtp_host"},
		{"host with a path", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h/x", "smtp_port": 587}}, "invalid_body", "smtp_host"},
		{"port zero", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 0}}, "invalid_body", "smtp_port"},
		{"port too big", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 70000}}, "invalid_body", "smtp_port"},
		{"port as string", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h", "smtp_port": "587"}}, "invalid_body", "Expected type integer"},
		{"user without password", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 587, "smtp_user": "u"}}, "invalid_body", "smtp_pass"},
		{"line break in user", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 587, "smtp_user": "u\r\nX: y", "smtp_pass": "p"}}, "invalid_body", "malformed"},
		{"header injection in from", map[string]any{"name": "smtp", "default_from_address": "a@b.test\r\nBcc: c@d.test", "credentials": map[string]any{"smtp_host": "h", "smtp_port": 587}}, "invalid_body", "default_from_address"},
		{"credentials on port 25", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "mx.acme.test", "smtp_port": 25, "smtp_user": "u", "smtp_pass": "p"}}, "invalid_body", "587"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call(t, "admin", "POST", "/emails/provider", tc.body), 400, tc.code, tc.msg, false)
			if _, err := e.st.GetEmailProvider(context.Background()); err == nil {
				t.Fatal("a refused body configured a provider")
			}
		})
	}
	wantError(t, e.call(t, "reader", "GET", "/emails/provider", nil), 403, "insufficient_scope", "read:email_provider", false)
	wantError(t, e.call(t, "admin", "PATCH", "/emails/provider", map[string]any{"enabled": true}), 404, "inexistent_email_provider", "", false)
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
