package actions_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func MustCompile(tb testing.TB, rt *actions.Runtime, name, code string, t actions.Trigger) *actions.Program {
	tb.Helper()
	p, err := rt.Compile(name, code, t)
	if err != nil {
		tb.Fatalf("compile %s: %v", name, err)
	}
	return p
}

func guideCode(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/guide-post-login.js")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func loginEvent(roles ...string) actions.PostLoginEvent {
	return actions.PostLoginEvent{
		User: actions.User{
			UserID: "auth0|123", Email: "ada@example.com", EmailVerified: true, Name: "Ada",
			AppMetadata: map[string]any{"plan": "pro"},
		},
		Authorization: actions.Authorization{Roles: roles},
		Client:        actions.Client{ClientID: "cid", Name: "Your App"},
		Connection:    actions.Connection{ID: "con_1", Name: "Username-Password-Authentication", Strategy: "auth0"},
		Request:       actions.Request{IP: "127.0.0.1", Method: "GET"},
		Transaction:   actions.Transaction{Protocol: "oidc-basic-profile", RequestedScopes: []string{"openid", "profile"}},
		Stats:         actions.Stats{LoginsCount: 3},
		Tenant:        actions.Tenant{ID: "default"},
	}
}

// runLogin compiles each source as a post-login action and runs them in order.
func runLogin(tb testing.TB, rt *actions.Runtime, ev actions.PostLoginEvent, sources ...string) (*actions.PostLoginResult, error) {
	tb.Helper()
	var bound []actions.Bound
	for i, src := range sources {
		name := "action" + string(rune('A'+i))
		bound = append(bound, actions.Bound{ActionID: name, Name: name, Program: MustCompile(tb, rt, name, src, actions.TriggerPostLogin)})
	}
	return rt.RunPostLogin(context.Background(), bound, ev)
}

func mustExecErr(tb testing.TB, err error, kind actions.Kind) *actions.ExecutionError {
	tb.Helper()
	var ee *actions.ExecutionError
	if !errors.As(err, &ee) {
		tb.Fatalf("want *ExecutionError %s, got %v", kind, err)
	}
	if ee.Kind != kind {
		tb.Fatalf("want kind %s, got %s (%s)", kind, ee.Kind, ee.Message)
	}
	return ee
}

func fastRuntime() *actions.Runtime {
	return actions.NewRuntime(actions.Options{DefaultTimeout: 300 * time.Millisecond, MemoryLimitBytes: 32 << 20})
}

// compatRuntime runs the tests that compare the sandbox's results with goja's own: they must
// succeed, so their deadline is far beyond what a loaded machine needs (the limits under test are
// memory, not time).
func compatRuntime() *actions.Runtime {
	return actions.NewRuntime(actions.Options{DefaultTimeout: 30 * time.Second, MemoryLimitBytes: 32 << 20})
}
