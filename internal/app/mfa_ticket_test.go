package app_test

// Guardian enrollment tickets (/api/v2/guardian/enrollments/ticket and the link's page) and
// /api/v2/guardian/enrollments/{id}, on both engines.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
)

func TestGuardianEnrollmentTicket(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		m := newMgmtClient(t, n.node)
		user := n.tenant.Users[1]
		uid := usersByEmail(t, m, user.Email)[0]["user_id"].(string)

		for _, c := range []struct {
			body   map[string]any
			status int
		}{
			{map[string]any{}, 400},
			{map[string]any{"user_id": "auth0|nobody"}, 404},
			{map[string]any{"user_id": uid, "factor": "sms"}, 400},
			{map[string]any{"user_id": uid, "email": "someone@else.example"}, 400},
			{map[string]any{"user_id": uid, "send_mail": true}, 400},
		} {
			if status, body := m.do("POST", "guardian/enrollments/ticket", c.body); status != c.status {
				t.Fatalf("ticket %v: %d %v, want %d", c.body, status, body, c.status)
			}
		}
		status, tk := m.do("POST", "guardian/enrollments/ticket", map[string]any{"user_id": uid})
		link, _ := tk["ticket_url"].(string)
		if status != 200 || tk["ticket_id"] == "" || !strings.HasPrefix(link, n.issuer+"u/guardian-enrollment?ticket=") {
			t.Fatalf("ticket: %d %v", status, tk)
		}

		b := browser(t)
		resp, page := get(t, b, link)
		sec := secretText.FindStringSubmatch(page)
		if resp.StatusCode != 200 || sec == nil || !strings.Contains(page, `href="otpauth://totp/`) {
			t.Fatalf("enrollment page: %d %s", resp.StatusCode, page)
		}
		secret := strings.ReplaceAll(sec[1], " ", "")
		post := func(c *http.Client, form url.Values) (int, string) {
			t.Helper()
			resp, err := c.PostForm(n.issuer+"u/guardian-enrollment", form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(raw)
		}
		form := formFields(page)
		form.Set("code", "000000")
		if totpCode(t, secret, n.clock.Now()) == "000000" {
			form.Set("code", "111111")
		}
		if status, page := post(b, form); status != 400 || !strings.Contains(page, "Invalid code") {
			t.Fatalf("a wrong code: %d", status)
		}
		// Another browser (no binding cookie) cannot post the form.
		form.Set("code", totpCode(t, secret, n.clock.Now()))
		if status, _ := post(browser(t), form); status != 403 {
			t.Fatalf("the form from another browser: %d", status)
		}
		if status, page := post(b, form); status != 200 || recoveryText.FindStringSubmatch(page) == nil {
			t.Fatalf("the right code: %d %s", status, page)
		}
		if logCount(t, n.node, audit.TypeMFAEnrollmentComplete) != 1 {
			t.Error("no gd_enrollment_complete logged")
		}

		// The link is spent.
		if resp, page := get(t, b, link); resp.StatusCode != 400 || !strings.Contains(page, "no longer valid") {
			t.Fatalf("the link again: %d", resp.StatusCode)
		}
		form.Set("code", totpCode(t, secret, n.clock.Now().Add(30*time.Second)))
		if status, _ := post(b, form); status != 400 {
			t.Fatalf("the form again: %d", status)
		}

		// The enrollment, by user and by id; a second ticket needs allow_multiple_enrollments.
		status, list := m.doList("GET", "users/"+url.PathEscape(uid)+"/enrollments")
		if status != 200 || len(list) != 1 || list[0]["status"] != "confirmed" {
			t.Fatalf("enrollments: %d %v", status, list)
		}
		id := list[0]["id"].(string)
		if status, e := m.do("GET", "guardian/enrollments/"+url.PathEscape(id), nil); status != 200 || e["status"] != "confirmed" {
			t.Fatalf("enrollment by id: %d %v", status, e)
		}
		if status, _ := m.do("POST", "guardian/enrollments/ticket", map[string]any{"user_id": uid}); status != 409 {
			t.Fatalf("a ticket for an enrolled user: %d", status)
		}

		// An expired link enrolls nothing.
		status, tk = m.do("POST", "guardian/enrollments/ticket", map[string]any{"user_id": uid, "allow_multiple_enrollments": true, "ttl_sec": 60})
		if status != 200 {
			t.Fatalf("a second ticket: %d %v", status, tk)
		}
		n.clock.Advance(61 * time.Second)
		if resp, _ := get(t, browser(t), tk["ticket_url"].(string)); resp.StatusCode != 400 {
			t.Fatalf("an expired link: %d", resp.StatusCode)
		}

		if status, _ := m.do("DELETE", "guardian/enrollments/"+url.PathEscape(id), nil); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		if status, _ := m.do("DELETE", "guardian/enrollments/"+url.PathEscape(id), nil); status != 404 {
			t.Fatalf("delete again: %d", status)
		}
		if status, list := m.doList("GET", "users/"+url.PathEscape(uid)+"/authentication-methods"); status != 200 || len(list) != 0 {
			t.Fatalf("methods after deleting the last factor: %d %v", status, list)
		}
	})
}

// doList is do for an answer that is a JSON array of objects.
func (m *mgmtClient) doList(method, path string) (int, []map[string]any) {
	m.t.Helper()
	status, out := m.do(method, path, nil)
	var list []map[string]any
	raw, _ := out["list"].([]any)
	for _, v := range raw {
		o, _ := v.(map[string]any)
		list = append(list, o)
	}
	return status, list
}
