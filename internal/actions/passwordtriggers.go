package actions

import (
	"context"
	"fmt"
	"slices"

	"github.com/dop251/goja"
)

// PostChangePasswordEvent is the post-change-password trigger's event: the user whose password
// changed, the database connection, the request that changed it and the tenant.
type PostChangePasswordEvent struct {
	User       User       `json:"user"`
	Connection Connection `json:"connection"`
	Request    Request    `json:"request"`
	Tenant     Tenant     `json:"tenant"`
}

func (ev PostChangePasswordEvent) normalized() PostChangePasswordEvent {
	ev.User = ev.User.normalized()
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	ev.Request = ev.Request.normalized()
	return ev
}

// PostChangePasswordResult is what a post-change-password run leaves: its console lines. The
// trigger cannot change anything; its api has only the cache.
type PostChangePasswordResult struct {
	Logs []LogLine
}

// RunPostChangePassword runs the post-change-password actions in binding order, after a password
// changed. Errors are as for RunPostLogin; the caller decides whether to retry.
func (r *Runtime) RunPostChangePassword(ctx context.Context, actions []Bound, ev PostChangePasswordEvent) (*PostChangePasswordResult, error) {
	logs, err := r.runNotification(ctx, TriggerPostChangePassword, actions, ev.normalized())
	if logs == nil {
		return nil, err
	}
	return &PostChangePasswordResult{Logs: logs}, err
}

// PasswordResetPostChallengeEvent is the password-reset-post-challenge trigger's event: the user
// who proved the reset link (event.authentication.methods holds "email" for the link), their roles,
// the application the reset started from (when known), the connection, the request and the tenant.
type PasswordResetPostChallengeEvent struct {
	User           User           `json:"user"`
	Authentication Authentication `json:"authentication"`
	Authorization  Authorization  `json:"authorization"`
	Client         Client         `json:"client"`
	Connection     Connection     `json:"connection"`
	Request        Request        `json:"request"`
	Tenant         Tenant         `json:"tenant"`
}

func (ev PasswordResetPostChallengeEvent) normalized() PasswordResetPostChallengeEvent {
	ev.User = ev.User.normalized()
	ev.Authentication.Methods = orEmptySlice(ev.Authentication.Methods)
	ev.Authorization.Roles = orEmptySlice(ev.Authorization.Roles)
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	ev.Request = ev.Request.normalized()
	return ev
}

// PasswordResetPostChallengeResult is what the chain decided: Denied ends the reset, its Reason
// shown to the user (Auth0: "may be presented directly in end-user interfaces"); Challenge, when
// not empty, lists the factor types (Auth0's names, in the Action's order) of which the user must
// pass one before the new-password form (the last challengeWith/challengeWithAny call). Redirect
// is the api.redirect.sendUserTo the chain paused on (nil when it ran to its end): nothing else is
// decided until the resumed run ends.
type PasswordResetPostChallengeResult struct {
	Denied    *Denial
	Challenge []string
	Redirect  *ResetRedirect
	Logs      []LogLine
}

// RunPasswordResetPostChallenge runs the password-reset-post-challenge actions in binding order,
// without redirects (a test run).
func (r *Runtime) RunPasswordResetPostChallenge(ctx context.Context, actions []Bound, ev PasswordResetPostChallengeEvent) (*PasswordResetPostChallengeResult, error) {
	return r.RunPasswordResetPostChallengeWith(ctx, actions, ev, ResetOptions{})
}

