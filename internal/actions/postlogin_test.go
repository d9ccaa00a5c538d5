package actions_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func TestGuideActionAddsRoles(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	prg := MustCompile(t, rt, "Add roles", guideCode(t), actions.TriggerPostLogin)
	for _, tc := range []struct {
		name  string
		roles []string
		want  []any
	}{
		{"admin", []string{"admin", "user"}, []any{"admin", "user"}},
		{"user", []string{"user"}, []any{"user"}},
		{"no roles", nil, []any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "a1", Name: "Add roles", Program: prg}}, loginEvent(tc.roles...))
			if err != nil {
				t.Fatal(err)
			}
			for _, claims := range []map[string]any{res.IDTokenClaims, res.AccessTokenClaims} {
				if got := claims["https://yourapp.com/roles"]; !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("roles claim = %#v, want %#v", got, tc.want)
				}
			}
			if res.Denied != nil || len(res.Dropped) != 0 {
				t.Fatalf("unexpected denial or drops: %+v", res)
			}
		})
	}
}

func TestEventShape(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent("admin"), `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x/check', {
    isArray: Array.isArray(event.authorization.roles),
    admin: event.authorization.roles.includes('admin'),
    plain: Object.getPrototypeOf(event.user) === Object.prototype,
    email: event.user.email, verified: event.user.email_verified, plan: event.user.app_metadata.plan,
    client: event.client.client_id, strategy: event.connection.strategy, logins: event.stats.logins_count,
    scopes: event.transaction.requested_scopes.join(' '), meta: typeof event.user.user_metadata,
  });
};`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"isArray": true, "admin": true, "plain": true, "email": "ada@example.com", "verified": true,
		"plan": "pro", "client": "cid", "strategy": "auth0", "logins": float64(3), "scopes": "openid profile", "meta": "object"}
	if got := res.IDTokenClaims["https://x/check"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestRestrictedClaimsDropped(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('sub', 'evil').idToken.setCustomClaim('roles', ['x']);
  api.accessToken.setCustomClaim('https://auth0.com/claim', 1);
  api.accessToken.setCustomClaim('x5t#S256', 1);
  api.idToken.setCustomClaim('email', 'allowed@example.com');
  api.accessToken.setCustomClaim('tier', 'gold');
};`)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"email": "allowed@example.com"}; !reflect.DeepEqual(res.IDTokenClaims, want) {
		t.Fatalf("id claims = %v", res.IDTokenClaims)
	}
	if want := map[string]any{"tier": "gold"}; !reflect.DeepEqual(res.AccessTokenClaims, want) {
		t.Fatalf("access claims = %v", res.AccessTokenClaims)
	}
	var names []string
	for _, d := range res.Dropped {
		names = append(names, d.Token+":"+d.Name)
	}
	if want := "id_token:sub id_token:roles access_token:https://auth0.com/claim access_token:x5t#S256"; strings.Join(names, " ") != want {
		t.Fatalf("dropped = %v", names)
	}
}

func TestIsRestrictedClaim(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"sub", true}, {"iss", true}, {"permissions", true}, {"org_id", true}, {"x5t#S256", true},
		{"internalService", true}, {"roles", true},
		{"https://yourapp.com/roles", false}, {"email", false}, {"name", false}, {"Sub", false}, {"tier", false},
	} {
		if got := actions.IsRestrictedClaim(tc.name); got != tc.want {
			t.Errorf("IsRestrictedClaim(%q) = %v", tc.name, got)
		}
	}
}

func TestDenyStopsChainAndKeepsMetadata(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(),
		`exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('seen', true);
  api.access.deny('no entry');
  api.user.setUserMetadata('after', 1); // the rest of the action still runs
};`,
		`exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('second', true); };`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Denied == nil || res.Denied.Reason != "no entry" || res.Denied.Code != "access_denied" {
		t.Fatalf("denied = %+v", res.Denied)
	}
	if _, ran := res.IDTokenClaims["second"]; ran {
		t.Fatal("second action ran after deny")
	}
	if res.AppMetadata["seen"] != true || res.UserMetadata["after"] != float64(1) {
		t.Fatalf("metadata = %v %v", res.AppMetadata, res.UserMetadata)
	}
}

func TestMetadataMergeAndChainVisibility(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	ev := loginEvent()
	ev.User.UserMetadata = map[string]any{"color": "red", "lang": "en"}
	res, err := runLogin(t, rt, ev,
		`exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('plan', 'enterprise');
  api.user.setAppMetadata('tags', ['a', 'b']);
  api.user.setUserMetadata('color', null);
  api.transaction.setMetadata('step', 1);
  api.accessToken.addScope('read:own_data');
  api.accessToken.removeScope('admin:write');
};`,
		`module.exports = { onExecutePostLogin: async (event, api) => {
  api.idToken.setCustomClaim('https://x/seen', {
    plan: event.user.app_metadata.plan, tags: event.user.app_metadata.tags,
    color: event.user.user_metadata.color === undefined, lang: event.user.user_metadata.lang,
    step: event.transaction.metadata.step,
  });
  api.user.setAppMetadata('tags', null);
} };`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"plan": "enterprise", "tags": []any{"a", "b"}, "color": true, "lang": "en", "step": float64(1)}
	if got := res.IDTokenClaims["https://x/seen"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("second action saw %#v", got)
	}
	if want := map[string]any{"plan": "enterprise", "tags": nil}; !reflect.DeepEqual(res.AppMetadata, want) {
		t.Fatalf("app metadata = %#v", res.AppMetadata)
	}
	if want := map[string]any{"color": nil}; !reflect.DeepEqual(res.UserMetadata, want) {
		t.Fatalf("user metadata = %#v", res.UserMetadata)
	}
	if !reflect.DeepEqual(res.AddScopes, []string{"read:own_data"}) || !reflect.DeepEqual(res.RemoveScopes, []string{"admin:write"}) {
		t.Fatalf("scopes = %v / %v", res.AddScopes, res.RemoveScopes)
	}
}

func TestConsoleCapturedAndTruncated(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  console.log('hello', event.user.email, {a: 1});
  console.error('x'.repeat(1000));
};`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Logs) != 2 {
		t.Fatalf("logs = %+v", res.Logs)
	}
	if l := res.Logs[0]; l.ActionName != "actionA" || l.Level != "log" || l.Line != `hello ada@example.com {"a":1}` {
		t.Fatalf("line 0 = %+v", l)
	}
	if l := res.Logs[1]; l.Level != "error" || len(l.Line) != 256 {
		t.Fatalf("line 1 level %s len %d", l.Level, len(l.Line))
	}
}

