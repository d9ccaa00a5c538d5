package actionexec_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

const rolesClaim = "https://yourapp.com/roles"

func jsonOf(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	must(tb, err)
	return string(b)
}

// The seed guide's step 8 Action, deployed and bound, puts exactly the user's role names
// into both tokens; a user without roles gets [] (event.authorization is always present).
func TestGuideActionAddsRoles(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "Add roles to tokens", domain.TriggerPostLogin, guideCode(t)))
	for _, tc := range []struct {
		name string
		user *domain.User
		want string
	}{
		{"admin", e.admin, `["admin"]`},
		{"user", e.member, `["user"]`},
		{"no roles", e.nobody, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.ex.PostLogin(ctx, e.loginInput(tc.user))
			must(t, err)
			if deniedFor(out) != "" {
				t.Fatalf("denied: %q", deniedFor(out))
			}
			if got := jsonOf(t, out.IDTokenClaims[rolesClaim]); got != tc.want {
				t.Errorf("id token roles = %s, want %s", got, tc.want)
			}
			if got := jsonOf(t, out.AccessTokenClaims[rolesClaim]); got != tc.want {
				t.Errorf("access token roles = %s, want %s", got, tc.want)
			}
			if len(out.IDTokenClaims) != 1 || len(out.AccessTokenClaims) != 1 {
				t.Errorf("extra claims: id %v, access %v", out.IDTokenClaims, out.AccessTokenClaims)
			}
		})
	}
	// A caller that already has the roles passes them; they are used as given.
	in := e.loginInput(e.member)
	in.Roles = []string{"from-authflow"}
	out, err := e.ex.PostLogin(ctx, in)
	must(t, err)
	if got := jsonOf(t, out.IDTokenClaims[rolesClaim]); got != `["from-authflow"]` {
		t.Errorf("roles from input = %s", got)
	}
}

func TestNoBindingsIsANoOp(t *testing.T) {
	e := MustEnv(t, envOptions{})
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if !reflect.DeepEqual(out, trigger.Outcome{}) {
		t.Fatalf("output %+v, want zero", out)
	}
	// An action bound but never deployed has nothing to run.
	a := &domain.Action{ID: domain.NewActionID(), Name: "draft", Code: "exports.onExecutePostLogin = async () => { throw new Error('x') };",
		SupportedTriggers: []domain.ActionTrigger{{ID: domain.TriggerPostLogin, Version: "v3"}}, Status: domain.ActionBuilt}
	must(t, e.st.CreateAction(ctx, a))
	// The Management API refuses such a binding; the store keeps what it is given, and the runner
	// must still skip it.
	must(t, e.st.SetTriggerBindings(ctx, domain.TriggerPostLogin, []*domain.TriggerBinding{{ActionID: a.ID, DisplayName: "draft"}}))
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if deniedFor(out) != "" || out.IDTokenClaims != nil {
		t.Fatalf("undeployed action ran: %+v", out)
	}
	if n := e.ex.Stats().Compiles; n != 0 {
		t.Fatalf("compiles = %d, want 0", n)
	}
}

// The event carries what the spec §5.2 lists, built from the domain objects.
func TestPostLoginEvent(t *testing.T) {
	e := MustEnv(t, envOptions{})
	code := `exports.onExecutePostLogin = async (event, api) => {
  const pick = {
    user_id: event.user.user_id, email: event.user.email, app_metadata: event.user.app_metadata,
    user_metadata: event.user.user_metadata, identities: event.user.identities, logins_count: event.stats.logins_count,
    has_created_at: /^\d{4}-\d\d-\d\dT/.test(event.user.created_at),
    roles: event.authorization.roles, client: event.client, connection: event.connection,
    protocol: event.transaction.protocol, requested_scopes: event.transaction.requested_scopes,
    redirect_uri: event.transaction.redirect_uri, state: event.transaction.state,
    response_type: event.transaction.response_type, prompt: event.transaction.prompt,
    ui_locales: event.transaction.ui_locales, login_hint: event.transaction.login_hint,
    resource_server: event.resource_server, tenant: event.tenant, secret: event.secrets.API_KEY,
    ip: event.request.ip, hostname: event.request.hostname, session_id: event.session.id,
    method: event.authentication.methods[0].name,
  };
  api.idToken.setCustomClaim('https://e.test/event', pick);
};`
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "dump", domain.TriggerPostLogin, code,
		domain.ActionSecret{Name: "API_KEY", Value: "k-123456"}))
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.nobody))
	must(t, err)
	got, _ := out.IDTokenClaims["https://e.test/event"].(map[string]any)
	provider, id, _ := strings.Cut(e.nobody.UserID, "|")
	db, err := e.st.GetConnectionByName(ctx, domain.DefaultConnection)
	must(t, err)
	want := map[string]any{
		"user_id": e.nobody.UserID, "email": "nobody@example.test",
		"app_metadata": map[string]any{"plan": "free", "legacy": true}, "user_metadata": map[string]any{"theme": "dark"},
		"identities":   []any{map[string]any{"connection": domain.DefaultConnection, "provider": provider, "user_id": id, "isSocial": false}},
		"logins_count": float64(1), "has_created_at": true, "roles": []any{},
		"client":     map[string]any{"client_id": e.client.ClientID, "name": "Your App", "metadata": map[string]any{"tier": "gold"}},
		"connection": map[string]any{"id": db.ID, "name": domain.DefaultConnection, "strategy": "auth0", "metadata": map[string]any{}},
		"protocol":   "oidc-basic-profile", "requested_scopes": []any{"openid", "profile", "email", "offline_access"},
		"redirect_uri": "https://app.example.test/api/auth/callback", "state": "st4te", "response_type": []any{"code"},
		"prompt": []any{"login"}, "ui_locales": []any{"fr-CA", "en"}, "login_hint": "nobody@example.test",
		"resource_server": map[string]any{"identifier": "https://api.yourapp.com"}, "tenant": map[string]any{"id": "default"},
		"secret": "k-123456", "ip": "203.0.113.9", "hostname": "auth.example.test", "session_id": "sess_1", "method": "pwd",
	}
	if jsonOf(t, got) != jsonOf(t, want) {
		t.Fatalf("event\n got %s\nwant %s", jsonOf(t, got), jsonOf(t, want))
	}
}

