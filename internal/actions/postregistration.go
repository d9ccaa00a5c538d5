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
	if err := r.checkBound(actions, TriggerPostUserRegistration); err != nil {
		return nil, err
	}
	base, err := toGeneric(ev.normalized())
	if err != nil {
		return nil, fmt.Errorf("actions: encode event: %w", err)
	}
	logs := &logSink{}
	err = r.run(ctx, TriggerPostUserRegistration, func(ex *execution) error {
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
	return &PostUserRegistrationResult{Logs: logs.lines}, err
}
