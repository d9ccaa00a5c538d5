package grant

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// keepActionScopes re-adds, to a RBAC-filtered result, the Action-added scopes that are still
// requested and that an Action may add (protocol.ActionMayAdd).
func keepActionScopes(scopes *protocol.ScopeResult, api *domain.ResourceServer, added, requested []string) {
	for _, s := range added {
		if !protocol.ActionMayAdd(api, s) {
			continue
		}
		if contains(requested, s) && !contains(scopes.Scopes, s) {
			scopes.Scopes = append(scopes.Scopes, s)
		}
	}
}

// userTokens is what a user grant (code, refresh) issues.
type userTokens struct {
	client          *domain.Client
	user            *domain.User
	api             *domain.ResourceServer
	scopes          protocol.ScopeResult
	idScope         string // scope whose profile/email claims the ID token carries
	idToken         bool
	nonce           string
	sessionID       string
	authTime        time.Time
	includeAuthTime bool
	gty             string
	tokenID         string // the access token's jti, when a revocation may need to name it
	idClaims        map[string]any
	atClaims        map[string]any
}

// issue signs the access token and, when asked, the ID token: the two signatures of a user exchange.
func (d *Deps) issue(ctx context.Context, u userTokens) (*Response, error) {
	scope := u.scopes.Scope()
	at, err := d.Tokens.AccessToken(ctx, token.AccessTokenParams{
		Subject:     u.user.UserID,
		ClientID:    u.client.ClientID,
		API:         u.api,
		Scope:       scope,
		OpenID:      contains(u.scopes.Scopes, "openid"),
		GrantType:   u.gty,
		Permissions: u.scopes.Permissions,
		SessionID:   u.sessionID,
		ID:          u.tokenID,
		Custom:      u.atClaims,
	})
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	res := &Response{AccessToken: at.Token, ExpiresIn: at.ExpiresIn, Scope: scope, UserID: u.user.UserID}
	if u.api != nil {
		res.Audience = u.api.Identifier
	}
	if u.idToken {
		res.IDToken, err = d.Tokens.IDToken(ctx, token.IDTokenParams{
			Client: u.client, User: u.user, Scope: u.idScope, Nonce: u.nonce, SessionID: u.sessionID,
			AuthTime: u.authTime, IncludeAuthTime: u.includeAuthTime, Custom: u.idClaims,
		})
		if err != nil {
			return nil, protocol.ServerError(err)
		}
	}
	return res, nil
}

// userScopes applies protocol.ResolveScopes for a user of client: the user's permissions are read only under
// RBAC, and the client's grant on the API, where one exists, bounds the result.
func (d *Deps) userScopes(ctx context.Context, st store.UserStore, clientID, userID string, requested []string, api *domain.ResourceServer) (protocol.ScopeResult, error) {
	in := protocol.ScopeInput{Requested: requested, API: api}
	if api == nil {
		return protocol.ResolveScopes(in), nil
	}
	if protocol.NeedsHeld(api) {
		var err error
		if in.Held, err = st.UserPermissionNames(ctx, userID, api.Identifier); err != nil {
			return protocol.ScopeResult{}, protocol.ServerError(err)
		}
	}
	cg, err := d.Config.ClientGrant(ctx, clientID, api.Identifier)
	switch {
	case err == nil:
		in.ClientGrant = cg
	case !errors.Is(err, store.ErrNotFound):
		return protocol.ScopeResult{}, protocol.ServerError(err)
	}
	return protocol.ResolveScopes(in), nil
}

// refreshExpiry returns the absolute and idle expiry of a new refresh token family under the client's
// policy (spec §2.4, §2.6): nil means none.
func refreshExpiry(c *domain.Client, now time.Time) (abs, idle *time.Time) {
	rt := c.RefreshToken
	if rt.ExpirationType == domain.ExpirationNonExpiring {
		return nil, nil
	}
	if !rt.InfiniteTokenLifetime && rt.TokenLifetime > 0 {
		t := now.Add(time.Duration(rt.TokenLifetime) * time.Second)
		abs = &t
	}
	return abs, idleExpiry(c, now)
}

func idleExpiry(c *domain.Client, now time.Time) *time.Time {
	rt := c.RefreshToken
	if rt.ExpirationType == domain.ExpirationNonExpiring || rt.InfiniteIdleTokenLifetime || rt.IdleTokenLifetime <= 0 {
		return nil
	}
	t := now.Add(time.Duration(rt.IdleTokenLifetime) * time.Second)
	return &t
}

// newRefreshSecret returns a refresh token (256 bits) and its stored hash.
func newRefreshSecret() (string, []byte) {
	s := domain.RandomToken(32)
	return s, domain.HashSecret(s)
}
