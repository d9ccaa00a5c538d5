package actions_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/actions"
)

// boundReset compiles sources as password-reset-post-challenge actions with ids resetA, resetB, …
func boundReset(tb testing.TB, rt *actions.Runtime, sources ...string) []actions.Bound {
	return boundAs(tb, rt, actions.TriggerPasswordResetPostChallenge, "reset", sources...)
}

// A password-reset-post-challenge redirect pauses the chain after its action, keeping the factor
// asked for before it; the resumed run starts with that action's onContinuePostChallenge, which
// reads the token the other site signed for this state, then runs the remaining actions.
func TestResetRedirectPausesAndResumes(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{Now: func() time.Time { return tokenNow }})
	bound := boundReset(t, rt, `
exports.onExecutePostChallenge = async (event, api) => {
  api.authentication.challengeWith({ type: 'otp' });
};`, `
exports.onExecutePostChallenge = async (event, api) => {
  const token = api.redirect.encodeToken({secret: event.secrets.KEY, payload: {email: event.user.email}, expiresInSeconds: 60});
  api.redirect.sendUserTo('https://idv.example.test/verify', {query: {session_token: token}});
};
exports.onContinuePostChallenge = async (event, api) => {
  const p = api.redirect.validateToken({secret: event.secrets.KEY});
  if (p.verified !== true) api.access.deny('Identity not verified');
  if (event.request.method !== 'POST') api.access.deny('expected the POST back');
};`, `
exports.onExecutePostChallenge = async (event, api) => {
  if (event.request.body.session_token) api.authentication.challengeWithAny([{ type: 'otp' }, { type: 'recovery-code' }]);
};`)
	ev := resetEvent()
	ev.Request.Hostname = "login.example.test"
	res, err := rt.RunPasswordResetPostChallengeWith(context.Background(), bound, ev, actions.ResetOptions{CanRedirect: true, State: "pw1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect == nil || res.Denied != nil {
		t.Fatalf("the chain did not pause: %+v", res)
	}
	u, _ := url.Parse(res.Redirect.URL)
	sent, err := actions.ValidateSessionToken(u.Query().Get("session_token"), "shared", "pw1", tokenNow)
	if u.Host != "idv.example.test" || err != nil || sent["email"] != "ada@example.org" || sent["sub"] != "auth0|1" || sent["iss"] != "login.example.test" {
		t.Fatalf("redirect %s, token %v %v", res.Redirect.URL, sent, err)
	}
	resume := res.Redirect.Resume
	if resume.Index != 1 || resume.ActionID != "resetB" || strings.Join(resume.Challenge, ",") != "otp" {
		t.Fatalf("resume %+v", resume)
	}

	// Back with a verified token: the rest of the chain runs and its factor request wins.
	ev.Request.Method = "POST"
	ev.Request.Body = map[string]any{"session_token": mustSign(t, "shared", jwt.MapClaims{"state": "pw1", "exp": tokenNow.Unix() + 30, "verified": true})}
	res, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound, ev,
		actions.ResetOptions{CanRedirect: true, State: "pw2", Resume: &resume, ContinueState: "pw1"})
	if err != nil || res.Denied != nil || res.Redirect != nil || strings.Join(res.Challenge, ",") != "otp,recovery-code" {
		t.Fatalf("resumed: %+v %v", res, err)
	}
	// Without the later action's request, the factor asked before the redirect stands.
	res, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound[:2], ev,
		actions.ResetOptions{CanRedirect: true, Resume: &resume, ContinueState: "pw1"})
	if err != nil || strings.Join(res.Challenge, ",") != "otp" {
		t.Fatalf("resumed without the last action: %+v %v", res, err)
	}

	// The site says no: onContinuePostChallenge denies, the chain stops there.
	ev.Request.Body = map[string]any{"session_token": mustSign(t, "shared", jwt.MapClaims{"state": "pw1", "exp": tokenNow.Unix() + 30, "verified": false})}
	res, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound, ev, actions.ResetOptions{Resume: &resume, ContinueState: "pw1"})
	if err != nil || res.Denied == nil || res.Denied.Reason != "Identity not verified" {
		t.Fatalf("denied: %+v %v", res, err)
	}

	// A token signed for another reset's state, or none, fails the run.
	ev.Request.Body = map[string]any{"session_token": mustSign(t, "shared", jwt.MapClaims{"state": "other", "exp": tokenNow.Unix() + 30, "verified": true})}
	_, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound, ev, actions.ResetOptions{Resume: &resume, ContinueState: "pw1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "state claim") {
		t.Fatalf("message %q", ee.Message)
	}
	ev.Request.Body = nil
	_, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound, ev, actions.ResetOptions{Resume: &resume, ContinueState: "pw1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "no session token") {
		t.Fatalf("message %q", ee.Message)
	}

	// Bindings changed while the user was away: the reset fails rather than resume another action.
	_, err = rt.RunPasswordResetPostChallengeWith(context.Background(), bound[:1], ev, actions.ResetOptions{Resume: &resume, ContinueState: "pw1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "no longer bound") {
		t.Fatalf("message %q", ee.Message)
	}
}

// Where the flow cannot send the browser away (a test run), sendUserTo is a clear error; validateToken
// belongs to onContinuePostChallenge; canRedirect is post-login's alone; a denial wins over a redirect.
func TestResetRedirectRefusals(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	run := func(code string, o actions.ResetOptions) (*actions.PasswordResetPostChallengeResult, error) {
		return rt.RunPasswordResetPostChallengeWith(context.Background(), boundReset(t, rt, code), resetEvent(), o)
	}
	for code, want := range map[string]string{
		`exports.onExecutePostChallenge = async (event, api) => { api.redirect.sendUserTo('https://x.test/'); };`: "cannot be redirected",
		`exports.onExecutePostChallenge = async (event, api) => { api.redirect.validateToken({secret: 'k'}); };`:  "only in onContinuePostChallenge",
		`exports.onExecutePostChallenge = async (event, api) => { api.redirect.canRedirect(); };`:                 "has no member 'canRedirect'",
		`exports.onExecutePostChallenge = async (event, api) => { api.redirect.encodeToken({payload: {}}); };`:    "secret must be",
	} {
		_, err := run(code, actions.ResetOptions{})
		if e := mustExecErr(t, err, actions.KindException); !strings.Contains(e.Message, want) {
			t.Fatalf("%s: message %q, want %q", code, e.Message, want)
		}
	}
	_, err := run(`exports.onExecutePostChallenge = async (event, api) => { api.redirect.sendUserTo('javascript:alert(1)'); };`,
		actions.ResetOptions{CanRedirect: true, State: "s"})
	if e := mustExecErr(t, err, actions.KindException); !strings.Contains(e.Message, "absolute http") {
		t.Fatalf("message %q", e.Message)
	}
	res, err := run(`exports.onExecutePostChallenge = async (event, api) => {
  api.redirect.sendUserTo('https://x.test/');
  api.access.deny('no');
};`, actions.ResetOptions{CanRedirect: true, State: "s"})
	if err != nil || res.Denied == nil || res.Redirect != nil {
		t.Fatalf("deny and redirect: %+v %v", res, err)
	}
}
