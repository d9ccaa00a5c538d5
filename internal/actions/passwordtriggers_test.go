package actions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func resetEvent() actions.PasswordResetPostChallengeEvent {
	return actions.PasswordResetPostChallengeEvent{
		User:           actions.User{UserID: "auth0|1", Email: "ada@example.org", EmailVerified: true},
		Authentication: actions.Authentication{Methods: []actions.AuthenticationMethod{{Name: "email", Timestamp: 1}}},
		Connection:     actions.Connection{Name: "Username-Password-Authentication", Strategy: "auth0"},
		Request:        actions.Request{IP: "203.0.113.9", Method: "GET"},
		Tenant:         actions.Tenant{ID: "gatehouse"},
	}
}

// A post-challenge action sees the user and the proved link, and its deny stops the chain with the
// reason for the user; a later action does not run.
func TestPasswordResetPostChallengeDeny(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	first := MustCompile(t, rt, "gate", `exports.onExecutePostChallenge = async (event, api) => {
  if (event.authentication.methods[0].name === 'email' && event.user.email.endsWith('@example.org')) {
    api.access.deny('Resets are handled by the help desk for ' + event.user.email);
  }
};`, actions.TriggerPasswordResetPostChallenge)
	second := MustCompile(t, rt, "after", `exports.onExecutePostChallenge = async () => { throw new Error('must not run'); };`,
		actions.TriggerPasswordResetPostChallenge)
	var runs actions.RunLog
	res, err := rt.RunPasswordResetPostChallenge(actions.WithRunLog(context.Background(), &runs),
		[]actions.Bound{{ActionID: "1", Name: "gate", Program: first}, {ActionID: "2", Name: "after", Program: second}}, resetEvent())
	if err != nil {
		t.Fatal(err)
	}
	if res.Denied == nil || res.Denied.Reason != "Resets are handled by the help desk for ada@example.org" {
		t.Fatalf("denial %+v", res.Denied)
	}
	if r := runs.Runs(); len(r) != 1 || r[0].Name != "gate" || r[0].Err != nil || r[0].End.Before(r[0].Start) {
		t.Fatalf("runs %+v, want the first action only", r)
	}
}

// challengeWith and challengeWithAny ask for a factor before the new password: the last call wins,
// additionalFactors join the first factor in order, the chain runs on (a later denial still wins),
// and a factor type the server does not know, or enrollWith, is a clear error.
func TestPasswordResetPostChallengeMFA(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	run := func(code string) (*actions.PasswordResetPostChallengeResult, error) {
		p := MustCompile(t, rt, "mfa", code, actions.TriggerPasswordResetPostChallenge)
		return rt.RunPasswordResetPostChallenge(context.Background(), []actions.Bound{{ActionID: "1", Name: "mfa", Program: p}}, resetEvent())
	}
	res, err := run(`exports.onExecutePostChallenge = async (event, api) => {
  api.authentication.challengeWithAny([{ type: 'email' }]);
  api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'recovery-code' }, { type: 'otp' }] });
};`)
	if err != nil || res.Denied != nil || strings.Join(res.Challenge, ",") != "otp,recovery-code" {
		t.Fatalf("challengeWith: %+v %v", res, err)
	}
	res, err = run(`exports.onExecutePostChallenge = async (event, api) => {
  api.authentication.challengeWithAny([{ type: 'recovery-code' }, { type: 'otp' }]);
  api.access.deny('no resets today');
};`)
	if err != nil || res.Denied == nil || strings.Join(res.Challenge, ",") != "recovery-code,otp" {
		t.Fatalf("challengeWithAny then deny: %+v %v", res, err)
	}
	for code, want := range map[string]string{
		`exports.onExecutePostChallenge = async (event, api) => { api.authentication.challengeWith({ type: 'sms' }); };`: `factor type "sms" is not supported`,
		`exports.onExecutePostChallenge = async (event, api) => { api.authentication.challengeWithAny([]); };`:           "non-empty array",
		`exports.onExecutePostChallenge = async (event, api) => { api.authentication.enrollWith({ type: 'otp' }); };`:    "has no member 'enrollWith'",
	} {
		_, err := run(code)
		if e := mustExecErr(t, err, actions.KindException); !strings.Contains(e.Message, want) {
			t.Fatalf("%s: message %q, want %q", code, e.Message, want)
		}
	}
}

// post-change-password gets the user, connection, request and tenant, and console output.
func TestPostChangePasswordEvent(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	p := MustCompile(t, rt, "notify", `exports.onExecutePostChangePassword = async (event, api) => {
  console.log(event.user.user_id, event.connection.name, event.request.ip, event.tenant.id, typeof api.cache.set);
};`, actions.TriggerPostChangePassword)
	res, err := rt.RunPostChangePassword(context.Background(), []actions.Bound{{ActionID: "1", Name: "notify", Program: p}},
		actions.PostChangePasswordEvent{User: actions.User{UserID: "auth0|1"}, Connection: actions.Connection{Name: "db"},
			Request: actions.Request{IP: "203.0.113.9"}, Tenant: actions.Tenant{ID: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Logs) != 1 || res.Logs[0].Line != "auth0|1 db 203.0.113.9 t function" {
		t.Fatalf("logs %+v", res.Logs)
	}
}

// api.cache refuses what Auth0's limits refuse before anything is stored: a value over 4 kB, a key
// over 64 bytes, a value that is not a string, number or boolean, an expiry in the past; a TTL over
// 24 hours is cut to 24 hours; the default is 15 minutes.
func TestCacheLimits(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	rt := actions.NewRuntime(actions.Options{Now: func() time.Time { return now }})
	p := MustCompile(t, rt, "c", `exports.onExecutePostLogin = async (event, api) => {
  const r = {}, now = 1700000000000;
  r.big = api.cache.set('big', 'x'.repeat(4097)).code;
  r.bigUTF8 = api.cache.set('big8', 'é'.repeat(2049)).code;
  r.fits = api.cache.set('fits', 'x'.repeat(4096)).type;
  r.key = api.cache.set('k'.repeat(65), 'v').code;
  r.obj = api.cache.set('o', { a: 1 }).code;
  r.num = api.cache.set('n', 42).record.value;
  r.past = api.cache.set('p', 'v', { expires_at: now - 1 }).code;
  r.long = api.cache.set('l', 'v', { ttl: 48 * 3600 * 1000 }).record.expires_at - now;
  r.def = api.cache.set('d', 'v').record.expires_at - now;
  r.get = api.cache.get('d');
  api.idToken.setCustomClaim('r', JSON.stringify(r));
};`, actions.TriggerPostLogin)
	res, err := rt.RunPostLogin(context.Background(), []actions.Bound{{ActionID: "c", Name: "c", Program: p}}, loginEvent())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"big":"value_too_large","bigUTF8":"value_too_large","fits":"success","key":"invalid_key","obj":"invalid_value",` +
		`"num":"42","past":"invalid_expiry","long":86400000,"def":900000,"get":{"value":"v","expires_at":1700000900000}}`
	if got := res.IDTokenClaims["r"]; got != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
}
