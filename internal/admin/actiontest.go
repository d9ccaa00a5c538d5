package admin

// An action's Test panel: the editor page's form sends an event (JSON) to the Management API's
// POST /actions/actions/{id}/test and shows what the draft did — its console lines, what it asked
// for (a redirect, claims, a denial), the error that ended it — with nothing applied.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// maxTestPayload bounds the event a test sends (Auth0's events are a few kB).
const maxTestPayload = 64 << 10

// actionTestResult is the API's {payload: {logs, result, error, duration_ms}}, for the page.
type actionTestResult struct {
	Logs []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"logs"`
	Result     json.RawMessage                 `json:"result"`
	Error      *struct{ Kind, Message string } `json:"error"`
	DurationMS int64                           `json:"duration_ms"`
	// ResultText is Result indented, for reading.
	ResultText string `json:"-"`
}

// sampleEvents are the Test panel's starting events, per trigger: what each flow would pass, with
// Auth0's field names.
var sampleEvents = map[string]string{
	"post-login": `{
  "user": {"user_id": "auth0|123", "email": "ada@example.com", "email_verified": true, "app_metadata": {}, "user_metadata": {}},
  "client": {"client_id": "abc", "name": "Your App", "metadata": {}},
  "request": {"ip": "203.0.113.7", "hostname": "localhost", "method": "GET", "query": {}},
  "authorization": {"roles": ["admin"]},
  "transaction": {"requested_scopes": ["openid", "profile"]}
}`,
	"credentials-exchange": `{
  "client": {"client_id": "abc", "name": "Your API client", "metadata": {}},
  "resource_server": {"identifier": "https://api.example.com"},
  "request": {"ip": "203.0.113.7", "hostname": "localhost"}
}`,
	"send-phone-message": `{
  "message_options": {"action": "second-factor-authentication", "code": "123456", "message_type": "sms",
    "recipient": "+15551234567", "text": "Your verification code is 123456"},
  "user": {"user_id": "auth0|123", "email": "ada@example.com", "app_metadata": {}, "user_metadata": {}},
  "client": {"client_id": "abc", "name": "Your App", "metadata": {}},
  "request": {"ip": "203.0.113.7", "hostname": "localhost", "method": "POST"}
}`,
}

// sampleEvent is the starting event for trigger: its own, else a user and a request.
func sampleEvent(trigger string) string {
	if s, ok := sampleEvents[trigger]; ok {
		return s
	}
	return `{
  "user": {"user_id": "auth0|123", "email": "ada@example.com", "app_metadata": {}, "user_metadata": {}},
  "connection": {"name": "Username-Password-Authentication", "strategy": "auth0"},
  "request": {"ip": "203.0.113.7", "hostname": "localhost", "method": "POST"}
}`
}

// testAction is POST /admin/actions/{id}/test.
func (h *Handler) testAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	a, ok := h.loadAction(w, r, v)
	if !ok {
		return
	}
	d := h.editorData(a, v)
	d.TestPayload = r.PostFormValue("payload")
	show := func(status int, msg string) {
		h.render(w, r, status, "action", &layoutData{Title: a.Name, Nav: "actions", Error: msg, Data: d}, v)
	}
	if len(d.TestPayload) > maxTestPayload {
		show(http.StatusBadRequest, "The test event is larger than 64 kB.")
		return
	}
	var payload map[string]any
	if err := json.Unmarshal([]byte(d.TestPayload), &payload); err != nil || payload == nil {
		show(http.StatusBadRequest, "The test event must be a JSON object.")
		return
	}
	var out struct {
		Payload actionTestResult `json:"payload"`
	}
	body := map[string]any{"payload": payload}
	if len(a.SupportedTriggers) > 0 {
		body["trigger_id"] = a.SupportedTriggers[0].ID
	}
	if err := v.api.do(r.Context(), "POST", "actions/actions/"+url.PathEscape(a.ID)+"/test", body, &out); err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			h.apiFailed(w, r, v, err)
			return
		}
		show(ae.StatusCode, ae.Message)
		return
	}
	res := out.Payload
	var pretty bytes.Buffer
	if r := string(bytes.TrimSpace(res.Result)); r != "" && r != "{}" && r != "null" && json.Indent(&pretty, res.Result, "", "  ") == nil {
		res.ResultText = pretty.String()
	}
	d.Test = &res
	show(http.StatusOK, "")
}
