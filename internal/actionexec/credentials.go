package actionexec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// CredentialsExchange runs the credentials-exchange trigger before a client_credentials
// access token is issued (trigger.CredentialsExchangeRunner, spec §5.4).
// api.access.deny(code, reason) returns a Denial with that code (invalid_scope,
// invalid_request or server_error). A failed execution returns a Denial with server_error
// and FailedReason, the details going to the tenant log.
func (e *Executor) CredentialsExchange(ctx context.Context, ev trigger.CredentialsExchange) (trigger.Outcome, error) {
	c, err := e.chainFor(ctx, actions.TriggerCredentialsExchange)
	if err != nil {
		return trigger.Outcome{}, err
	}
	if c.empty() {
		return trigger.Outcome{}, nil
	}
	if ev.Client == nil {
		return trigger.Outcome{}, errors.New("actionexec: credentials-exchange needs a client")
	}
	lc := logContext{
		trigger: actions.TriggerCredentialsExchange, clientID: ev.Client.ClientID, clientName: ev.Client.Name,
		ip: ev.IP, userAgent: ev.UserAgent,
	}
	ctx, lc.exec = e.begin(ctx)
	failed := trigger.Outcome{Denial: &trigger.Denial{Code: "server_error", Reason: FailedReason}, ExecutionID: lc.exec.id}
	if c.broken != nil {
		e.record(ctx, lc, c, nil, nil, brokenFailure(c.broken))
		return failed, nil
	}
	event := actions.CredentialsExchangeEvent{
		Client:      eventClient(ev.Client),
		AccessToken: actions.AccessTokenInfo{Scope: ev.Scopes},
		Transaction: actions.CredentialsTransaction{RequestedScopes: ev.RequestedScopes},
		Request:     actions.Request{IP: ev.IP, Method: "POST", UserAgent: ev.UserAgent},
		Tenant:      actions.Tenant{ID: e.tenantID},
	}
	if ev.API != nil {
		event.ResourceServer.Identifier = ev.API.Identifier
		lc.audience = ev.API.Identifier
	}
	start := time.Now()
	res, err := e.rt.RunCredentialsExchange(ctx, c.bound, event)
	e.observed(actions.TriggerCredentialsExchange, start, err != nil)
	if err != nil {
		f, ok := asFailure(err)
		if !ok {
			return trigger.Outcome{}, fmt.Errorf("actionexec: credentials-exchange: %w", err)
		}
		if res != nil {
			e.record(ctx, lc, c, res.Logs, res.Dropped, f)
		} else {
			e.record(ctx, lc, c, nil, nil, f)
		}
		return failed, nil
	}
	e.record(ctx, lc, c, res.Logs, res.Dropped, nil)
	out := trigger.Outcome{AccessTokenClaims: nonEmpty(res.AccessTokenClaims), ExecutionID: lc.exec.id}
	if d := res.Denied; d != nil {
		out.Denial = &trigger.Denial{Code: d.Code, Reason: d.Reason}
	}
	return out, nil
}
