package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// formTextarea returns the content of the page's textarea named name.
func formTextarea(page, name string) string {
	m := regexp.MustCompile(`(?s)<textarea[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestSendPhoneMessageTrigger: send-phone-message is listed with Auth0's version, an action for it
// is created, deployed and bound through the Management API, its test run gets Auth0's event
// (message_options, user, client, request, secrets masked in the lines), and the dashboard's Flows
// page shows the flow with the action bound and adds another through the API.
func TestSendPhoneMessageTrigger(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	if status, tr := m.do("GET", "actions/triggers", nil); status != 200 || !strings.Contains(jsonString(t, tr), `"id":"send-phone-message","runtimes":["node22"],"status":"CURRENT","version":"v2"`) {
		t.Fatalf("triggers: %d %v", status, tr)
	}
	status, a := m.do("POST", "actions/actions", map[string]any{"name": "Custom SMS provider",
		"supported_triggers": []map[string]string{{"id": "send-phone-message", "version": "v2"}},
		"secrets":            []map[string]string{{"name": "SMS_TOKEN", "value": "sms-provider-token"}},
		"code": `exports.onExecuteSendPhoneMessage = async (event, api) => {
  const m = event.message_options;
  console.log('to ' + m.recipient + ' (' + m.message_type + ', ' + m.action + '): ' + m.text + ' for ' + event.user.email +
    ' via ' + event.client.name + ' from ' + event.request.ip + ' with ' + event.secrets.SMS_TOKEN);
};`})
	if status != 201 {
		t.Fatalf("create: %d %v", status, a)
	}
	id := a["id"].(string)
	status, out := m.do("POST", "actions/actions/"+id+"/test", map[string]any{"payload": map[string]any{
		"message_options": map[string]any{"action": "enrollment", "code": "654321", "message_type": "sms", "recipient": "+15551234567",
			"text": "Your enrollment code is 654321"},
		"user":    map[string]any{"email": "ada@example.com"},
		"client":  map[string]any{"client_id": "abc", "name": "Your App"},
		"request": map[string]any{"ip": "203.0.113.7", "method": "POST"}}})
	p, _ := out["payload"].(map[string]any)
	if status != 200 || p == nil || p["error"] != nil ||
		!strings.Contains(jsonString(t, p["logs"]), "to +15551234567 (sms, enrollment): Your enrollment code is 654321 for ada@example.com via Your App from 203.0.113.7 with [redacted]") {
		t.Fatalf("test: %d %v", status, out)
	}
	if status, v := m.do("POST", "actions/actions/"+id+"/deploy", nil); status != 200 {
		t.Fatalf("deploy: %d %v", status, v)
	}
	m.bind("send-phone-message", id)
	if status, b := m.do("GET", "actions/triggers/send-phone-message/bindings", nil); status != 200 || !strings.Contains(jsonString(t, b), "Custom SMS provider") {
		t.Fatalf("bindings: %d %v", status, b)
	}

	admin, csrf := dashboardAdmin(t, n)
	flow := n.issuer + "admin/flows/send-phone-message"
	resp, page := get(t, admin, flow)
	if resp.StatusCode != 200 || !strings.Contains(page, "Send Phone Message") || !strings.Contains(page, ">Custom SMS provider</a>") {
		t.Fatalf("flow page: %d\n%s", resp.StatusCode, page)
	}
	// The action's Test panel starts from a send-phone-message event and shows what the run logged.
	editor := n.issuer + "admin/actions/" + id
	_, page = get(t, admin, editor)
	if !strings.Contains(page, `id="test-payload"`) || !strings.Contains(page, "message_options") {
		t.Fatalf("editor without a test panel:\n%s", page)
	}
	resp, page = post(t, admin, editor+"/test", url.Values{"csrf": {csrf}, "payload": {htmlUnescape(formTextarea(page, "payload"))}})
	if resp.StatusCode != 200 || !strings.Contains(htmlUnescape(page), "to +15551234567 (sms, second-factor-authentication): Your verification code is 123456") ||
		!strings.Contains(page, "[redacted]") || strings.Contains(page, "sms-provider-token") {
		t.Fatalf("test panel: %d\n%s", resp.StatusCode, page)
	}
	if resp, page = post(t, admin, editor+"/test", url.Values{"csrf": {csrf}, "payload": {"[1, 2"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "must be a JSON object") {
		t.Fatalf("bad event: %d", resp.StatusCode)
	}
	second := m.deployAction("Backup SMS provider", "send-phone-message", `exports.onExecuteSendPhoneMessage = async (event, api) => {};`)
	if resp, _ = post(t, admin, flow, url.Values{"csrf": {csrf}, "op": {"add"}, "action": {second}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add to flow: %d", resp.StatusCode)
	}
	if status, b := m.do("GET", "actions/triggers/send-phone-message/bindings", nil); status != 200 || !strings.Contains(jsonString(t, b), "Backup SMS provider") {
		t.Fatalf("bindings after the dashboard's add: %d %v", status, b)
	}
}
