package actionexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

var (
	_ trigger.PostChangePasswordRunner         = (*Executor)(nil)
	_ trigger.PasswordResetPostChallengeRunner = (*Executor)(nil)
)

// PostChangePassword runs the post-change-password trigger in the background after a password
// changed (Auth0: non-blocking, its outcome does not affect the change), with the retries of
// post-user-registration.
func (e *Executor) PostChangePassword(ctx context.Context, ev trigger.PostChangePassword) {
	c, err := e.chainFor(ctx, actions.TriggerPostChangePassword)
	if err != nil {
		e.logger.WarnContext(ctx, "post-change-password: bindings not read; the Actions did not run", "err", err)
		return
	}
	if c.empty() || ev.User == nil {
		return
	}
	method := ev.Method
	if method == "" {
		method = "POST"
	}
	lc := logContext{trigger: actions.TriggerPostChangePassword, userID: ev.User.UserID, userName: ev.User.Email,
		ip: ev.IP, userAgent: ev.UserAgent, hostname: ev.Hostname}
	event := actions.PostChangePasswordEvent{User: eventUser(ev.User), Connection: eventConnection(ev.Connection, ev.User),
		Request: actions.Request{IP: ev.IP, Method: method, UserAgent: ev.UserAgent, Hostname: ev.Hostname},
		Tenant:  actions.Tenant{ID: e.tenantID}}
	e.inBackground(ctx, c, lc, func(ctx context.Context) ([]actions.LogLine, error) {
		res, err := e.rt.RunPostChangePassword(ctx, c.bound, event)
		if res == nil {
			return nil, err
		}
		return res.Logs, err
	})
}

// inBackground runs a fire-and-forget trigger's chain on its own goroutine, detached from the
// request that caused it: a failed run (thrown error, timeout) is logged and tried again up to
// postRegistrationRetries times with a doubling delay, each attempt an execution of its own. At most
// maxPostRegistrationRuns run at once on a node; past that a run is dropped with a warning rather
// than queued without bound.
func (e *Executor) inBackground(ctx context.Context, c *chain, lc logContext, run func(ctx context.Context) ([]actions.LogLine, error)) {
	select {
	case e.background <- struct{}{}:
	default:
		e.logger.WarnContext(ctx, string(lc.trigger)+": too many runs in flight; this one is dropped", "user_id", lc.userID)
		return
	}
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		defer func() { <-e.background }()
		ctx := context.WithoutCancel(ctx) // the request has been answered
		if c.broken != nil {
			ctx, lc.exec = e.begin(ctx)
			e.record(ctx, lc, c, nil, nil, brokenFailure(c.broken))
			return
		}
		delay := postRegistrationDelay
		for attempt := 0; attempt <= postRegistrationRetries; attempt++ {
			if attempt > 0 {
				time.Sleep(delay)
				delay *= 2
			}
			actx, x := e.begin(ctx)
			lc.exec = x
			start := time.Now()
			logs, err := run(actx)
			e.observed(lc.trigger, start, err != nil)
			if err == nil {
				e.record(actx, lc, c, logs, nil, nil)
				return
			}
			f, ok := asFailure(err)
			if !ok {
				e.logger.ErrorContext(ctx, string(lc.trigger)+": runtime fault", "err", err)
				return
			}
			e.record(actx, lc, c, logs, nil, f)
		}
	}()
}

