package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The brute-force panel against a Management API answering in Auth0's shape
// (/api/v2/attack-protection/brute-force-protection), and against one without the endpoint.
func TestBruteForcePanel(t *testing.T) {
	var patched map[string]any
	present := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/attack-protection/brute-force-protection" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		if !present {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"statusCode":404,"error":"Not Found","message":"Not Found"}`)
			return
		}
		if r.Method == http.MethodPatch {
			_ = json.NewDecoder(r.Body).Decode(&patched)
		}
		_, _ = io.WriteString(w, `{"enabled":true,"shields":["block","user_notification"],"allowlist":["10.0.0.0/8","<b>x</b>"],"mode":"count_per_identifier_and_ip","max_attempts":10}`)
	}))
	defer srv.Close()
	a := &api{client: srv.Client(), base: srv.URL + "/api/v2/", token: "tok"}
	ctx := context.Background()

	b, err := loadBruteForce(ctx, a)
	if err != nil || b == nil || !b.Enabled || b.MaxAttempts != 10 || len(b.Shields) != 2 {
		t.Fatalf("loaded: %+v %v", b, err)
	}
	p := panelFrom(b, false)
	if !p.Block || !p.Notify || p.MaxAttempts != "10" || p.Allowlist != "10.0.0.0/8\n<b>x</b>" || p.CanWrite {
		t.Errorf("panel: %+v", p)
	}

	// The page: the panel with markup in the allowlist inert, Save disabled for a read-only role.
	pages, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	v := &viewer{Name: "Viewer", Scopes: []string{"read:attack_protection"}}
	if err := mustPage(t, pages, "security").ExecuteTemplate(&out, "layout", &layoutData{Title: "Security", Viewer: v,
		Data: securityData{BruteForce: p}}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	if !strings.Contains(page, `value="10"`) || !strings.Contains(page, "&lt;b&gt;x&lt;/b&gt;</textarea>") || strings.Contains(page, "<b>x</b>") ||
		!strings.Contains(page, "disabled>Save") {
		t.Errorf("panel markup:\n%s", page)
	}

	// A submitted form becomes Auth0's PATCH body.
	body, _, problem := bruteForceBody(url.Values{"enabled": {"on"}, "max_attempts": {" 5 "}, "shield_block": {"on"}, "allowlist": {"10.0.0.1\r\n\r\n192.168.0.0/16\n"}})
	if problem != "" {
		t.Fatal(problem)
	}
	if err := a.do(ctx, "PATCH", "attack-protection/brute-force-protection", body, nil); err != nil {
		t.Fatal(err)
	}
	if patched["enabled"] != true || patched["max_attempts"] != float64(5) || len(patched["shields"].([]any)) != 1 ||
		len(patched["allowlist"].([]any)) != 2 || patched["allowlist"].([]any)[1] != "192.168.0.0/16" {
		t.Errorf("PATCH body: %v", patched)
	}
	if _, typed, problem := bruteForceBody(url.Values{"max_attempts": {"ten"}, "allowlist": {"a"}}); problem == "" || typed.MaxAttempts != "ten" || typed.Allowlist != "a" {
		t.Errorf("a count that is not a number: %q %+v", problem, typed)
	}

	// A node without attack protection: no panel, no error.
	present = false
	if b, err := loadBruteForce(ctx, a); b != nil || err != nil {
		t.Errorf("without the endpoint: %+v %v", b, err)
	}
}
