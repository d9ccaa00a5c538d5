package actions_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/actions"
)

var tokenNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// mustSign signs claims as the other site would, with golang-jwt.
func mustSign(tb testing.TB, secret string, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// encodeToken's tokens verify with golang-jwt and carry iss, sub, state, ip, iat, exp and the payload.
func TestEncodeSessionTokenVerifiesElsewhere(t *testing.T) {
	tok, err := actions.EncodeSessionToken("s3cret", map[string]any{"email": "ada@example.com", "sub": "overridden"},
		actions.SessionTokenClaims{Issuer: "login.example.test", Subject: "auth0|1", State: "st", IP: "192.0.2.1"}, tokenNow, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte("s3cret"), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return tokenNow }))
	if err != nil {
		t.Fatal(err)
	}
	want := jwt.MapClaims{"iss": "login.example.test", "sub": "auth0|1", "state": "st", "ip": "192.0.2.1",
		"email": "ada@example.com", "iat": float64(tokenNow.Unix()), "exp": float64(tokenNow.Unix() + 60)}
	if !reflect.DeepEqual(claims, want) {
		t.Fatalf("claims %v, want %v", claims, want)
	}
	if _, err := actions.EncodeSessionToken("", nil, actions.SessionTokenClaims{}, tokenNow, time.Minute); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestValidateSessionToken(t *testing.T) {
	good := jwt.MapClaims{"state": "st", "exp": tokenNow.Unix() + 60, "answer": "yes", "n": 2}
	tampered := func() string {
		parts := strings.Split(mustSign(t, "k", good), ".")
		body, _ := base64.RawURLEncoding.DecodeString(parts[1])
		body = []byte(strings.Replace(string(body), `"yes"`, `"no!"`, 1))
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(body) + "." + parts[2]
	}()
	noneAlg := func() string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}()
	cases := []struct {
		name, token, secret, state, want string
	}{
		{"valid", mustSign(t, "k", good), "k", "st", ""},
		{"wrong secret", mustSign(t, "k", good), "other", "st", "signature is invalid"},
		{"tampered payload", tampered, "k", "st", "signature is invalid"},
		{"expired", mustSign(t, "k", jwt.MapClaims{"state": "st", "exp": tokenNow.Unix() - 1}), "k", "st", "expired"},
		{"expires now", mustSign(t, "k", jwt.MapClaims{"state": "st", "exp": tokenNow.Unix()}), "k", "st", "expired"},
		{"no exp", mustSign(t, "k", jwt.MapClaims{"state": "st"}), "k", "st", "no exp"},
		{"other login's state", mustSign(t, "k", good), "k", "other", "state claim"},
		{"no state claim", mustSign(t, "k", jwt.MapClaims{"exp": tokenNow.Unix() + 60}), "k", "st", "state claim"},
		{"missing token", "", "k", "st", "no session token"},
		{"alg none", noneAlg, "k", "st", "HS256"},
		{"HS384", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, good).SignedString([]byte("k"))
			return s
		}(), "k", "st", "HS256"},
		{"not a JWT", "abc.def", "k", "st", "not a signed JWT"},
		{"too long", strings.Repeat("a", 20<<10), "k", "st", "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := actions.ValidateSessionToken(tc.token, tc.secret, tc.state, tokenNow)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if claims["answer"] != "yes" || claims["n"] != float64(2) {
					t.Fatalf("claims %v", claims)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRedirectURL(t *testing.T) {
	got, err := actions.RedirectURL("https://idv.example.test/start?keep=1#frag", map[string]string{"a b": "x&y=z", "keep": "2"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if u.Query().Get("a b") != "x&y=z" || u.Query().Get("keep") != "2" || u.Fragment != "" {
		t.Fatalf("url %s", got)
	}
	for _, bad := range []string{"/relative", "javascript:alert(1)", "ftp://x.test/", "https://user:pw@x.test/", "https://", "data:text/html,hi"} {
		if _, err := actions.RedirectURL(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// boundLogin compiles sources as post-login actions with ids actionA, actionB, …
func boundLogin(tb testing.TB, rt *actions.Runtime, sources ...string) []actions.Bound {
	return boundAs(tb, rt, actions.TriggerPostLogin, "action", sources...)
}

// boundAs compiles sources as trigger's actions named prefix+A, prefix+B, …, each with the secret
// KEY=shared.
func boundAs(tb testing.TB, rt *actions.Runtime, trigger actions.Trigger, prefix string, sources ...string) []actions.Bound {
	var bound []actions.Bound
	for i, src := range sources {
		name := prefix + string(rune('A'+i))
		bound = append(bound, actions.Bound{ActionID: name, Name: name, Secrets: map[string]string{"KEY": "shared"},
			Program: MustCompile(tb, rt, name, src, trigger)})
	}
	return bound
}

// A redirect pauses the chain after the action that called it; the resumed run starts with that
// action's onContinuePostLogin, on top of what was decided before, then the remaining actions.
func TestRedirectPausesAndResumes(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{Now: func() time.Time { return tokenNow }})
	bound := boundLogin(t, rt, `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x/first', 1);
  api.user.setAppMetadata('seen', true);
};`, `
exports.onExecutePostLogin = async (event, api) => {
  const token = api.redirect.encodeToken({secret: event.secrets.KEY, payload: {email: event.user.email}, expiresInSeconds: 60});
  api.idToken.setCustomClaim('https://x/before', api.redirect.canRedirect());
  api.redirect.sendUserTo('https://idv.example.test/verify', {query: {session_token: token, n: 3}});
};
exports.onContinuePostLogin = async (event, api) => {
  const p = api.redirect.validateToken({secret: event.secrets.KEY, tokenParameterName: 'result'});
  api.idToken.setCustomClaim('https://x/verified', p.verified);
  api.idToken.setCustomClaim('https://x/method', event.request.method);
};`, `
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x/last', event.user.app_metadata.seen === true);
};`)
	ev := loginEvent()
	ev.Request.Hostname = "login.example.test"
	res, err := rt.RunPostLoginWith(context.Background(), bound, ev, actions.PostLoginOptions{CanRedirect: true, State: "st1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect == nil || res.IDTokenClaims["https://x/last"] != nil {
		t.Fatalf("the chain did not pause: %+v", res)
	}
	u, _ := url.Parse(res.Redirect.URL)
	if u.Host != "idv.example.test" || u.Query().Get("n") != "3" {
		t.Fatalf("redirect %s", res.Redirect.URL)
	}
	sent, err := actions.ValidateSessionToken(u.Query().Get("session_token"), "shared", "st1", tokenNow)
	if err != nil || sent["email"] != "ada@example.com" || sent["sub"] != "auth0|123" || sent["iss"] != "login.example.test" {
		t.Fatalf("token sent: %v %v", sent, err)
	}
	resume := res.Redirect.Resume
	if resume.Index != 1 || resume.ActionID != "actionB" {
		t.Fatalf("resume %+v", resume)
	}

	back := mustSign(t, "shared", jwt.MapClaims{"state": "st1", "exp": tokenNow.Unix() + 30, "verified": true})
	ev.Request.Method = "POST"
	ev.Request.Body = map[string]any{"result": back}
	res, err = rt.RunPostLoginWith(context.Background(), bound, ev, actions.PostLoginOptions{CanRedirect: true, State: "st2", Resume: &resume, ContinueState: "st1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"https://x/first": float64(1), "https://x/before": true, "https://x/verified": true,
		"https://x/method": "POST", "https://x/last": true}
	if res.Redirect != nil || !reflect.DeepEqual(res.IDTokenClaims, want) {
		t.Fatalf("claims %v (redirect %v)", res.IDTokenClaims, res.Redirect)
	}
	if res.AppMetadata["seen"] != true {
		t.Fatalf("metadata from before the redirect lost: %v", res.AppMetadata)
	}

	// The token must carry the state of the login it is brought back to.
	other := mustSign(t, "shared", jwt.MapClaims{"state": "someone-else", "exp": tokenNow.Unix() + 30, "verified": true})
	ev.Request.Body = map[string]any{"result": other}
	_, err = rt.RunPostLoginWith(context.Background(), bound, ev, actions.PostLoginOptions{CanRedirect: true, Resume: &resume, ContinueState: "st1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "state claim") {
		t.Fatalf("message %q", ee.Message)
	}

	// The site sent nothing under the parameter's name.
	ev.Request.Body = map[string]any{"session_token": back}
	_, err = rt.RunPostLoginWith(context.Background(), bound, ev, actions.PostLoginOptions{CanRedirect: true, Resume: &resume, ContinueState: "st1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "no session token") {
		t.Fatalf("message %q", ee.Message)
	}

	// Bindings changed while the user was away: the login fails rather than resume another action.
	_, err = rt.RunPostLoginWith(context.Background(), bound[:1], ev, actions.PostLoginOptions{Resume: &resume, ContinueState: "st1"})
	if ee := mustExecErr(t, err, actions.KindException); !strings.Contains(ee.Message, "no longer bound") {
		t.Fatalf("message %q", ee.Message)
	}
}

func TestRedirectAPIRefusals(t *testing.T) {
	rt := actions.NewRuntime(actions.Options{})
	cases := map[string]string{
		"validateToken outside onContinue": `api.redirect.validateToken({secret: 'k'})`,
		"relative URL":                     `api.redirect.sendUserTo('/next')`,
		"javascript URL":                   `api.redirect.sendUserTo('javascript:alert(1)')`,
		"object in query":                  `api.redirect.sendUserTo('https://x.test/', {query: {a: {b: 1}}})`,
		"encodeToken without secret":       `api.redirect.encodeToken({payload: {}})`,
		"encodeToken negative lifetime":    `api.redirect.encodeToken({secret: 'k', expiresInSeconds: -5})`,
		"encodeToken non-object payload":   `api.redirect.encodeToken({secret: 'k', payload: 'x'})`,
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			bound := boundLogin(t, rt, "exports.onExecutePostLogin = async (event, api) => { "+call+"; };")
			res, err := rt.RunPostLoginWith(context.Background(), bound, loginEvent(), actions.PostLoginOptions{CanRedirect: true, State: "s"})
			mustExecErr(t, err, actions.KindException)
			if res != nil && res.Redirect != nil {
				t.Fatal("redirect kept after a failure")
			}
		})
	}
	// onContinuePostLogin may send the user away again: the run pauses at the same action.
	again := boundLogin(t, rt, `exports.onExecutePostLogin = async (e, api) => { api.redirect.sendUserTo('https://x.test/1') };
exports.onContinuePostLogin = async (e, api) => { api.redirect.sendUserTo('https://x.test/2') };`)
	first, err := rt.RunPostLoginWith(context.Background(), again, loginEvent(), actions.PostLoginOptions{CanRedirect: true, State: "s"})
	if err != nil || first.Redirect == nil {
		t.Fatal(err)
	}
	second, err := rt.RunPostLoginWith(context.Background(), again, loginEvent(), actions.PostLoginOptions{CanRedirect: true, State: "s2", Resume: &first.Redirect.Resume, ContinueState: "s"})
	if err != nil || second.Redirect == nil || second.Redirect.URL != "https://x.test/2" || second.Redirect.Resume.Index != 0 {
		t.Fatalf("%+v %v", second, err)
	}

	// An action without onContinuePostLogin resumes with the next action.
	bound := boundLogin(t, rt, `exports.onExecutePostLogin = async (e, api) => { api.redirect.sendUserTo('https://x.test/') };`,
		`exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/next', 1) };`)
	res, err := rt.RunPostLoginWith(context.Background(), bound, loginEvent(), actions.PostLoginOptions{CanRedirect: true, State: "s"})
	if err != nil || res.Redirect == nil {
		t.Fatal(err)
	}
	res, err = rt.RunPostLoginWith(context.Background(), bound, loginEvent(), actions.PostLoginOptions{Resume: &res.Redirect.Resume, ContinueState: "s"})
	if err != nil || res.IDTokenClaims["https://x/next"] != float64(1) {
		t.Fatalf("%v %v", res, err)
	}
}