// Actions run in binding order: the later one's claim wins, and both log in order.
func TestActionsRunInBindingOrder(t *testing.T) {
	e := MustEnv(t, envOptions{})
	first := MustDeploy(t, e.st, "first", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  console.log('first ran');
  api.idToken.setCustomClaim('https://e.test/who', 'first');
  api.user.setAppMetadata('seen_by', 'first');
};`)
	second := MustDeploy(t, e.st, "second", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  console.log('second ran after', event.user.app_metadata.seen_by);
  api.idToken.setCustomClaim('https://e.test/who', 'second');
};`)
	MustBind(t, e.st, domain.TriggerPostLogin, first, second)
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.member))
	must(t, err)
	if out.IDTokenClaims["https://e.test/who"] != "second" {
		t.Fatalf("claims %v", out.IDTokenClaims)
	}
	logs := e.actionLogs(t)
	if len(logs) != 1 {
		t.Fatalf("%d log entries, want 1", len(logs))
	}
	if got := jsonOf(t, logs[0].Details["actions"]); got != `[{"action_name":"first","lines":[{"level":"log","message":"first ran"}]},{"action_name":"second","lines":[{"level":"log","message":"second ran after first"}]}]` {
		t.Fatalf("log lines %s", got)
	}
	if logs[0].UserID != e.member.UserID || logs[0].ClientID != e.client.ClientID {
		t.Fatalf("log entry %+v", logs[0])
	}

	// Reversed bindings: first runs last.
	MustBind(t, e.st, domain.TriggerPostLogin, second, first)
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.member))
	must(t, err)
	if out.IDTokenClaims["https://e.test/who"] != "first" {
		t.Fatalf("claims after reorder %v", out.IDTokenClaims)
	}
}

// api.access.deny stops the chain; metadata already queued is still returned (spec §5.3).
func TestDenyStopsTheChain(t *testing.T) {
	e := MustEnv(t, envOptions{})
	deny := MustDeploy(t, e.st, "deny", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('denied_at_login', true);
  if (!event.authorization.roles.includes('admin')) api.access.deny('Only admins may sign in.');
};`)
	after := MustDeploy(t, e.st, "after", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://e.test/after', true);
};`)
	MustBind(t, e.st, domain.TriggerPostLogin, deny, after)
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.member))
	must(t, err)
	if deniedFor(out) != "Only admins may sign in." {
		t.Fatalf("deny %q", deniedFor(out))
	}
	if out.IDTokenClaims["https://e.test/after"] != nil {
		t.Fatal("an action after the deny ran")
	}
	if out.AppMetadata["denied_at_login"] != true {
		t.Fatalf("metadata %v", out.AppMetadata)
	}
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if deniedFor(out) != "" || out.IDTokenClaims["https://e.test/after"] != true {
		t.Fatalf("admin: %+v", out)
	}

	// deny() without a reason still denies.
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "bare", domain.TriggerPostLogin,
		`exports.onExecutePostLogin = async (event, api) => { api.access.deny(); };`))
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if deniedFor(out) != actionexec.DefaultDenyReason {
		t.Fatalf("bare deny %q", deniedFor(out))
	}
}

