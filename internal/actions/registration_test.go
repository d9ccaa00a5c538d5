package actions_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func TestPreUserRegistration(t *testing.T) {
	rt := fastRuntime()
	run := func(srcs ...string) (*actions.PreUserRegistrationResult, error) {
		var bound []actions.Bound
		for i, src := range srcs {
			name := string(rune('A' + i))
			bound = append(bound, actions.Bound{ActionID: name, Name: name, Program: MustCompile(t, rt, name, src, actions.TriggerPreUserRegistration)})
		}
		return rt.RunPreUserRegistration(context.Background(), bound, actions.PreUserRegistrationEvent{
			User:       actions.User{Email: "mallory@blocked.example", UserMetadata: map[string]any{"plan": "free"}},
			Connection: actions.Connection{Name: "Username-Password-Authentication", Strategy: "auth0"},
			Client:     actions.Client{ClientID: "cid", Name: "Your App"},
		})
	}
	res, err := run(`exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata('source', event.client.name);
  api.user.setUserMetadata('plan', 'trial');
};`, `exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.user_metadata.plan !== 'trial') throw new Error('later actions see earlier metadata');
  if (event.user.email.endsWith('@blocked.example')) api.access.deny('blocked domain', 'Sign-ups from this domain are closed.');
};`, `exports.onExecutePreUserRegistration = async () => { throw new Error('runs after a denial'); };`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Denied == nil || res.Denied.Reason != "blocked domain" || res.UserMessage != "Sign-ups from this domain are closed." ||
		res.AppMetadata["source"] != "Your App" || res.UserMetadata["plan"] != "trial" {
		t.Fatalf("result %+v", res)
	}
	res, err = run(`exports.onExecutePreUserRegistration = async (event, api) => { api.validation.error('invalid_username', 'Pick another name.'); };`)
	if err != nil || res.Denied == nil || res.Denied.Code != "invalid_username" || res.UserMessage != "Pick another name." {
		t.Fatalf("validation error: %+v %v", res, err)
	}
}
