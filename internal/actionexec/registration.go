package actionexec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

var _ trigger.PreUserRegistrationRunner = (*Executor)(nil)

// PreUserRegistration runs the pre-user-registration trigger before a database user is created
// (spec §5.5). A failed execution refuses the signup with FailedReason (the details go to the tenant
// log), as a failed post-login refuses the sign-in.
func (e *Executor) PreUserRegistration(ctx context.Context, ev trigger.PreUserRegistration) (trigger.Registration, error) {
	c, err := e.chainFor(ctx, actions.TriggerPreUserRegistration)
	if err != nil {
		return trigger.Registration{}, err
	}
	if c.empty() {
		return trigger.Registration{}, nil
	}
	if ev.User == nil || ev.Client == nil {
		return trigger.Registration{}, errors.New("actionexec: pre-user-registration needs a user and a client")
	}
	lc := logContext{trigger: actions.TriggerPreUserRegistration, clientID: ev.Client.ClientID, clientName: ev.Client.Name,
		userName: ev.User.Email, ip: ev.IP, userAgent: ev.UserAgent, hostname: ev.Hostname}
	ctx, lc.exec = e.begin(ctx)
	failed := trigger.Registration{Denial: &trigger.Denial{Code: "access_denied", Reason: FailedReason}, ExecutionID: lc.exec.id}
	if c.broken != nil {
		e.record(ctx, lc, c, nil, nil, brokenFailure(c.broken))
		return failed, nil
	}
	user := eventUser(ev.User)
	user.UserID = "" // not created yet
	event := actions.PreUserRegistrationEvent{
		User: user, Client: eventClient(ev.Client), Connection: eventConnection(ev.Connection, ev.User),
		Request: actions.Request{IP: ev.IP, Method: "POST", UserAgent: ev.UserAgent, Hostname: ev.Hostname},
		Tenant:  actions.Tenant{ID: e.tenantID},
	}
	start := time.Now()
	res, err := e.rt.RunPreUserRegistration(ctx, c.bound, event)
	e.observed(actions.TriggerPreUserRegistration, start, err != nil)
	if err != nil {
		f, ok := asFailure(err)
		if !ok {
			return trigger.Registration{}, fmt.Errorf("actionexec: pre-user-registration: %w", err)
		}
		var logs []actions.LogLine
		if res != nil {
			logs = res.Logs
		}
		e.record(ctx, lc, c, logs, nil, f)
		return failed, nil
	}
	e.record(ctx, lc, c, res.Logs, nil, nil)
	out := trigger.Registration{AppMetadata: nonEmpty(res.AppMetadata), UserMetadata: nonEmpty(res.UserMetadata), ExecutionID: lc.exec.id}
	if d := res.Denied; d != nil {
		out.Denial = &trigger.Denial{Code: d.Code, Reason: d.Reason}
		out.UserMessage = res.UserMessage
	}
	return out, nil
}
