package actionexec

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

var _ trigger.PostUserRegistrationRunner = (*Executor)(nil)

// Bounds of the background post-user-registration runs.
const (
	// postRegistrationRetries is how many times a failed run is tried again.
	postRegistrationRetries = 2
	// postRegistrationDelay is the wait before the first retry; it doubles for each next one.
	postRegistrationDelay = time.Second
	// maxPostRegistrationRuns bounds the runs in flight on a node; past it a signup's run is
	// dropped with a warning rather than queued without bound.
	maxPostRegistrationRuns = 16
)

// PostUserRegistration runs the post-user-registration trigger in the background after a signup
// (spec §5.5: fire-and-forget), so the signup's answer never waits for it. A failed run (thrown
// error, timeout) is logged to the tenant log and tried again, up to postRegistrationRetries
// times with a doubling delay; the run does not depend on the request that caused it.
func (e *Executor) PostUserRegistration(ctx context.Context, ev trigger.PostUserRegistration) {
	c, err := e.chainFor(ctx, actions.TriggerPostUserRegistration)
	if err != nil {
		e.logger.WarnContext(ctx, "post-user-registration: bindings not read; the Actions did not run", "err", err)
		return
	}
	if c.empty() || ev.User == nil {
		return
	}
	lc := logContext{trigger: actions.TriggerPostUserRegistration, userID: ev.User.UserID, userName: ev.User.Email,
		ip: ev.IP, userAgent: ev.UserAgent, hostname: ev.Hostname}
	event := actions.PostUserRegistrationEvent{User: eventUser(ev.User), Connection: eventConnection(ev.Connection, ev.User),
		Request: actions.Request{IP: ev.IP, Method: "POST", UserAgent: ev.UserAgent, Hostname: ev.Hostname},
		Tenant:  actions.Tenant{ID: e.tenantID}}
	if ev.Client != nil {
		event.Client = eventClient(ev.Client)
		lc.clientID, lc.clientName = ev.Client.ClientID, ev.Client.Name
	}
	e.inBackground(ctx, c, lc, func(ctx context.Context) ([]actions.LogLine, error) {
		res, err := e.rt.RunPostUserRegistration(ctx, c.bound, event)
		if res == nil {
			return nil, err
		}
		return res.Logs, err
	})
}

// WaitBackground waits for the background runs started so far (post-user-registration): for
// tests, and for a node shutting down.
func (e *Executor) WaitBackground() { e.bg.Wait() }