// A failing action denies with the generic reason; the details, with secrets redacted, go
// to the tenant log only.
func TestFailuresDenyAndLog(t *testing.T) {
	e := MustEnv(t, envOptions{timeout: 200 * time.Millisecond})
	const secret = "sk_live_0123456789"
	for _, tc := range []struct {
		name, code, kind, message string
	}{
		{"timeout", `exports.onExecutePostLogin = async () => { while (true) {} };`, "timeout", "time limit"},
		{"exception", `exports.onExecutePostLogin = async (event) => { console.log('key', event.secrets.KEY); throw new Error('boom ' + event.secrets.KEY); };`,
			"exception", "Error: boom [redacted]"},
		{"rejection", `exports.onExecutePostLogin = (event) => Promise.reject(new TypeError('nope'));`, "exception", "TypeError: nope"},
		{"no handler", `exports.somethingElse = () => {};`, "exception", "onExecutePostLogin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := MustDeploy(t, e.st, "failing "+tc.name, domain.TriggerPostLogin, tc.code, domain.ActionSecret{Name: "KEY", Value: secret})
			MustBind(t, e.st, domain.TriggerPostLogin, a)
			before := len(e.actionLogs(t))
			out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
			must(t, err)
			if deniedFor(out) != actionexec.FailedReason || out.IDTokenClaims != nil || out.AppMetadata != nil {
				t.Fatalf("output %+v", out)
			}
			logs := e.actionLogs(t)
			if len(logs) != before+1 {
				t.Fatalf("%d new log entries, want 1", len(logs)-before)
			}
			entry := logs[len(logs)-1]
			raw := jsonOf(t, entry)
			if strings.Contains(raw, secret) {
				t.Fatalf("secret in the tenant log: %s", raw)
			}
			ed, _ := entry.Details["error"].(map[string]any)
			if ed["kind"] != tc.kind || ed["action_name"] != a.Name || !strings.Contains(ed["message"].(string), tc.message) {
				t.Fatalf("error details %v", ed)
			}
			if !strings.Contains(entry.Description, a.Name) {
				t.Fatalf("description %q", entry.Description)
			}
		})
	}
}

// A deployed version that no longer compiles fails the sign-in like a failing action.
func TestBrokenVersionFails(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "broken", domain.TriggerPostLogin, "exports.onExecutePostLogin = async (event, api) => {"))
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if deniedFor(out) != actionexec.FailedReason {
		t.Fatalf("deny %q", deniedFor(out))
	}
	logs := e.actionLogs(t)
	if len(logs) != 1 || logs[0].Details["error"].(map[string]any)["kind"] != "compile" {
		t.Fatalf("logs %s", jsonOf(t, logs))
	}
}

// Metadata, claims and scope changes come back to authflow, which applies them.
func TestMetadataAndScopesReturned(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "meta", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('plan', 'gold');
  api.user.setAppMetadata('legacy', null);
  api.user.setUserMetadata('lang', 'fr');
  api.accessToken.addScope('read:own_data');
  api.accessToken.removeScope('offline_access');
  api.idToken.setCustomClaim('sub', 'forged');
};`))
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.member))
	must(t, err)
	if got := jsonOf(t, out.AppMetadata); got != `{"legacy":null,"plan":"gold"}` {
		t.Errorf("app metadata %s", got)
	}
	if got := jsonOf(t, out.UserMetadata); got != `{"lang":"fr"}` {
		t.Errorf("user metadata %s", got)
	}
	if !reflect.DeepEqual(out.AddScopes, []string{"read:own_data"}) || !reflect.DeepEqual(out.RemoveScopes, []string{"offline_access"}) {
		t.Errorf("scopes +%v -%v", out.AddScopes, out.RemoveScopes)
	}
	if out.IDTokenClaims != nil {
		t.Errorf("restricted claim kept: %v", out.IDTokenClaims)
	}
	// The dropped claim is reported in the tenant log.
	logs := e.actionLogs(t)
	if len(logs) != 1 || !strings.Contains(jsonOf(t, logs[0].Details["dropped_claims"]), `"name":"sub"`) {
		t.Fatalf("logs %s", jsonOf(t, logs))
	}
}

// On a refresh-token exchange post-login runs with protocol oauth2-refresh-token, and the
// metadata it queues is written to the user (nil deletes) by trigger.Apply, even when it
// denies.
func TestPostLoginRefresh(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "refresh", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://yourapp.com/roles', event.authorization.roles);
  api.accessToken.setCustomClaim('https://e.test/protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('https://e.test/rt', event.refresh_token.id);
  api.user.setAppMetadata('refreshes', (event.user.app_metadata.refreshes || 0) + 1);
  api.user.setAppMetadata('legacy', null);
  if (event.user.email.startsWith('member')) api.access.deny('members must sign in again');
};`))
	now := time.Now()
	rt := func(u *domain.User) *domain.RefreshToken {
		return &domain.RefreshToken{FamilyID: "fam_1", ClientID: e.client.ClientID, UserID: u.UserID, Scope: "openid offline_access",
			Rotating: true, AuthTime: now, CreatedAt: now, SessionID: "gone"}
	}
	ar, err := e.refresh(trigger.PostLogin{Source: trigger.Refresh, Client: e.client, User: e.admin, Audience: "https://api.yourapp.com",
		RequestedScopes: []string{"openid", "offline_access"}, RefreshToken: rt(e.admin), Request: trigger.Request{IP: "203.0.113.9"}})
	must(t, err)
	if ar.Denial != nil || jsonOf(t, ar.IDTokenClaims) != `{"https://yourapp.com/roles":["admin"]}` ||
		jsonOf(t, ar.AccessTokenClaims) != `{"https://e.test/protocol":"oauth2-refresh-token","https://e.test/rt":"fam_1"}` {
		t.Fatalf("result %+v", ar)
	}
	u, err := e.st.GetUser(ctx, e.admin.UserID)
	must(t, err)
	if jsonOf(t, u.AppMetadata) != `{"plan":"free","refreshes":1}` {
		t.Fatalf("stored app metadata %s", jsonOf(t, u.AppMetadata))
	}
	if jsonOf(t, e.admin.AppMetadata) != `{"legacy":true,"plan":"free"}` {
		t.Fatalf("the caller's user was modified: %s", jsonOf(t, e.admin.AppMetadata))
	}

	ar, err = e.refresh(trigger.PostLogin{Source: trigger.Refresh, Client: e.client, User: e.member, RefreshToken: rt(e.member)})
	must(t, err)
	if ar.Denial == nil || ar.Denial.Code != "access_denied" || ar.Denial.Reason != "members must sign in again" {
		t.Fatalf("deny %+v", ar)
	}
	u, err = e.st.GetUser(ctx, e.member.UserID)
	must(t, err)
	if jsonOf(t, u.AppMetadata) != `{"plan":"free","refreshes":1}` {
		t.Fatalf("metadata not written on deny: %s", jsonOf(t, u.AppMetadata))
	}
}

