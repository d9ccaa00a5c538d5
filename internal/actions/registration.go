package actions

import (
	"context"

	"github.com/dop251/goja"
)

// RegistrationEvent is the event of the registration triggers (spec §5.5): the user as the signup
// asked for it (pre-user-registration: before it exists, no user_id) or as it was created
// (post-user-registration), and where the signup came from.
type RegistrationEvent struct {
	User       User       `json:"user"`
	Client     Client     `json:"client"`
	Connection Connection `json:"connection"`
	Request    Request    `json:"request"`
	Tenant     Tenant     `json:"tenant"`
}

// PreUserRegistrationEvent and PostUserRegistrationEvent are the two triggers' events, one shape.
type (
	PreUserRegistrationEvent  = RegistrationEvent
	PostUserRegistrationEvent = RegistrationEvent
)

func (ev RegistrationEvent) normalized() RegistrationEvent {
	ev.User = ev.User.normalized()
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	ev.Request = ev.Request.normalized()
	return ev
}

// PreUserRegistrationResult is what the pre-user-registration chain decided. Denied refuses the
// signup: Reason goes to the tenant log, UserMessage (when set) to the person signing up.
type PreUserRegistrationResult struct {
	Denied      *Denial
	UserMessage string
	// AppMetadata and UserMetadata are merged into the new user (a nil value deletes the key).
	AppMetadata  map[string]any
	UserMetadata map[string]any
	Logs         []LogLine
}

// RunPreUserRegistration runs the pre-user-registration actions in binding order, before a
// database user is created. api.access.deny and api.validation.error stop the chain.
func (r *Runtime) RunPreUserRegistration(ctx context.Context, actions []Bound, ev PreUserRegistrationEvent) (*PreUserRegistrationResult, error) {
	res := &PreUserRegistrationResult{AppMetadata: map[string]any{}, UserMetadata: map[string]any{}}
	logs, err := r.runChain(ctx, TriggerPreUserRegistration, actions, ev.normalized(),
		func(vm *goja.Runtime, ex *execution) goja.Value { return preRegistrationAPI(vm, ex, res) },
		func(base map[string]any) bool {
			// The next action sees the metadata the ones before it set.
			applyMetadata(base, &PostLoginResult{AppMetadata: res.AppMetadata, UserMetadata: res.UserMetadata})
			return res.Denied != nil
		})
	if logs == nil {
		return nil, err
	}
	res.Logs = logs
	return res, err
}

func preRegistrationAPI(vm *goja.Runtime, ex *execution, res *PreUserRegistrationResult) goja.Value {
	api := vm.NewObject()
	str := func(v goja.Value) string {
		if goja.IsUndefined(v) || goja.IsNull(v) {
			return ""
		}
		return v.String()
	}
	deny := func(code, reason, userMessage string) {
		if res.Denied == nil {
			res.Denied = &Denial{Code: code, Reason: reason}
			res.UserMessage = truncateRunes(userMessage, 500)
		}
	}
	setFuncs(vm, api, "access", map[string]func(goja.FunctionCall) goja.Value{
		"deny": func(c goja.FunctionCall) goja.Value {
			deny("access_denied", str(c.Argument(0)), str(c.Argument(1)))
			return api
		},
	})
	setFuncs(vm, api, "validation", map[string]func(goja.FunctionCall) goja.Value{
		"error": func(c goja.FunctionCall) goja.Value {
			deny(str(c.Argument(0)), str(c.Argument(1)), str(c.Argument(1)))
			return api
		},
	})
	metaSetter := func(dst map[string]any) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			v, _, err := exportJSON(vm, c.Argument(1))
			if err != nil {
				v = nil
			}
			dst[c.Argument(0).String()] = v
			return api
		}
	}
	setFuncs(vm, api, "user", map[string]func(goja.FunctionCall) goja.Value{
		"setAppMetadata":  metaSetter(res.AppMetadata),
		"setUserMetadata": metaSetter(res.UserMetadata),
	})
	ex.installCache(vm, api)
	return api
}
