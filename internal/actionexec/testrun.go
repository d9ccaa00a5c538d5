package actionexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/domain"
)

// TestAction runs an action's current code (its draft, deployed or not) once for trigger, with
// payload as the event, and reports what it did: the console lines, what it asked for (claims,
// scopes, metadata, a denial), the error that ended it, and how long it took (POST
// /api/v2/actions/actions/{id}/test). Nothing it asks for is applied. Secret values are masked in
// the lines and the error, as in the tenant log. The action's fetch follows the tenant's
// allow-list like a deployed one.
func (e *Executor) TestAction(ctx context.Context, a *domain.Action, trigger string, payload map[string]any) (map[string]any, error) {
	t, err := parseTrigger(trigger)
	if err != nil {
		return nil, err
	}
	prg, err := e.rt.Compile(a.Name, a.Code, t)
	if err != nil {
		var ce *actions.CompileError
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, fmt.Errorf("action %q cannot be compiled for %s", a.Name, trigger)
	}
	secrets := make(map[string]string, len(a.Secrets))
	for _, s := range a.Secrets {
		secrets[s.Name] = s.Value
	}
	settings, err := e.store.GetTenantSettings(ctx)
	if err != nil {
		return nil, err
	}
	bound := []actions.Bound{{ActionID: a.ID, Name: a.Name, Program: prg, Secrets: secrets, FetchAllowHosts: settings.ActionsAllowedHosts}}
	red := newRedactor(&chain{bound: bound})
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	decode := func(ev any) error {
		if err := json.Unmarshal(raw, ev); err != nil {
			return domain.Invalidf("payload", "is not a %s event: %s", trigger, err.Error())
		}
		return nil
	}
	var (
		logs   []actions.LogLine
		result any
		runErr error
	)
	start := time.Now()
	switch t {
	case actions.TriggerPostLogin:
		var ev actions.PostLoginEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		// A test run has no browser to send away: api.redirect.sendUserTo is allowed and the
		// redirect shown in the result (Auth0's test shows it as a Redirect command), and the
		// run ends there as a sign-in's would.
		res, err := e.rt.RunPostLoginWith(ctx, bound, ev, actions.PostLoginOptions{CanRedirect: true, State: testRedirectState})
		if res != nil {
			logs, result = res.Logs, map[string]any{"id_token_claims": res.IDTokenClaims, "access_token_claims": res.AccessTokenClaims,
				"add_scopes": res.AddScopes, "remove_scopes": res.RemoveScopes, "app_metadata": res.AppMetadata,
				"user_metadata": res.UserMetadata, "denied": denialView(res.Denied, ""), "redirect": redirectView(res.Redirect)}
		}
		runErr = err
	case actions.TriggerCredentialsExchange:
		var ev actions.CredentialsExchangeEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		res, err := e.rt.RunCredentialsExchange(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{"access_token_claims": res.AccessTokenClaims, "denied": denialView(res.Denied, "")}
		}
		runErr = err
	case actions.TriggerPreUserRegistration:
		var ev actions.PreUserRegistrationEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		res, err := e.rt.RunPreUserRegistration(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{"app_metadata": res.AppMetadata, "user_metadata": res.UserMetadata,
				"denied": denialView(res.Denied, res.UserMessage)}
		}
		runErr = err
	case actions.TriggerPostUserRegistration:
		var ev actions.PostUserRegistrationEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		res, err := e.rt.RunPostUserRegistration(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{}
		}
		runErr = err
	case actions.TriggerPostChangePassword:
		var ev actions.PostChangePasswordEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		res, err := e.rt.RunPostChangePassword(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{}
		}
		runErr = err
	case actions.TriggerPasswordResetPostChallenge:
		var ev actions.PasswordResetPostChallengeEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		// As at post-login, a redirect is shown rather than followed.
		res, err := e.rt.RunPasswordResetPostChallengeWith(ctx, bound, ev, actions.ResetOptions{CanRedirect: true, State: testRedirectState})
		if res != nil {
			var redirect any
			if r := res.Redirect; r != nil {
				redirect = redirectView(&actions.RedirectRequest{Target: r.Target, Query: r.Query})
			}
			logs, result = res.Logs, map[string]any{"denied": denialView(res.Denied, ""), "challenge": challengeView(res.Challenge),
				"redirect": redirect}
		}
		runErr = err
	case actions.TriggerSendPhoneMessage:
		var ev actions.SendPhoneMessageEvent
		if err := decode(&ev); err != nil {
			return nil, err
		}
		res, err := e.rt.RunSendPhoneMessage(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{}
		}
		runErr = err
	default:
		return nil, domain.Invalidf("trigger_id", "%s actions cannot be tested on this server", t)
	}
	out := map[string]any{"duration_ms": time.Since(start).Milliseconds(), "result": result, "error": nil}
	lines := make([]map[string]string, 0, len(logs))
	for _, l := range logs {
		lines = append(lines, map[string]string{"level": l.Level, "message": red(l.Line)})
	}
	out["logs"] = lines
	if runErr != nil {
		f, ok := asFailure(runErr)
		if !ok {
			return nil, runErr
		}
		out["error"] = map[string]string{"kind": f.kind, "message": red(f.message)}
	}
	return out, nil
}

// testRedirectState stands for the login transaction's state in a test run's redirect (and in a
// token encodeToken makes there): there is no transaction to resume.
const testRedirectState = "test-run"

// redirectView is the redirect a test run asked for: the URL and query sendUserTo was called with.
func redirectView(r *actions.RedirectRequest) any {
	if r == nil {
		return nil
	}
	q := r.Query
	if q == nil {
		q = map[string]string{}
	}
	return map[string]any{"url": r.Target, "query": q}
}

// challengeView lists the factor types challengeWith asked for, as Auth0's factor selectors.
func challengeView(types []string) any {
	if len(types) == 0 {
		return nil
	}
	out := make([]map[string]string, 0, len(types))
	for _, t := range types {
		out = append(out, map[string]string{"type": t})
	}
	return out
}

func denialView(d *actions.Denial, userMessage string) any {
	if d == nil {
		return nil
	}
	v := map[string]string{"code": d.Code, "reason": d.Reason}
	if userMessage != "" {
		v["user_message"] = userMessage
	}
	return v
}