func TestPostLoginRefreshFailure(t *testing.T) {
	e := MustEnv(t, envOptions{timeout: 200 * time.Millisecond})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "spin", domain.TriggerPostLogin,
		`exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('x', 1); while (true) {} };`))
	ar, err := e.refresh(trigger.PostLogin{Source: trigger.Refresh, Client: e.client, User: e.admin})
	must(t, err)
	if ar.Denial == nil || ar.Denial.Code != "access_denied" || ar.Denial.Reason != actionexec.FailedReason {
		t.Fatalf("result %+v", ar)
	}
	u, err := e.st.GetUser(ctx, e.admin.UserID)
	must(t, err)
	if _, ok := u.AppMetadata["x"]; ok {
		t.Fatal("metadata of a failed execution was written")
	}
	if logs := e.actionLogs(t); len(logs) != 1 {
		t.Fatalf("%d log entries", len(logs))
	}
}

// On a password exchange post-login runs with protocol oauth2-password, the password method just
// used, and no refresh token or session in the event.
func TestPostLoginPassword(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "password", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://e.test/protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('https://e.test/methods', event.authentication.methods.map(m => m.name));
  api.accessToken.setCustomClaim('https://e.test/rt', event.refresh_token === undefined || event.refresh_token === null);
};`))
	ar, err := e.refresh(trigger.PostLogin{Source: trigger.Password, Client: e.client, User: e.admin,
		Methods: []trigger.AuthMethod{{Name: "pwd", Timestamp: time.Now()}}, Request: trigger.Request{IP: "203.0.113.9"}})
	must(t, err)
	if ar.Denial != nil || jsonOf(t, ar.AccessTokenClaims) != `{"https://e.test/methods":["pwd"],"https://e.test/protocol":"oauth2-password","https://e.test/rt":true}` {
		t.Fatalf("result %+v %s", ar, jsonOf(t, ar.AccessTokenClaims))
	}
}

// A device sign-in at /activate runs post-login with protocol oauth2-device-code and no response
// type (there is no redirect).
func TestPostLoginDevice(t *testing.T) {
	e := MustEnv(t, envOptions{})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "device", domain.TriggerPostLogin, `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://e.test/protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('https://e.test/rt', (event.transaction.response_type || []).length);
};`))
	in := e.loginInput(e.admin)
	in.Transaction.ResponseType, in.Transaction.RedirectURI = "device_code", ""
	in.Transaction.DeviceCodeHash = domain.HashSecret("device")
	ar, err := e.refresh(in)
	must(t, err)
	if ar.Denial != nil || jsonOf(t, ar.AccessTokenClaims) != `{"https://e.test/protocol":"oauth2-device-code","https://e.test/rt":0}` {
		t.Fatalf("result %+v %s", ar, jsonOf(t, ar.AccessTokenClaims))
	}
}
