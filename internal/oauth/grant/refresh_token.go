package grant

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// RefreshToken exchanges a refresh token (RFC 6749 §6) with Auth0's rotation and reuse detection
// (spec §2.6): a rotating token is exchanged once for a new one of the same family; presenting it
// again outside the leeway revokes the family.
type RefreshToken struct{ Deps *Deps }

// Type implements Grant.
func (RefreshToken) Type() string { return domain.GrantRefreshToken }

// LogTypes implements Grant.
func (RefreshToken) LogTypes() (string, string) { return audit.TypeRefresh, audit.TypeRefreshFailed }

// Exchange implements Grant.
func (g RefreshToken) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d := g.Deps
	c := req.Client
	if !c.HasGrant(domain.GrantRefreshToken) {
		return nil, protocol.UnauthorizedClient(domain.GrantRefreshToken)
	}
	if req.RefreshToken == "" {
		return nil, protocol.MissingParameter("refresh_token")
	}
	now := d.now()
	hash := domain.HashSecret(req.RefreshToken)
	old, err := d.Store.GetRefreshToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.InvalidGrant(protocol.DescInvalidRefreshToken)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	// Another client's token is unknown to this one, and presenting it does not count as reuse.
	if old.ClientID != c.ClientID {
		return nil, protocol.InvalidGrant(protocol.DescInvalidRefreshToken)
	}
	fail := func(desc string) *protocol.Error {
		e := protocol.InvalidGrant(desc)
		e.UserID = old.UserID
		return e
	}
	// A rotated token goes on to the store even when revoked: presenting it again is a reuse (a
	// token a retry superseded, a loser of a race), which the store decides and the log records.
	if (old.RevokedAt != nil && old.RotatedAt == nil) || old.Expired(now) {
		return nil, fail(protocol.DescInvalidRefreshToken)
	}
	user, err := d.Store.GetUser(ctx, old.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail(protocol.DescInvalidRefreshToken)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if user.Blocked {
		return nil, fail("user is blocked")
	}
	// RFC 9449 §5: a bound family is exchanged only with a proof by its own key.
	if old.DPoPJKT != "" && req.DPoPJKT != old.DPoPJKT {
		if req.DPoPJKT == "" {
			return nil, fail("The refresh token is bound to a DPoP key; send a DPoP proof")
		}
		return nil, fail("The DPoP proof is not by the key the refresh token is bound to")
	}

	// The optional scope narrows, never widens (RFC 6749 §6).
	requested := Fields(old.Scope)
	if req.ScopeSent && strings.TrimSpace(req.Scope) != "" {
		requested = Fields(req.Scope)
		var extra []string
		for _, s := range requested {
			if !contains(Fields(old.Scope), s) {
				extra = append(extra, s)
			}
		}
		if len(extra) > 0 {
			e := fail("Requested scopes were not granted: " + strings.Join(extra, " "))
			e.Status, e.Code = http.StatusBadRequest, "invalid_scope"
			return nil, e
		}
	}
	var api *domain.ResourceServer
	if old.Audience != "" {
		if api, err = d.audienceAPI(ctx, old.Audience); err != nil {
			return nil, err
		}
	}
	// A family started through an organization lives as long as the membership does.
	if e, err := stillMember(ctx, d.Store, old.Claims.Organization, user); e != nil || err != nil {
		if e != nil {
			return nil, fail(e.Description)
		}
		return nil, protocol.ServerError(err)
	}
	scopes, err := d.userScopes(ctx, d.Store, c.ClientID, user.UserID, old.Claims.Organization, requested, api)
	if err != nil {
		return nil, err
	}
	keepActionScopes(&scopes, api, old.Claims.ActionScopes, requested)

	// The claims of the sign-in are carried on, unless post-login Actions run again and decide anew.
	tk := trigger.Tokens{Scopes: scopes.Scopes, IDTokenClaims: old.Claims.IDTokenClaims,
		AccessTokenClaims: old.Claims.AccessTokenClaims, ScopesFixed: true}
	ev := trigger.PostLogin{
		Source: trigger.Refresh, Client: c, User: user, RequestedScopes: scopes.Scopes, RefreshToken: old,
		Request: trigger.Request{IP: req.IP, UserAgent: req.UserAgent},
	}
	if err := orgEvent(ctx, d.Store, old.Claims.Organization, user, &ev); err != nil {
		return nil, protocol.ServerError(err)
	}
	if e := d.postLogin(ctx, ev, api, &tk); e != nil {
		return nil, e
	}

	// Rotate before signing anything: the store picks exactly one winner among concurrent exchanges.
	var newSecret string
	if old.Rotating {
		secret, newHash := newRefreshSecret()
		next := &domain.RefreshToken{
			TokenHash: newHash, FamilyID: old.FamilyID, Generation: old.Generation + 1, ClientID: old.ClientID,
			UserID: old.UserID, SessionID: old.SessionID, Audience: old.Audience, Scope: old.Scope, Rotating: true,
			AuthTime: old.AuthTime, Claims: old.Claims, CreatedAt: now, DPoPJKT: old.DPoPJKT,
			// The absolute lifetime is fixed when the family starts; only the idle one restarts.
			ExpiresAt: old.ExpiresAt, IdleExpiresAt: idleExpiry(c, now),
		}
		leeway := time.Duration(c.RefreshToken.Leeway) * time.Second
		// The store reads the clock once it holds the token: now was read before the Action ran,
		// and another request may have rotated the token since.
		if _, err := d.Store.RotateRefreshToken(ctx, hash, next, d.now, leeway); err != nil {
			switch {
			case errors.Is(err, store.ErrRefreshReused):
				e := fail(protocol.DescInvalidRefreshToken)
				e.LogType = audit.TypeRefreshReuse
				return nil, e
			case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRefreshInvalid):
				return nil, fail(protocol.DescInvalidRefreshToken)
			}
			return nil, protocol.ServerError(err)
		}
		newSecret = secret
	} else if err := d.Store.TouchRefreshToken(ctx, hash, idleExpiry(c, now)); err != nil {
		return nil, protocol.ServerError(err)
	}

	res, err := d.issue(ctx, userTokens{
		client: c, user: user, api: api, scopes: scopes, idScope: old.Scope,
		idToken: HasOpenID(old.Scope), sessionID: old.SessionID, authTime: old.AuthTime, includeAuthTime: old.Claims.IncludeAuthTime,
		amr: old.Claims.AMR,
		gty: token.GTYRefreshToken, idClaims: tk.IDTokenClaims, atClaims: tk.AccessTokenClaims, jkt: req.DPoPJKT, executions: tk.Executions,
		org: old.Claims.Organization,
	})
	if err != nil {
		return nil, err
	}
	// A non-rotating token stays valid and is not repeated in the response (spec §1.3).
	res.RefreshToken = newSecret
	return res, nil
}

// HasOpenID reports whether a scope string grants openid.
func HasOpenID(scope string) bool { return token.HasScope(scope, "openid") }
