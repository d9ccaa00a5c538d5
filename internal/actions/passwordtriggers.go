package actions

import (
	"context"
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
	ev.User.AppMetadata = orEmptyAny(ev.User.AppMetadata)
	ev.User.UserMetadata = orEmptyAny(ev.User.UserMetadata)
	ev.User.Identities = orEmptySlice(ev.User.Identities)
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	ev.Request.Query = orEmptyAny(ev.Request.Query)
	ev.Request.Body = orEmptyAny(ev.Request.Body)
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
	ev.User.AppMetadata = orEmptyAny(ev.User.AppMetadata)
	ev.User.UserMetadata = orEmptyAny(ev.User.UserMetadata)
	ev.User.Identities = orEmptySlice(ev.User.Identities)
	ev.Authentication.Methods = orEmptySlice(ev.Authentication.Methods)
	ev.Authorization.Roles = orEmptySlice(ev.Authorization.Roles)
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	ev.Request.Query = orEmptyAny(ev.Request.Query)
	ev.Request.Body = orEmptyAny(ev.Request.Body)
	return ev
}

// PasswordResetPostChallengeResult is what the chain decided: Denied ends the reset, its Reason
// shown to the user (Auth0: "may be presented directly in end-user interfaces"); Challenge, when
// not empty, lists the factor types (Auth0's names, in the Action's order) of which the user must
// pass one before the new-password form (the last challengeWith/challengeWithAny call).
type PasswordResetPostChallengeResult struct {
	Denied    *Denial
	Challenge []string
	Logs      []LogLine
}

// RunPasswordResetPostChallenge runs the password-reset-post-challenge actions in binding order.
// api.access.deny(reason) stops the chain. api.authentication.challengeWith and challengeWithAny
// ask for a second factor before the new password, as at post-login: the chain runs to its end
// (a later denial still wins) and the reset flow then shows the factor's challenge. Auth0 has no
// enrollWith in this trigger: a reset is no place to add a factor.
func (r *Runtime) RunPasswordResetPostChallenge(ctx context.Context, actions []Bound, ev PasswordResetPostChallengeEvent) (*PasswordResetPostChallengeResult, error) {
	res := &PasswordResetPostChallengeResult{}
	logs, err := r.runChain(ctx, TriggerPasswordResetPostChallenge, actions, ev.normalized(),
		func(vm *goja.Runtime, ex *execution) goja.Value { return postChallengeAPI(vm, ex, res) },
		func(map[string]any) bool { return res.Denied != nil })
	if logs == nil {
		return nil, err
	}
	res.Logs = logs
	return res, err
}

func postChallengeAPI(vm *goja.Runtime, ex *execution, res *PasswordResetPostChallengeResult) goja.Value {
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
	setFuncs(vm, api, "redirect", map[string]func(goja.FunctionCall) goja.Value{
		"sendUserTo":    notSupported(vm, "api.redirect.sendUserTo during a password reset"),
		"encodeToken":   notSupported(vm, "api.redirect.encodeToken during a password reset"),
		"validateToken": notSupported(vm, "api.redirect.validateToken during a password reset"),
	})
	ex.installCache(vm, api)
	return api
}
