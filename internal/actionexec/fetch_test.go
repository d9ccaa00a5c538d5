package actionexec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestFetchFollowsTheTenantAllowList: a deployed Action's fetch reaches a loopback service only
// once the tenant's actions_allowed_hosts names it; before, the sign-in fails with the generic
// description and the refusal is in the tenant log.
func TestFetchFollowsTheTenantAllowList(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Header.Get("Authorization")+" "+string(b))
		_, _ = io.WriteString(w, `{"synced":true}`)
	}))
	defer srv.Close()
	e := MustEnv(t, envOptions{})
	code := `exports.onExecutePostLogin = async (event, api) => {
  const r = await fetch(event.secrets.SYNC_URL, { method: 'POST', headers: { authorization: 'Bearer ' + event.secrets.SYNC_SECRET },
    body: JSON.stringify({ user_id: event.user.user_id }) });
  api.idToken.setCustomClaim('https://example.test/synced', (await r.json()).synced);
};`
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "Sync users", domain.TriggerPostLogin, code,
		domain.ActionSecret{Name: "SYNC_URL", Value: srv.URL + "/hooks/user-sync"}, domain.ActionSecret{Name: "SYNC_SECRET", Value: "hook-secret"}))

	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	if err == nil && out.Denial == nil {
		t.Fatalf("fetch to loopback succeeded without the allow-list: %v", out)
	}
	if len(got) != 0 {
		t.Fatalf("the service was reached: %v", got)
	}
	logs := e.actionLogs(t)
	found := false
	for _, l := range logs {
		if strings.Contains(l.Description, "destination not allowed") || strings.Contains(jsonOf(t, l.Details), "destination not allowed") {
			found = true
		}
		if strings.Contains(l.Description, "hook-secret") || strings.Contains(jsonOf(t, l.Details), "hook-secret") {
			t.Fatalf("secret in the tenant log: %v", l)
		}
	}
	if !found {
		t.Fatalf("no log of the refusal: %v", logs)
	}

	s, err := e.st.GetTenantSettings(ctx)
	must(t, err)
	s.ActionsAllowedHosts = []string{"127.0.0.1"}
	must(t, e.st.PutTenantSettings(ctx, s))
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.IDTokenClaims["https://example.test/synced"] != true || len(got) != 1 || got[0] != `Bearer hook-secret {"user_id":"`+e.admin.UserID+`"}` {
		t.Fatalf("claims %v, requests %v", out.IDTokenClaims, got)
	}
}

// TestModuleListsAgree: the Management API accepts as dependencies exactly what require loads.
func TestModuleListsAgree(t *testing.T) {
	if !slices.Equal(domain.ActionModules, actions.BuiltinModules()) {
		t.Fatalf("domain %v, actions %v", domain.ActionModules, actions.BuiltinModules())
	}
}
