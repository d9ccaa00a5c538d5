package actions_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func m2mEvent() actions.CredentialsExchangeEvent {
	return actions.CredentialsExchangeEvent{
		Client:         actions.Client{ClientID: "m2m", Name: "Backend", Metadata: map[string]string{"tier": "gold"}},
		ResourceServer: actions.ResourceServer{Identifier: "https://api.yourapp.com"},
		AccessToken:    actions.AccessTokenInfo{Scope: []string{"read:data"}},
		Transaction:    actions.CredentialsTransaction{RequestedScopes: []string{"read:data"}},
		Tenant:         actions.Tenant{ID: "default"},
	}
}

func runM2M(t *testing.T, sources ...string) (*actions.CredentialsExchangeResult, error) {
	t.Helper()
	rt := actions.NewRuntime(actions.Options{})
	var bound []actions.Bound
	for i, src := range sources {
		bound = append(bound, actions.Bound{ActionID: string(rune('a' + i)), Name: string(rune('a' + i)),
			Program: MustCompile(t, rt, "m2m", src, actions.TriggerCredentialsExchange)})
	}
	return rt.RunCredentialsExchange(context.Background(), bound, m2mEvent())
}

func TestCredentialsExchangeClaim(t *testing.T) {
	res, err := runM2M(t,
		`exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://yourapp.com/tier', event.client.metadata.tier);
  api.accessToken.setCustomClaim('gty', 'x');
};`,
		`exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://yourapp.com/seen', [event.accessToken.customClaims['https://yourapp.com/tier'], event.accessToken.scope[0], event.resource_server.identifier]);
};`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"https://yourapp.com/tier": "gold", "https://yourapp.com/seen": []any{"gold", "read:data", "https://api.yourapp.com"}}
	if !reflect.DeepEqual(res.AccessTokenClaims, want) {
		t.Fatalf("claims = %#v", res.AccessTokenClaims)
	}
	if len(res.Dropped) != 1 || res.Dropped[0].Name != "gty" {
		t.Fatalf("dropped = %+v", res.Dropped)
	}
}

func TestCredentialsExchangeDeny(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"invalid_scope", "invalid_scope"}, {"server_error", "server_error"}, {"invalid_request", "invalid_request"},
		{"access_denied", "invalid_request"},
	} {
		res, err := runM2M(t,
			`exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('`+tc.code+`', 'not today'); };`,
			`exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('later', 1); };`)
		if err != nil {
			t.Fatal(err)
		}
		if res.Denied == nil || res.Denied.Code != tc.want || res.Denied.Reason != "not today" {
			t.Fatalf("%s: denied = %+v", tc.code, res.Denied)
		}
		if len(res.AccessTokenClaims) != 0 {
			t.Fatalf("second action ran after deny: %v", res.AccessTokenClaims)
		}
	}
}
