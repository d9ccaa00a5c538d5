package actionexec

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/authflow"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Run runs the post-login trigger for a browser sign-in (authflow.PostLogin). With no
// bound action it returns a zero output at the cost of a cache lookup.
//
// A deny returns Deny set (the reason, or DefaultDenyReason when the action gave none).
// A failed execution returns Deny = FailedReason and no metadata, and writes the details
// to the tenant log. An error is returned only when the store or the runtime itself fails;
// authflow answers server_error then.
func (e *Executor) Run(ctx context.Context, in authflow.PostLoginInput) (authflow.PostLoginOutput, error) {
	c, err := e.chainFor(ctx, actions.TriggerPostLogin)
	if err != nil {
		return authflow.PostLoginOutput{}, err
	}
	if c.empty() {
		return authflow.PostLoginOutput{}, nil
	}
	if in.User == nil || in.Client == nil {
		return authflow.PostLoginOutput{}, errors.New("actionexec: post-login needs a user and a client")
	}
	roles := in.Roles
	if roles == nil {
		if roles, err = e.userRoles(ctx, in.User.UserID); err != nil {
			return authflow.PostLoginOutput{}, err
		}
	}
	lc := logContext{
		trigger: actions.TriggerPostLogin, clientID: in.Client.ClientID, clientName: in.Client.Name,
		userID: in.User.UserID, userName: userName(in.User), ip: in.Request.IP, userAgent: in.Request.UserAgent,
		hostname: in.Request.Hostname, audience: in.Audience,
	}
	res, f, err := e.runPostLogin(ctx, c, e.loginEvent(in, roles), lc)
	if err != nil {
		return authflow.PostLoginOutput{}, err
	}
	if f != nil {
		return authflow.PostLoginOutput{Deny: FailedReason}, nil
	}
	out := authflow.PostLoginOutput{
		IDTokenClaims: nonEmpty(res.IDTokenClaims), AccessTokenClaims: nonEmpty(res.AccessTokenClaims),
		AddScopes: res.AddScopes, RemoveScopes: res.RemoveScopes,
		AppMetadata: nonEmpty(res.AppMetadata), UserMetadata: nonEmpty(res.UserMetadata),
	}
	if res.Denied != nil {
		out.Deny = denyReason(res.Denied)
	}
	return out, nil
}

// PostLoginRefresh runs the post-login trigger for a refresh-token exchange
// (grant.ActionRunner). The claims it returns replace those carried from the original
// sign-in. Metadata the actions queued is written here, merged into the stored user (a
// nil value deletes the key), even when the exchange is denied (spec §5.3).
// api.accessToken.addScope/removeScope have no effect on a refresh: the exchange cannot
// widen what the refresh token was granted (RFC 6749 §6).
func (e *Executor) PostLoginRefresh(ctx context.Context, ev grant.RefreshEvent) (grant.ActionResult, error) {
	c, err := e.chainFor(ctx, actions.TriggerPostLogin)
	if err != nil {
		return grant.ActionResult{}, err
	}
	if c.empty() {
		return grant.ActionResult{}, nil
	}
	if ev.User == nil || ev.Client == nil {
		return grant.ActionResult{}, errors.New("actionexec: refresh post-login needs a user and a client")
	}
	roles, err := e.userRoles(ctx, ev.User.UserID)
	if err != nil {
		return grant.ActionResult{}, err
	}
	in := refreshInput{user: ev.User, client: ev.Client, scopes: ev.Scopes, token: ev.RefreshToken, ip: ev.IP, userAgent: ev.UserAgent}
	if ev.API != nil {
		in.audience = ev.API.Identifier
	}
	lc := logContext{
		trigger: actions.TriggerPostLogin, clientID: ev.Client.ClientID, clientName: ev.Client.Name,
		userID: ev.User.UserID, userName: userName(ev.User), ip: ev.IP, userAgent: ev.UserAgent, audience: in.audience,
	}
	res, f, err := e.runPostLogin(ctx, c, e.refreshEvent(ctx, in, roles), lc)
	if err != nil {
		return grant.ActionResult{}, err
	}
	if f != nil {
		return grant.ActionResult{Deny: true, DenyCode: "access_denied", DenyReason: FailedReason}, nil
	}
	e.saveMetadata(ctx, ev.User.UserID, res.AppMetadata, res.UserMetadata)
	out := grant.ActionResult{IDTokenClaims: nonEmpty(res.IDTokenClaims), AccessTokenClaims: nonEmpty(res.AccessTokenClaims)}
	if res.Denied != nil {
		out.Deny, out.DenyCode, out.DenyReason = true, "access_denied", denyReason(res.Denied)
	}
	return out, nil
}

// refreshInput is what the refresh event is built from.
type refreshInput struct {
	user      *domain.User
	client    *domain.Client
	audience  string
	scopes    []string
	token     *domain.RefreshToken
	ip        string
	userAgent string
}

// runPostLogin runs the chain and records its log. A non-nil *failure means the flow
// must fail; err means the machinery did.
func (e *Executor) runPostLogin(ctx context.Context, c *chain, ev actions.PostLoginEvent, lc logContext) (*actions.PostLoginResult, *failure, error) {
	if c.broken != nil {
		f := brokenFailure(c.broken)
		e.record(ctx, lc, c, nil, nil, f)
		return nil, f, nil
	}
	res, err := e.rt.RunPostLogin(ctx, c.bound, ev)
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

// saveMetadata merges the queued metadata into the stored user in one transaction, so a
// concurrent profile change is not overwritten with the copy the exchange loaded. A failure
// is logged, as the browser sign-in does: the tokens do not depend on it.
func (e *Executor) saveMetadata(ctx context.Context, userID string, app, user map[string]any) {
	if len(app) == 0 && len(user) == 0 {
		return
	}
	err := e.store.WithTx(ctx, func(tx store.Store) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		u.AppMetadata = mergeMetadata(u.AppMetadata, app)
		u.UserMetadata = mergeMetadata(u.UserMetadata, user)
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		e.logger.ErrorContext(ctx, "metadata from post-login actions not saved", "user_id", userID, "err", err)
	}
}

// mergeMetadata applies Auth0's shallow merge: a key set to nil is deleted.
func mergeMetadata(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
	return dst
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
