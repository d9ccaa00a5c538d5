package actionexec_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actionexec"
	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
)

// A deployed version is compiled once, however many sign-ins run it; a new deploy is a
// new version and compiles once more.
func TestCompileOncePerVersion(t *testing.T) {
	e := MustEnv(t, envOptions{}) // bindings re-read on every run
	a := MustDeploy(t, e.st, "guide", domain.TriggerPostLogin, guideCode(t))
	MustBind(t, e.st, domain.TriggerPostLogin, a)
	for i := 0; i < 5; i++ {
		_, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
		must(t, err)
	}
	if s := e.ex.Stats(); s.Compiles != 1 || s.BindingLoads != 5 || s.CachedPrograms != 1 {
		t.Fatalf("stats %+v, want 1 compile, 5 binding loads", s)
	}
	MustRedeploy(t, e.st, a, `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://e.test/v', 2); };`)
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.IDTokenClaims["https://e.test/v"] != int64(2) && out.IDTokenClaims["https://e.test/v"] != float64(2) {
		t.Fatalf("new version not run: %v", out.IDTokenClaims)
	}
	if s := e.ex.Stats(); s.Compiles != 2 {
		t.Fatalf("compiles %d after redeploy, want 2", s.Compiles)
	}
}

// Concurrent first sign-ins after a deploy share one compile. Run with -race.
func TestConcurrentRunsShareCaches(t *testing.T) {
	e := MustEnv(t, envOptions{ttl: time.Minute})
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "guide", domain.TriggerPostLogin, guideCode(t)))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(u *domain.User) {
			defer wg.Done()
			out, err := e.ex.PostLogin(ctx, e.loginInput(u))
			if err == nil && out.IDTokenClaims[rolesClaim] == nil {
				err = errors.New("no roles claim")
			}
			errs <- err
		}([]*domain.User{e.admin, e.member}[i%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if s := e.ex.Stats(); s.Compiles != 1 || s.BindingLoads != 1 {
		t.Fatalf("stats %+v, want one compile and one binding load", s)
	}
}

// Within the TTL a binding change is not seen; Invalidate makes it visible at once.
func TestBindingsCacheTTL(t *testing.T) {
	e := MustEnv(t, envOptions{ttl: time.Hour})
	out, err := e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.IDTokenClaims != nil {
		t.Fatal("claims with no bindings")
	}
	MustBind(t, e.st, domain.TriggerPostLogin, MustDeploy(t, e.st, "guide", domain.TriggerPostLogin, guideCode(t)))
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.IDTokenClaims != nil {
		t.Fatal("binding seen before the TTL ended")
	}
	e.ex.Invalidate()
	out, err = e.ex.PostLogin(ctx, e.loginInput(e.admin))
	must(t, err)
	if out.IDTokenClaims[rolesClaim] == nil {
		t.Fatal("binding not seen after Invalidate")
	}
	if s := e.ex.Stats(); s.BindingLoads != 2 {
		t.Fatalf("binding loads %d, want 2", s.BindingLoads)
	}
}

var _ mgmt.ActionCompiler = (*actionexec.Executor)(nil)

// The Management API's deploy-time check: errors carry the line and the message.
func TestCompileForManagementAPI(t *testing.T) {
	ex := actionexec.New(actionexec.Options{Store: MustEnv(t, envOptions{}).st})
	t.Cleanup(ex.Close)
	for _, tc := range []struct {
		name, code, trigger string
		want                []string // substrings of the error; none means success
	}{
		{"guide", guideCode(t), "post-login", nil},
		{"m2m", `exports.onExecuteCredentialsExchange = async (event, api) => {};`, "credentials-exchange", nil},
		{"syntax", "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};", "post-login", []string{"Line 2:", "Unexpected token"}},
		{"unterminated", "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('a', 1);\n", "post-login", []string{"Line 3"}},
		{"require", "\n\nconst cp = require('child_process');\nexports.onExecutePostLogin = async () => {};", "post-login", []string{"Line 3:", `require("child_process")`, "axios"}},
		{"trigger", "exports.onExecutePostLogin = async () => {};", "custom-token-exchange", []string{`"custom-token-exchange" is not supported`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ex.Compile(tc.name, tc.code, tc.trigger)
			if len(tc.want) == 0 {
				must(t, err)
				return
			}
			if err == nil {
				t.Fatal("compiled")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.name != "trigger" {
				var ce *actions.CompileError
				if !errors.As(err, &ce) || ce.Line == 0 {
					t.Errorf("not a positioned *actions.CompileError: %#v", err)
				}
			}
		})
	}
}
