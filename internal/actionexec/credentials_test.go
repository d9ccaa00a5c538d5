package actionexec_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

func (e *env) m2mEvent(audience string) trigger.CredentialsExchange {
	return trigger.CredentialsExchange{
		Client: e.client, API: &domain.ResourceServer{Identifier: audience},
		RequestedScopes: []string{"read:data"}, Scopes: []string{"read:data"}, IP: "198.51.100.7", UserAgent: "m2m",
	}
}

func TestCredentialsExchange(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerCredentialsExchange, MustDeploy(t, e.st, "m2m", domain.TriggerCredentialsExchange,
		`exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.resource_server.identifier === 'https://internal.example.test') {
    api.access.deny('invalid_scope', 'This API is not for machines.');
    return;
  }
  api.accessToken.setCustomClaim('https://e.test/tier', event.client.metadata.tier);
  api.accessToken.setCustomClaim('https://e.test/scope', event.accessToken.scope.join(' '));
  api.accessToken.setCustomClaim('https://e.test/tenant', event.tenant.id + ':' + event.secrets.REGION);
};`, domain.ActionSecret{Name: "REGION", Value: "eu"}))

	ar, err := e.ex.CredentialsExchange(ctx, e.m2mEvent("https://api.yourapp.com"))
	must(t, err)
	if ar.Denial != nil || jsonOf(t, ar.AccessTokenClaims) != `{"https://e.test/scope":"read:data","https://e.test/tenant":"default:eu","https://e.test/tier":"gold"}` {
		t.Fatalf("result %+v", ar)
	}
	ar, err = e.ex.CredentialsExchange(ctx, e.m2mEvent("https://internal.example.test"))
	must(t, err)
	if ar.Denial == nil || ar.Denial.Code != "invalid_scope" || ar.Denial.Reason != "This API is not for machines." {
		t.Fatalf("deny %+v", ar)
	}
	// The post-login chain is separate.
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.AccessTokenClaims != nil {
		t.Fatalf("post-login ran credentials-exchange actions: %+v", out)
	}
}

func TestCredentialsExchangeFailure(t *testing.T) {
	e := MustEnv(t, envOptions{timeout: 200 * time.Millisecond})
	for i, code := range []string{
		`exports.onExecuteCredentialsExchange = async () => { throw new Error('db down'); };`,
		`exports.onExecuteCredentialsExchange = async () => { for (;;) {} };`,
	} {
		MustBind(t, e.st, domain.TriggerCredentialsExchange, MustDeploy(t, e.st, "bad "+strconv.Itoa(i), domain.TriggerCredentialsExchange, code))
		ar, err := e.ex.CredentialsExchange(ctx, e.m2mEvent("https://api.yourapp.com"))
		must(t, err)
		if ar.Denial == nil || ar.Denial.Code != "server_error" || ar.Denial.Reason != actionexec.FailedReason || ar.AccessTokenClaims != nil {
			t.Fatalf("result %+v", ar)
		}
	}
	logs := e.actionLogs(t)
	if len(logs) != 2 || logs[0].Audience != "https://api.yourapp.com" || logs[0].ClientID != e.client.ClientID {
		t.Fatalf("logs %s", jsonOf(t, logs))
	}
}