// RunPasswordResetPostChallengeWith runs the password-reset-post-challenge actions in binding
// order. api.access.deny(reason) stops the chain. api.authentication.challengeWith and
// challengeWithAny ask for a second factor before the new password, as at post-login: the chain
// runs to its end (a later denial still wins) and the reset flow then shows the factor's
// challenge. Auth0 has no enrollWith in this trigger: a reset is no place to add a factor. With
// o.CanRedirect, api.redirect.sendUserTo pauses the chain after its action, as at post-login; with
// o.Resume the run starts again at that action's onContinuePostChallenge and goes on with the
// remaining actions' onExecutePostChallenge.
func (r *Runtime) RunPasswordResetPostChallengeWith(ctx context.Context, actions []Bound, ev PasswordResetPostChallengeEvent, o ResetOptions) (*PasswordResetPostChallengeResult, error) {
	if err := r.checkBound(actions, TriggerPasswordResetPostChallenge); err != nil {
		return nil, err
	}
	base, err := toGeneric(ev.normalized())
	if err != nil {
		return nil, fmt.Errorf("actions: encode event: %w", err)
	}
	res := &PasswordResetPostChallengeResult{}
	start := 0
	if o.Resume != nil {
		if err := o.Resume.check(actions); err != nil {
			return &PasswordResetPostChallengeResult{Logs: []LogLine{}}, err
		}
		start, res.Challenge = o.Resume.Index, slices.Clone(o.Resume.Challenge)
	}
	logs := &logSink{}
	err = r.run(ctx, TriggerPasswordResetPostChallenge, func(ex *execution) error {
		for i := start; i < len(actions); i++ {
			b := actions[i]
			continuing := o.Resume != nil && i == start
			rd := &redirector{canRedirect: o.CanRedirect, state: o.State, continuing: continuing,
				continueExport: resetContinueHandler, continueState: o.ContinueState, event: base}
			export := b.Program.handler
			if continuing {
				export = resetContinueHandler
			}
			if e := ex.runExport(b, logs, export, continuing, func(vm *goja.Runtime) (goja.Value, goja.Value, error) {
				event := toJS(vm, base).(*goja.Object)
				_ = event.Set("secrets", secretsValue(vm, b.Secrets))
				return event, postChallengeAPI(vm, ex, res, rd), nil
			}); e != nil {
				return e
			}
			if res.Denied != nil {
				return nil // deny stops the chain
			}
			if rd.url != "" {
				res.Redirect = &ResetRedirect{URL: rd.url, Target: rd.target, Query: rd.query,
					Resume: ResetResume{Index: i, ActionID: b.ActionID, Challenge: slices.Clone(res.Challenge)}}
				return nil // the chain pauses after the action that redirected
			}
		}
		return nil
	})
	if err == errAbandoned {
		return nil, err
	}
	res.Logs = logs.lines
	if res.Logs == nil {
		res.Logs = []LogLine{}
	}
	return res, err
}

func postChallengeAPI(vm *goja.Runtime, ex *execution, res *PasswordResetPostChallengeResult, rd *redirector) goja.Value {
	api := vm.NewObject()
	setFuncs(vm, api, "access", map[string]func(goja.FunctionCall) goja.Value{
		"deny": func(c goja.FunctionCall) goja.Value {
			if res.Denied == nil {
				reason := ""
				if v := c.Argument(0); !goja.IsUndefined(v) && !goja.IsNull(v) {
					reason = truncateRunes(v.String(), 500)
				}
				res.Denied = &Denial{Code: "access_denied", Reason: reason}
			}
			return api
		},
	})
	setFuncs(vm, api, "authentication", map[string]func(goja.FunctionCall) goja.Value{
		"challengeWith": func(c goja.FunctionCall) goja.Value {
			const fn = "api.authentication.challengeWith"
			types := factorTypes(vm, fn, c.Argument(0), false, challengeFactors)
			if o, ok := c.Argument(1).(*goja.Object); ok {
				if more := o.Get("additionalFactors"); more != nil && !goja.IsUndefined(more) && !goja.IsNull(more) {
					for _, t := range factorTypes(vm, fn, more, true, challengeFactors) {
						if !slices.Contains(types, t) {
							types = append(types, t)
						}
					}
				}
			}
			res.Challenge = types
			return goja.Undefined()
		},
		"challengeWithAny": func(c goja.FunctionCall) goja.Value {
			res.Challenge = factorTypes(vm, "api.authentication.challengeWithAny", c.Argument(0), true, challengeFactors)
			return goja.Undefined()
		},
	})
	rd.install(vm, ex, api, false)
	ex.installCache(vm, api)
	return api
}
