package oauth_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/trigger"
)

// fakeActions is an ActionRunner with one function field per hook.
type fakeActions struct {
	credentials func(trigger.CredentialsExchange) trigger.Outcome
	refresh     func(trigger.PostLogin) trigger.Outcome
}

func (f fakeActions) CredentialsExchange(_ context.Context, ev trigger.CredentialsExchange) (trigger.Outcome, error) {
	return f.credentials(ev), nil
}

func (f fakeActions) PostLogin(_ context.Context, ev trigger.PostLogin) (trigger.Outcome, error) {
	return f.refresh(ev), nil
}

func TestActionsHooks(t *testing.T) {
	e := MustEnv(t, envOptions{actions: fakeActions{
		credentials: func(ev trigger.CredentialsExchange) trigger.Outcome {
			if ev.API.Identifier == rbacAPIID {
				return trigger.Outcome{Denial: &trigger.Denial{Code: "invalid_scope", Reason: "no machines here"}}
			}
			return trigger.Outcome{AccessTokenClaims: map[string]any{"https://example.test/tier": "gold", "sub": "forged"}}
		},
		refresh: func(ev trigger.PostLogin) trigger.Outcome {
			if ev.User.Email == "admin@example.test" {
				return trigger.Outcome{Denial: &trigger.Denial{Reason: "admins must sign in again"}}
			}
			return trigger.Outcome{IDTokenClaims: map[string]any{"https://example.test/refreshed": true}}
		},
	}})
	a := e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", apiID)})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	_, claims := decodeJWT(t, a.body["access_token"].(string))
	if claims["https://example.test/tier"] != "gold" || claims["sub"] != m2mID+"@clients" {
		t.Fatalf("claims %v", claims)
	}
	wantError(t, e.call(t, "oauth/token", tokenCall{body: form("grant_type", "client_credentials", "client_id", m2mID, "client_secret", m2mSecret, "audience", rbacAPIID)}),
		400, "invalid_scope", "no machines here")

	rt := e.firstTokens(t, webID).body["refresh_token"].(string)
	r := e.refresh(t, webID, rt)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if _, c := decodeJWT(t, r.body["id_token"].(string)); c["https://example.test/refreshed"] != true {
		t.Fatalf("ID token claims %v", c)
	}
	adminRT := e.exchange(t, webID, e.mintCode(t, codeSpec{user: adminID, scope: "openid offline_access"}), webCB, "").body["refresh_token"].(string)
	wantError(t, e.refresh(t, webID, adminRT), 403, "access_denied", "admins must sign in again")
}
