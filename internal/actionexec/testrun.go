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
		res, err := e.rt.RunPostLogin(ctx, bound, ev)
		if res != nil {
			logs, result = res.Logs, map[string]any{"id_token_claims": res.IDTokenClaims, "access_token_claims": res.AccessTokenClaims,
				"add_scopes": res.AddScopes, "remove_scopes": res.RemoveScopes, "app_metadata": res.AppMetadata,
				"user_metadata": res.UserMetadata, "denied": denialView(res.Denied, "")}
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
