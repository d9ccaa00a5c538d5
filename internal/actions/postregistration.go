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
// password change): each action sees the event and its secrets, its api has only the cache, and
// nothing it does changes the outcome. It returns the console lines (nil, with the error, when
// the run was abandoned or could not start).
func (r *Runtime) runNotification(ctx context.Context, t Trigger, actions []Bound, ev any) ([]LogLine, error) {
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
				api := vm.NewObject()
				ex.installCache(vm, api)
				return event, api, nil
			}); e != nil {
				return e
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
