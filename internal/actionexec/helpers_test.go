package actionexec_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/sqlite/sqlitetest"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

var ctx = context.Background()

// env is a migrated SQLite store with a client, an admin, a plain user and a user
// without roles, and an Executor over it.
type env struct {
	st                    store.Store
	ex                    *actionexec.Executor
	client                *domain.Client
	admin, member, nobody *domain.User
	adminRole, memberRole *domain.Role
}

type envOptions struct {
	ttl     time.Duration // 0: no bindings cache, so each test sees its bindings at once
	timeout time.Duration
}

func MustEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	st := sqlitetest.New(tb, sqlite.Options{})
	e := &env{st: st}
	e.client = &domain.Client{ClientID: domain.NewClientID(), Name: "Your App", AppType: "regular_web",
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
		ClientMetadata: map[string]string{"tier": "gold"}}
	must(tb, st.CreateClient(ctx, e.client))
	e.adminRole = &domain.Role{ID: domain.NewRoleID(), Name: "admin"}
	e.memberRole = &domain.Role{ID: domain.NewRoleID(), Name: "user"}
	must(tb, st.CreateRole(ctx, e.adminRole))
	must(tb, st.CreateRole(ctx, e.memberRole))
	e.admin = MustUser(tb, st, "admin@example.test", e.adminRole.ID)
	e.member = MustUser(tb, st, "member@example.test", e.memberRole.ID)
	e.nobody = MustUser(tb, st, "nobody@example.test")

	ttl := o.ttl
	if ttl == 0 {
		ttl = -1
	}
	timeout := o.timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	e.ex = actionexec.New(actionexec.Options{
		Store:       st,
		Runtime:     actions.NewRuntime(actions.Options{DefaultTimeout: timeout, MemoryLimitBytes: 32 << 20}),
		Audit:       &audit.Recorder{Store: st},
		TenantID:    "default",
		BindingsTTL: ttl,
	})
	tb.Cleanup(e.ex.Close)
	return e
}

func MustUser(tb testing.TB, st store.Store, email string, roleIDs ...string) *domain.User {
	tb.Helper()
	u := &domain.User{UserID: domain.NewUserID(), Email: email, EmailVerified: true,
		AppMetadata: map[string]any{"plan": "free", "legacy": true}, UserMetadata: map[string]any{"theme": "dark"}}
	domain.ApplyUserDefaults(u)
	must(tb, st.CreateUser(ctx, u))
	if len(roleIDs) > 0 {
		must(tb, st.AssignRolesToUser(ctx, u.UserID, roleIDs))
	}
	must(tb, st.RecordLogin(ctx, u.UserID, "127.0.0.1", time.Now()))
	got, err := st.GetUser(ctx, u.UserID)
	must(tb, err)
	return got
}

// MustDeploy creates an action supporting trigger and deploys code as its first version.
func MustDeploy(tb testing.TB, st store.Store, name, trigger, code string, secrets ...domain.ActionSecret) *domain.Action {
	tb.Helper()
	a := &domain.Action{ID: domain.NewActionID(), Name: name, Code: code, Runtime: "node22", Status: domain.ActionBuilt,
		SupportedTriggers: []domain.ActionTrigger{{ID: trigger, Version: "v3"}}, Secrets: secrets}
	must(tb, st.CreateAction(ctx, a))
	MustRedeploy(tb, st, a, code)
	return a
}

// MustRedeploy stores code as a new deployed version of a.
func MustRedeploy(tb testing.TB, st store.Store, a *domain.Action, code string) {
	tb.Helper()
	v := &domain.ActionVersion{ActionID: a.ID, Code: code, Secrets: a.Secrets, Runtime: a.Runtime,
		Triggers: a.SupportedTriggers, Status: domain.ActionBuilt}
	must(tb, st.CreateActionVersion(ctx, v))
}

// MustBind replaces trigger's bindings with the actions, in order.
func MustBind(tb testing.TB, st store.Store, trigger string, as ...*domain.Action) {
	tb.Helper()
	var bs []*domain.TriggerBinding
	for _, a := range as {
		bs = append(bs, &domain.TriggerBinding{ActionID: a.ID, DisplayName: a.Name})
	}
	must(tb, st.SetTriggerBindings(ctx, trigger, bs))
}

func guideCode(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("../actions/testdata/guide-post-login.js")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// loginInput is what authflow passes after a password sign-in to the guide's app.
func (e *env) loginInput(u *domain.User) trigger.PostLogin {
	now := time.Now()
	tx := &domain.LoginTransaction{
		ID: "tx_1", ClientID: e.client.ClientID, RedirectURI: "https://app.example.test/api/auth/callback",
		ResponseType: "code", ResponseMode: "query", Scope: "openid profile email offline_access",
		Audience: "https://api.yourapp.com", State: "st4te", Prompt: "login", LoginHint: u.Email,
		Params: map[string]string{"ui_locales": "fr-CA en"},
	}
	return trigger.PostLogin{
		Source: trigger.SignIn, User: u, Client: e.client, Connection: domain.DefaultConnection, Audience: tx.Audience, Transaction: tx,
		RequestedScopes: []string{"openid", "profile", "email", "offline_access"},
		GrantedScopes:   []string{"openid", "profile", "email", "offline_access"},
		Session:         &domain.Session{ID: "sess_1", UserID: u.UserID, CreatedAt: now, AuthenticatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Hour)},
		Methods:         []trigger.AuthMethod{{Name: "pwd", Timestamp: now}},
		Request: trigger.Request{IP: "203.0.113.9", Hostname: "auth.example.test", Method: "POST", UserAgent: "test-agent",
			Language: "fr-CA", Query: map[string]string{"client_id": e.client.ClientID, "scope": tx.Scope}},
		Interactive: true,
	}
}

// deniedFor is the reason of a post-login denial, "" without one; a denial with another
// code than access_denied shows as a reason no test expects.
func deniedFor(out trigger.Outcome) string {
	switch {
	case out.Denial == nil:
		return ""
	case out.Denial.Code != "access_denied":
		return "code " + out.Denial.Code + ": " + out.Denial.Reason
	}
	return out.Denial.Reason
}

// refresh runs post-login for a refresh-token exchange and applies the outcome as the
// refresh grant does: metadata saved, scopes fixed.
func (e *env) refresh(ev trigger.PostLogin) (trigger.Outcome, error) {
	out, err := e.ex.PostLogin(ctx, ev)
	if err != nil {
		return out, err
	}
	if _, err := trigger.Apply(ctx, e.st, ev.User.UserID, out, &trigger.Tokens{ScopesFixed: true}); err != nil {
		return out, err
	}
	return out, nil
}

// actionLogs returns the tenant's Action execution log entries, oldest first.
func (e *env) actionLogs(tb testing.TB) []*domain.LogEvent {
	tb.Helper()
	list, _, err := e.st.ListLogs(ctx, store.LogFilter{Type: audit.TypeActionLog}, store.Page{PerPage: 100})
	must(tb, err)
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
