package actions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// A send-phone-message action sees Auth0's event: the message options, the user, the client, the
// request and its secrets; its api has the cache and nothing else; a thrown error (a provider that
// refused the message) fails the run.
func TestSendPhoneMessageEvent(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	p := MustCompile(t, rt, "sms", `exports.onExecuteSendPhoneMessage = async (event, api) => {
  const m = event.message_options;
  console.log([m.action, m.message_type, m.recipient, m.code, m.text, event.user.user_id, event.client.client_id,
    event.client.name, event.request.ip, event.secrets.PROVIDER_KEY, typeof api.cache.set, Object.keys(api).join(',')].join('|'));
  if (m.recipient === '+15550000000') throw new Error('provider refused ' + m.recipient);
};`, actions.TriggerSendPhoneMessage)
	ev := actions.SendPhoneMessageEvent{
		MessageOptions: actions.MessageOptions{Action: "second-factor-authentication", Code: "123456", MessageType: "sms",
			Recipient: "+15551234567", Text: "Your code is 123456"},
		User:    actions.User{UserID: "auth0|1", Email: "ada@example.org"},
		Client:  actions.Client{ClientID: "app1", Name: "Your App"},
		Request: actions.Request{IP: "203.0.113.9", Method: "POST"},
	}
	bound := []actions.Bound{{ActionID: "1", Name: "sms", Program: p, Secrets: map[string]string{"PROVIDER_KEY": "k-1"}}}
	res, err := rt.RunSendPhoneMessage(context.Background(), bound, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := "second-factor-authentication|sms|+15551234567|123456|Your code is 123456|auth0|1|app1|Your App|203.0.113.9|k-1|function|cache"
	if len(res.Logs) != 1 || res.Logs[0].Line != want {
		t.Fatalf("logs %+v, want %q", res.Logs, want)
	}
	ev.MessageOptions.Recipient = "+15550000000"
	_, err = rt.RunSendPhoneMessage(context.Background(), bound, ev)
	if e := mustExecErr(t, err, actions.KindException); !strings.Contains(e.Message, "provider refused +15550000000") {
		t.Fatalf("message %q", e.Message)
	}
}
