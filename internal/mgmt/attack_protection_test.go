package mgmt_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/store"
)

const apScopes = "scopes:read:attack_protection,update:attack_protection"

// TestAttackProtectionSections: Auth0's defaults, a PATCH changes only what it names (a stage's
// fields one by one), every section is stored on its own, bad input changes nothing.
func TestAttackProtectionSections(t *testing.T) {
	e := newEnv(t)
	r := e.call(t, apScopes, "GET", "/attack-protection/brute-force-protection", nil)
	bf := r.obj(t)
	if r.status != 200 || bf["enabled"] != true || bf["max_attempts"] != float64(10) || bf["mode"] != "count_per_identifier_and_ip" {
		t.Fatalf("default brute force: %d %s", r.status, r.raw)
	}
	r = e.call(t, apScopes, "PATCH", "/attack-protection/brute-force-protection",
		map[string]any{"max_attempts": 3, "allowlist": []string{"10.0.0.0/8", "2001:db8::1"}})
	bf = r.obj(t)
	if r.status != 200 || bf["max_attempts"] != float64(3) || bf["enabled"] != true || len(bf["allowlist"].([]any)) != 2 {
		t.Fatalf("patched brute force: %d %s", r.status, r.raw)
	}

	r = e.call(t, apScopes, "PATCH", "/attack-protection/suspicious-ip-throttling",
		map[string]any{"stage": map[string]any{"pre-login": map[string]any{"max_attempts": 7}}})
	sit := r.obj(t)
	stage := sit["stage"].(map[string]any)
	pl, pur := stage["pre-login"].(map[string]any), stage["pre-user-registration"].(map[string]any)
	if r.status != 200 || pl["max_attempts"] != float64(7) || pl["rate"] != float64(864000) || pur["max_attempts"] != float64(50) || pur["rate"] != float64(1200) {
		t.Fatalf("patched throttling: %d %s", r.status, r.raw)
	}

	r = e.call(t, apScopes, "GET", "/attack-protection/breached-password-detection", nil)
	bpd := r.obj(t)
	if bpd["enabled"] != false || bpd["method"] != "standard" {
		t.Fatalf("default breached: %s", r.raw)
	}
	r = e.call(t, apScopes, "PATCH", "/attack-protection/breached-password-detection", map[string]any{
		"enabled": true, "shields": []string{"block", "admin_notification"}, "admin_notification_frequency": []string{"immediately"},
		"stage": map[string]any{"pre-user-registration": map[string]any{"shields": []string{"block"}}}})
	bpd = r.obj(t)
	if r.status != 200 || bpd["enabled"] != true || len(bpd["shields"].([]any)) != 2 {
		t.Fatalf("patched breached: %d %s", r.status, r.raw)
	}

	for _, bad := range []struct{ path, body, msg string }{
		{"/attack-protection/brute-force-protection", `{"max_attempts":0}`, "max_attempts"},
		{"/attack-protection/brute-force-protection", `{"mode":"per_ip"}`, "mode"},
		{"/attack-protection/brute-force-protection", `{"shields":["admin_notification"]}`, "shields"},
		{"/attack-protection/brute-force-protection", `{"allowlist":["not an ip"]}`, "allowlist"},
		{"/attack-protection/brute-force-protection", `{"unknown":1}`, "unknown"},
		{"/attack-protection/suspicious-ip-throttling", `{"stage":{"pre-login":{"rate":0}}}`, "rate"},
		{"/attack-protection/suspicious-ip-throttling", `{"allowlist":["10.0.0.0/33"]}`, "allowlist"},
		{"/attack-protection/breached-password-detection", `{"method":"enhanced"}`, "method"},
		{"/attack-protection/breached-password-detection", `{"stage":{"pre-change-password":{"shields":["user_notification"]}}}`, "shields"},
		{"/attack-protection/breached-password-detection", `{"enabled":"yes"}`, "boolean"},
	} {
		r := e.call(t, apScopes, "PATCH", bad.path, bad.body)
		wantError(t, r, 400, "invalid_body", bad.msg, false)
	}
	ap, err := e.st.GetAttackProtection(context.Background())
	if err != nil || ap.BruteForce.MaxAttempts != 3 || ap.BruteForce.Mode != domain.ModePerIdentifierAndIP ||
		ap.SuspiciousIP.Stage.PreLogin.Rate != 864000 || ap.BreachedPassword.Method != "standard" {
		t.Errorf("a refused PATCH changed the settings: %+v %v", ap, err)
	}
	// Scopes: reading does not let one change.
	r = e.call(t, "scopes:read:attack_protection", "PATCH", "/attack-protection/brute-force-protection", `{"enabled":false}`)
	if r.status != 403 {
		t.Errorf("update with read scope: %d", r.status)
	}
	logs, _, _ := e.st.ListLogs(context.Background(), store.LogFilter{Type: "sapi"}, store.Page{})
	if len(logs) != 3 {
		t.Errorf("%d sapi events, want one per successful PATCH (3)", len(logs))
	}
}

// fakeBlocks blocks the addresses it holds.
type fakeBlocks map[string]bool

func (f fakeBlocks) Blocked(_ context.Context, ip string) (bool, error) { return f[ip], nil }
func (f fakeBlocks) Unblock(_ context.Context, ip string) error {
	if ip == "192.0.2.99" {
		return errors.New("database down")
	}
	delete(f, ip)
	return nil
}

func TestAnomalyBlocks(t *testing.T) {
	blocks := fakeBlocks{"198.51.100.7": true, "2001:db8::7": true}
	e := newEnv(t, func(o *mgmt.Options) { o.IPBlocks = blocks })
	tok := "scopes:read:anomaly_blocks,delete:anomaly_blocks"
	if r := e.call(t, tok, "GET", "/anomaly/blocks/ips/198.51.100.7", nil); r.status != 200 || len(r.raw) != 0 {
		t.Fatalf("blocked: %d %s", r.status, r.raw)
	}
	if r := e.call(t, tok, "GET", "/anomaly/blocks/ips/2001:db8::7", nil); r.status != 200 {
		t.Fatalf("blocked IPv6: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, tok, "GET", "/anomaly/blocks/ips/198.51.100.8", nil), 404, "inexistent_ip_block", "not currently blocked", false)
	wantError(t, e.call(t, tok, "GET", "/anomaly/blocks/ips/not-an-ip", nil), 400, "invalid_uri", "ipv4 or ipv6", false)
	if r := e.call(t, "scopes:read:anomaly_blocks", "DELETE", "/anomaly/blocks/ips/198.51.100.7", nil); r.status != 403 {
		t.Fatalf("delete with read scope: %d", r.status)
	}
	if r := e.call(t, tok, "DELETE", "/anomaly/blocks/ips/198.51.100.7", nil); r.status != 204 {
		t.Fatalf("unblock: %d %s", r.status, r.raw)
	}
	if r := e.call(t, tok, "GET", "/anomaly/blocks/ips/198.51.100.7", nil); r.status != 404 {
		t.Fatalf("after unblock: %d", r.status)
	}
	r := e.call(t, tok, "DELETE", "/anomaly/blocks/ips/192.0.2.99", nil)
	if r.status != 500 || strings.Contains(string(r.raw), "database down") {
		t.Fatalf("a failing unblock: %d %s", r.status, r.raw)
	}
}
