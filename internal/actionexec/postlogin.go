package actionexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// PostLogin runs the post-login trigger (trigger.PostLoginRunner) for a browser sign-in, a
// refresh-token exchange or a password exchange (ev.Source). With no bound action it returns a zero Outcome at
// the cost of a cache lookup.
//
// A deny returns a Denial with access_denied and the reason, or DefaultDenyReason when the
// action gave none; the metadata the actions queued comes back with it, for the caller to
// save (spec §5.3). A failed execution returns a Denial with FailedReason and nothing else,
// and writes the details to the tenant log. An error is returned only when the store or the
// runtime itself fails; the caller answers server_error then.
func (e *Executor) PostLogin(ctx context.Context, ev trigger.PostLogin) (trigger.Outcome, error) {
	c, err := e.chainFor(ctx, actions.TriggerPostLogin)
	if err != nil {
		return trigger.Outcome{}, err
	}
	if c.empty() && len(ev.Resume) == 0 {
		// A resumed run goes on even so: the action that redirected is gone, which fails it.
		return trigger.Outcome{}, nil
	}
	if ev.User == nil || ev.Client == nil {
		return trigger.Outcome{}, errors.New("actionexec: post-login needs a user and a client")
	}
	roles := ev.Roles
	if roles == nil {
		if roles, err = e.userRoles(ctx, ev.User.UserID); err != nil {
			return trigger.Outcome{}, err
		}
	}
	lc := logContext{
		trigger: actions.TriggerPostLogin, clientID: ev.Client.ClientID, clientName: ev.Client.Name,
		userID: ev.User.UserID, userName: userName(ev.User), ip: ev.Request.IP, userAgent: ev.Request.UserAgent,
		hostname: ev.Request.Hostname, audience: ev.Audience,
	}
	ctx, lc.exec = e.begin(ctx)
	var event actions.PostLoginEvent
	if ev.Source == trigger.Refresh || ev.Source == trigger.Password {
		event = e.refreshEvent(ctx, ev, roles)
	} else {
		event = e.loginEvent(ctx, ev, roles)
	}
	opts, err := redirectOptions(ev)
	if err != nil {
		return trigger.Outcome{}, err
	}
	res, f, err := e.runPostLogin(ctx, c, event, lc, opts)
	if err != nil {
		return trigger.Outcome{}, err
	}
	if f != nil {
		return trigger.Outcome{Denial: &trigger.Denial{Code: accessDenied, Reason: FailedReason}, ExecutionID: lc.exec.id}, nil
	}
	if r := res.Redirect; r != nil {
		resume, err := json.Marshal(r.Resume)
		if err != nil {
			return trigger.Outcome{}, fmt.Errorf("actionexec: post-login redirect: %w", err)
		}
		return trigger.Outcome{Redirect: &trigger.Redirect{URL: r.URL, Resume: resume}, ExecutionID: lc.exec.id}, nil
	}
	out := trigger.Outcome{ExecutionID: lc.exec.id,
		IDTokenClaims: nonEmpty(res.IDTokenClaims), AccessTokenClaims: nonEmpty(res.AccessTokenClaims),
		AddScopes: res.AddScopes, RemoveScopes: res.RemoveScopes,
		AppMetadata: nonEmpty(res.AppMetadata), UserMetadata: nonEmpty(res.UserMetadata),
	}
	if m := res.Multifactor; m != nil {
		out.MFA = &trigger.MFARequirement{Provider: m.Provider, AllowRememberBrowser: m.AllowRememberBrowser,
			Challenge: m.Challenge, Enroll: m.Enroll}
	}
	if res.Denied != nil {
		out.Denial = &trigger.Denial{Code: accessDenied, Reason: denyReason(res.Denied)}
	}
	return out, nil
}

// redirectOptions are the runtime's redirect options for ev: only an interactive browser sign-in
// may redirect, and only a sign-in may resume.
func redirectOptions(ev trigger.PostLogin) (actions.PostLoginOptions, error) {
	if ev.Source != trigger.SignIn {
		return actions.PostLoginOptions{}, nil
	}
	o := actions.PostLoginOptions{CanRedirect: ev.Interactive && ev.RedirectState != "", State: ev.RedirectState, ContinueState: ev.ContinueState}
	if len(ev.Resume) > 0 {
		o.Resume = &actions.PostLoginResume{}
		if err := json.Unmarshal(ev.Resume, o.Resume); err != nil {
			return o, fmt.Errorf("actionexec: post-login resume: %w", err)
		}
	}
	return o, nil
}

// accessDenied is the OAuth error of every post-login denial (spec §5.3).
const accessDenied = "access_denied"

// runPostLogin runs the chain and records its log. A non-nil *failure means the flow
// must fail; err means the machinery did.
func (e *Executor) runPostLogin(ctx context.Context, c *chain, ev actions.PostLoginEvent, lc logContext, opts actions.PostLoginOptions) (*actions.PostLoginResult, *failure, error) {
	if c.broken != nil {
		f := brokenFailure(c.broken)
		e.record(ctx, lc, c, nil, nil, f)
		return nil, f, nil
	}
	start := time.Now()
	res, err := e.rt.RunPostLoginWith(ctx, c.bound, ev, opts)
	e.observed(actions.TriggerPostLogin, start, err != nil)
	if err != nil {
		f, ok := asFailure(err)
		if !ok {
			return nil, nil, fmt.Errorf("actionexec: post-login: %w", err)
		}
		var logs []actions.LogLine
		var dropped []actions.DroppedClaim
		if res != nil {
			logs, dropped = res.Logs, res.Dropped
		}
		e.record(ctx, lc, c, logs, dropped, f)
		return nil, f, nil
	}
	e.record(ctx, lc, c, res.Logs, res.Dropped, nil)
	return res, nil, nil
}

func denyReason(d *actions.Denial) string {
	if d.Reason == "" {
		return DefaultDenyReason
	}
	return d.Reason
}

func userName(u *domain.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.Name
}

func nonEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}
