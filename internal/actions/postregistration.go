package actions

import (
	"context"
	"fmt"

	"github.com/dop251/goja"
)

// PostUserRegistrationResult is what a post-user-registration run leaves: its console lines. The
// trigger cannot change the signup, which has happened; its api has only the cache.
type PostUserRegistrationResult struct {
	Logs []LogLine
}

// RunPostUserRegistration runs the post-user-registration actions in binding order, after a user
// was created. Errors are as for RunPostLogin; the caller decides whether to retry.
func (r *Runtime) RunPostUserRegistration(ctx context.Context, actions []Bound, ev PostUserRegistrationEvent) (*PostUserRegistrationResult, error) {
	logs, err := r.runNotification(ctx, TriggerPostUserRegistration, actions, ev.normalized())
	if logs == nil {
		return nil, err
	}
	return &PostUserRegistrationResult{Logs: logs}, err
}

// runNotification runs the bound actions of a trigger that tells of something done (a signup, a
// password change): each action's api has only the cache, and nothing it does changes the outcome.
func (r *Runtime) runNotification(ctx context.Context, t Trigger, actions []Bound, ev any) ([]LogLine, error) {
	return r.runChain(ctx, t, actions, ev, func(vm *goja.Runtime, ex *execution) goja.Value {
		api := vm.NewObject()
		ex.installCache(vm, api)
		return api
	}, nil)
}

// runChain runs t's bound actions in binding order over one event: each action sees ev (as the
// actions before it left it) with its own secrets, and the api newAPI builds. after, when set,
// runs after each action with the event's document and stops the chain by returning true (a
// denial). It returns the console lines: nil, with the error, when the run was abandoned or could
// not start.
func (r *Runtime) runChain(ctx context.Context, t Trigger, actions []Bound, ev any,
	newAPI func(vm *goja.Runtime, ex *execution) goja.Value, after func(base map[string]any) (stop bool)) ([]LogLine, error) {
	if err := r.checkBound(actions, t); err != nil {
		return nil, err
	}
	base, err := toGeneric(ev)
	if err != nil {
		return nil, fmt.Errorf("actions: encode event: %w", err)
	}
	logs := &logSink{}
	err = r.run(ctx, t, func(ex *execution) error {
		for _, b := range actions {
			if e := ex.runAction(b, logs, func(vm *goja.Runtime) (goja.Value, goja.Value, error) {
				event := toJS(vm, base).(*goja.Object)
				_ = event.Set("secrets", secretsValue(vm, b.Secrets))
				return event, newAPI(vm, ex), nil
			}); e != nil {
				return e
			}
			if after != nil && after(base) {
				return nil
			}
		}
		return nil
	})
	if err == errAbandoned {
		return nil, err
	}
	if logs.lines == nil {
		logs.lines = []LogLine{}
	}
	return logs.lines, err
}