func TestSecretsPerAction(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	code := `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim(event.secrets.NAME, event.secrets.KEY || null); };`
	p := MustCompile(t, rt, "s", code, actions.TriggerPostLogin)
	res, err := rt.RunPostLogin(context.Background(), []actions.Bound{
		{ActionID: "1", Name: "one", Program: p, Secrets: map[string]string{"NAME": "one", "KEY": "k1"}},
		{ActionID: "2", Name: "two", Program: p, Secrets: map[string]string{"NAME": "two"}},
	}, loginEvent())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"one": "k1", "two": nil}; !reflect.DeepEqual(res.IDTokenClaims, want) {
		t.Fatalf("claims = %v", res.IDTokenClaims)
	}
}

func TestCacheAcrossExecutions(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	code := `exports.onExecutePostLogin = async (event, api) => {
  const hit = api.cache.get('token');
  if (hit) { api.idToken.setCustomClaim('cached', hit.value); api.cache.delete('token'); return; }
  const r = api.cache.set('token', 'abc', { ttl: 60000 });
  api.idToken.setCustomClaim('set', r.type);
  api.idToken.setCustomClaim('long', api.cache.set('k'.repeat(65), 'v').type);
};`
	p := MustCompile(t, rt, "c", code, actions.TriggerPostLogin)
	run := func() map[string]any {
		res, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "c", Name: "c", Program: p}}, loginEvent())
		if err != nil {
			t.Fatal(err)
		}
		return res.IDTokenClaims
	}
	if got := run(); got["set"] != "success" || got["long"] != "error" {
		t.Fatalf("first run = %v", got)
	}
	if got := run(); got["cached"] != "abc" {
		t.Fatalf("second run = %v", got)
	}
	if got := run(); got["set"] != "success" {
		t.Fatalf("third run (after delete) = %v", got)
	}
}

