package actionexec

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
)

// CredentialsExchange runs the credentials-exchange trigger before a client_credentials
// access token is issued (grant.ActionRunner, spec §5.4). api.access.deny(code, reason)
// returns Deny with DenyCode invalid_scope, invalid_request or server_error. A failed
// execution returns Deny with server_error and FailedReason, the details going to the
// tenant log.
func (e *Executor) CredentialsExchange(ctx context.Context, ev grant.CredentialsExchangeEvent) (grant.ActionResult, error) {
	c, err := e.chainFor(ctx, actions.TriggerCredentialsExchange)
	if err != nil {
		return grant.ActionResult{}, err
	}
	if c.empty() {
		return grant.ActionResult{}, nil
	}
	if ev.Client == nil {
		return grant.ActionResult{}, errors.New("actionexec: credentials-exchange needs a client")
	}
	lc := logContext{
		trigger: actions.TriggerCredentialsExchange, clientID: ev.Client.ClientID, clientName: ev.Client.Name,
		ip: ev.IP, userAgent: ev.UserAgent,
	}
	failed := grant.ActionResult{Deny: true, DenyCode: "server_error", DenyReason: FailedReason}
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
	res, err := e.rt.RunCredentialsExchange(ctx, c.bound, event)
	if err != nil {
		f, ok := asFailure(err)
		if !ok {
			return grant.ActionResult{}, fmt.Errorf("actionexec: credentials-exchange: %w", err)
		}
		if res != nil {
			e.record(ctx, lc, c, res.Logs, res.Dropped, f)
		} else {
			e.record(ctx, lc, c, nil, nil, f)
		}
		return failed, nil
	}
	e.record(ctx, lc, c, res.Logs, res.Dropped, nil)
	out := grant.ActionResult{AccessTokenClaims: nonEmpty(res.AccessTokenClaims)}
	if d := res.Denied; d != nil {
		out.Deny, out.DenyCode, out.DenyReason = true, d.Code, d.Reason
	}
	return out, nil
}
