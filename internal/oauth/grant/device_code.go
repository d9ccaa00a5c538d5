package grant

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// DeviceCode is the device authorization grant (RFC 8628 §3.4, §3.5): the device polls with its
// device code until the user has approved or refused it at /activate. The store decides each poll
// under the code's lock: too early is slow_down (and the interval grows), and of concurrent polls of
// an approved code exactly one receives the tokens.
type DeviceCode struct{ Deps *Deps }

// Type implements Grant.
func (DeviceCode) Type() string { return domain.GrantDeviceCode }

// LogTypes implements Grant (Auth0's device code exchange events).
func (DeviceCode) LogTypes() (string, string) {
	return audit.TypeDeviceCodeExchange, audit.TypeDeviceCodeExchangeFail
}

// Auth0's answers while a device polls (spec §1.11).
const (
	descDevicePending = "User has yet to authorize device code."
	descDeviceExpired = "The device code has expired."
	descDeviceDenied  = "The user has denied the device authorization request."
	descDeviceInvalid = "Invalid or expired device code."
)

// Exchange implements Grant.
func (g DeviceCode) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d, c := g.Deps, req.Client
	if !c.HasGrant(domain.GrantDeviceCode) || !c.IsFirstParty {
		return nil, protocol.UnauthorizedClient(domain.GrantDeviceCode)
	}
	if req.DeviceCode == "" {
		return nil, protocol.MissingParameter("device_code")
	}
	dc, err := d.Store.PollDeviceCode(ctx, domain.HashSecret(req.DeviceCode), c.ClientID, d.now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, protocol.InvalidGrant(descDeviceInvalid)
	case errors.Is(err, store.ErrExpired):
		return nil, protocol.NewError(http.StatusForbidden, "expired_token", descDeviceExpired)
	case errors.Is(err, store.ErrSlowDown):
		return nil, protocol.NewError(http.StatusTooManyRequests, "slow_down",
			fmt.Sprintf("You are polling faster than the specified interval of %d seconds.", dc.Interval))
	case err != nil:
		return nil, protocol.ServerError(err)
	}
	switch dc.Status {
	case domain.DevicePending:
		// Not an event worth a log line every five seconds per device.
		e := protocol.NewError(http.StatusForbidden, "authorization_pending", descDevicePending)
		e.Quiet = true
		return nil, e
	case domain.DeviceDenied:
		e := protocol.AccessDenied(descDeviceDenied)
		e.UserID = dc.UserID
		return nil, e
	}
	return g.issue(ctx, req, dc)
}

// issue signs the tokens of an approved device code, applying the scope rule again as the code
// exchange does (permissions may have changed since the approval) and keeping what Actions added.
func (g DeviceCode) issue(ctx context.Context, req *protocol.TokenRequest, dc *domain.DeviceCode) (*Response, error) {
	d, c := g.Deps, req.Client
	fail := func(e *protocol.Error) (*Response, error) {
		e.UserID = dc.UserID
		return nil, e
	}
	user, err := d.Store.GetUser(ctx, dc.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return fail(protocol.AccessDenied("user does not exist"))
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if user.Blocked {
		return fail(protocol.AccessDenied("user is blocked"))
	}
	api, err := d.audienceAPI(ctx, dc.Audience)
	if err != nil {
		return nil, err
	}
	granted := Fields(dc.GrantedScope)
	scopes, err := d.userScopes(ctx, d.Store, c.ClientID, user.UserID, nil, granted, api)
	if err != nil {
		return nil, err
	}
	keepActionScopes(&scopes, api, dc.RefreshClaims.ActionScopes, granted)
	refresh, err := d.newFamily(ctx, c, user.UserID, dc.SessionID, api, &scopes, dc.AuthTime, dc.RefreshClaims, req.DPoPJKT)
	if err != nil {
		return nil, err
	}
	res, err := d.issue(ctx, userTokens{
		client: c, user: user, api: api, scopes: scopes, idScope: scopes.Scope(),
		idToken: contains(scopes.Scopes, "openid"), sessionID: dc.SessionID, authTime: dc.AuthTime,
		idClaims: dc.RefreshClaims.IDTokenClaims, atClaims: dc.RefreshClaims.AccessTokenClaims, jkt: req.DPoPJKT,
	})
	if err != nil {
		return nil, err
	}
	res.RefreshToken = refresh
	return res, nil
}