func TestUnsupportedAPIsThrowClearly(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('canRedirect', api.redirect.canRedirect());
  try { api.multifactor.enable('duo'); } catch (e) { api.idToken.setCustomClaim('mfa', e.message); }
  api.redirect.sendUserTo('https://example.com');
};`)
	ee := mustExecErr(t, err, actions.KindException)
	if !strings.Contains(ee.Message, "sendUserTo") || !strings.Contains(ee.Message, "cannot be redirected") {
		t.Fatalf("message = %q", ee.Message)
	}
	if res.IDTokenClaims["canRedirect"] != false || !strings.Contains(res.IDTokenClaims["mfa"].(string), "not supported") {
		t.Fatalf("claims = %v", res.IDTokenClaims)
	}
}

func TestMultifactorEnable(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  api.multifactor.enable('any');
  api.multifactor.enable('guardian', { allowRememberBrowser: true });
};`)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Multifactor; m == nil || m.Provider != "guardian" || !m.AllowRememberBrowser {
		t.Fatalf("multifactor = %+v", res.Multifactor)
	}
	res, err = runLogin(t, rt, loginEvent(), `exports.onExecutePostLogin = async (event, api) => {};`)
	if err != nil || res.Multifactor != nil {
		t.Fatalf("no call: %+v, %v", res.Multifactor, err)
	}
	_, err = runLogin(t, rt, loginEvent(), `exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('sms-bogus'); };`)
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "not supported") {
		t.Fatalf("message = %q", ee.Message)
	}
}

func TestAuthenticationChallengeWith(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	res, err := runLogin(t, rt, loginEvent(), `
exports.onExecutePostLogin = async (event, api) => {
  api.multifactor.enable('any', { allowRememberBrowser: true });
  api.authentication.challengeWith({ type: 'email' }, { additionalFactors: [{ type: 'otp' }, { type: 'email' }] });
};`)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Multifactor; m == nil || m.Provider != "any" || !m.AllowRememberBrowser || !slices.Equal(m.Challenge, []string{"email", "otp"}) {
		t.Fatalf("challengeWith = %+v", res.Multifactor)
	}
	res, err = runLogin(t, rt, loginEvent(), `exports.onExecutePostLogin = async (event, api) => {
  api.authentication.challengeWithAny([{ type: 'recovery-code' }, { type: 'otp' }]);
  api.authentication.enrollWithAny([{ type: 'otp' }]);
};`)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Multifactor; m == nil || m.Provider != "any" || m.AllowRememberBrowser || !slices.Equal(m.Challenge, []string{"recovery-code", "otp"}) || !slices.Equal(m.Enroll, []string{"otp"}) {
		t.Fatalf("challengeWithAny + enrollWithAny = %+v", res.Multifactor)
	}
	for src, want := range map[string]string{
		`api.authentication.challengeWith({ type: 'phone' });`: "not supported",
		`api.authentication.challengeWith('otp');`:             "object with a type",
		`api.authentication.challengeWithAny([]);`:             "non-empty array",
		`api.authentication.enrollWith({ type: 'email' });`:    "not supported",
		`api.authentication.enrollWithAny({ type: 'otp' });`:   "non-empty array",
	} {
		_, err := runLogin(t, rt, loginEvent(), "exports.onExecutePostLogin = async (event, api) => { "+src+" };")
		if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, want) {
			t.Errorf("%s: message = %q, want %q", src, ee.Message, want)
		}
	}
}