// PasswordResetPostChallenge runs the password-reset-post-challenge trigger once the user proved a
// reset link. api.access.deny ends the reset with the action's reason; a failed execution ends it
// with FailedReason (the details go to the tenant log), as a failed post-login ends a sign-in.
func (e *Executor) PasswordResetPostChallenge(ctx context.Context, ev trigger.PasswordResetPostChallenge) (trigger.ResetChallenge, error) {
	c, err := e.chainFor(ctx, actions.TriggerPasswordResetPostChallenge)
	if err != nil {
		return trigger.ResetChallenge{}, err
	}
	if c.empty() && len(ev.Resume) == 0 {
		// A resumed run goes on even so: the action that redirected is gone, which fails it.
		return trigger.ResetChallenge{}, nil
	}
	if ev.User == nil {
		return trigger.ResetChallenge{}, errors.New("actionexec: password-reset-post-challenge needs a user")
	}
	lc := logContext{trigger: actions.TriggerPasswordResetPostChallenge, userID: ev.User.UserID, userName: ev.User.Email,
		ip: ev.IP, userAgent: ev.UserAgent, hostname: ev.Hostname}
	ctx, lc.exec = e.begin(ctx)
	failed := trigger.ResetChallenge{Ran: true, ExecutionID: lc.exec.id,
		Denial: &trigger.Denial{Code: accessDenied, Reason: FailedReason}}
	if c.broken != nil {
		e.record(ctx, lc, c, nil, nil, brokenFailure(c.broken))
		return failed, nil
	}
	roles, err := e.userRoles(ctx, ev.User.UserID)
	if err != nil {
		return trigger.ResetChallenge{}, err
	}
	if ev.Method == "" {
		ev.Method = "GET"
	}
	proved := ev.ProvedAt
	if proved.IsZero() {
		proved = e.now()
	}
	event := actions.PasswordResetPostChallengeEvent{
		User:           eventUser(ev.User),
		Authentication: actions.Authentication{Methods: []actions.AuthenticationMethod{{Name: "email", Timestamp: proved.UnixMilli()}}},
		Authorization:  actions.Authorization{Roles: roles},
		Connection:     eventConnection(ev.Connection, ev.User),
		Request: actions.Request{IP: ev.IP, Method: ev.Method, UserAgent: ev.UserAgent, Hostname: ev.Hostname,
			Language: ev.Language, Query: anyValues(ev.Query), Body: anyValues(ev.Body)},
		Tenant: actions.Tenant{ID: e.tenantID},
	}
	if ev.Client != nil {
		event.Client = eventClient(ev.Client)
		lc.clientID, lc.clientName = ev.Client.ClientID, ev.Client.Name
	}
	opts := actions.ResetOptions{CanRedirect: ev.RedirectState != "", State: ev.RedirectState, ContinueState: ev.ContinueState}
	if len(ev.Resume) > 0 {
		opts.Resume = &actions.ResetResume{}
		if err := json.Unmarshal(ev.Resume, opts.Resume); err != nil {
			return trigger.ResetChallenge{}, fmt.Errorf("actionexec: password-reset-post-challenge resume: %w", err)
		}
	}
	start := time.Now()
	res, err := e.rt.RunPasswordResetPostChallengeWith(ctx, c.bound, event, opts)
	e.observed(actions.TriggerPasswordResetPostChallenge, start, err != nil)
	if err != nil {
		f, ok := asFailure(err)
		if !ok {
			return trigger.ResetChallenge{}, fmt.Errorf("actionexec: password-reset-post-challenge: %w", err)
		}
		var logs []actions.LogLine
		if res != nil {
			logs = res.Logs
		}
		e.record(ctx, lc, c, logs, nil, f)
		return failed, nil
	}
	e.record(ctx, lc, c, res.Logs, nil, nil)
	if r := res.Redirect; r != nil && res.Denied == nil {
		resume, err := json.Marshal(r.Resume)
		if err != nil {
			return trigger.ResetChallenge{}, fmt.Errorf("actionexec: password-reset-post-challenge redirect: %w", err)
		}
		return trigger.ResetChallenge{Ran: true, ExecutionID: lc.exec.id, Redirect: &trigger.Redirect{URL: r.URL, Resume: resume}}, nil
	}
	out := trigger.ResetChallenge{Ran: true, ExecutionID: lc.exec.id, MFA: res.Challenge}
	if d := res.Denied; d != nil {
		out.Denial = &trigger.Denial{Code: accessDenied, Reason: denyReason(d)}
	}
	return out, nil
}
