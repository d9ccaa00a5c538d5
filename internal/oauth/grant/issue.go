package grant

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
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
	jkt             string // the DPoP key the access token is bound to
	idClaims        map[string]any
	atClaims        map[string]any
	org             *domain.OrgClaims // the organization signed in through, if any
	amr             []string          // the sign-in's methods when it passed a second factor
	executions      []string          // the Actions executions of the exchange
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
		JKT:         u.jkt,
		Org:         u.org,
	})
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	res := &Response{AccessToken: at.Token, ExpiresIn: at.ExpiresIn, Scope: scope, UserID: u.user.UserID, ActionExecutions: u.executions}
	if u.api != nil {
		res.Audience = u.api.Identifier
	}
	if u.idToken {
		res.IDToken, err = d.Tokens.IDToken(ctx, token.IDTokenParams{
			Client: u.client, User: u.user, Scope: u.idScope, Nonce: u.nonce, SessionID: u.sessionID,
			AuthTime: u.authTime, IncludeAuthTime: u.includeAuthTime, Custom: u.idClaims, Org: u.org, AMR: u.amr,
		})
		if err != nil {
			return nil, protocol.ServerError(err)
		}
	}
	return res, nil
}

// userScopes applies protocol.ResolveScopes for a user of client: the user's permissions are read only under
// RBAC, and the client's grant on the API, where one exists, bounds the result. In an organization
// sign-in the permissions are those of the member's roles in that organization only (Auth0's
// organization RBAC): the user's tenant-wide roles do not apply.
func (d *Deps) userScopes(ctx context.Context, st store.Store, clientID, userID string, org *domain.OrgClaims, requested []string, api *domain.ResourceServer) (protocol.ScopeResult, error) {
	in := protocol.ScopeInput{Requested: requested, API: api}
	if api == nil {
		return protocol.ResolveScopes(in), nil
	}
	if protocol.NeedsHeld(api) {
		var err error
		if org != nil {
			in.Held, err = st.OrganizationMemberPermissionNames(ctx, org.ID, userID, api.Identifier)
		} else {
			in.Held, err = st.UserPermissionNames(ctx, userID, api.Identifier)
		}
		if err != nil {
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

// postLogin runs the post-login Actions of a token-endpoint sign-in (password, refresh) and applies
// their outcome to tk (trigger.Apply): metadata saved, claims and scope changes kept. A denial is
// the token endpoint's error for the user; a metadata save that fails is logged and does not fail
// the exchange. Without Actions it does nothing.
func (d *Deps) postLogin(ctx context.Context, ev trigger.PostLogin, api *domain.ResourceServer, tk *trigger.Tokens) *protocol.Error {
	if d.Actions == nil {
		return nil
	}
	if api != nil {
		ev.Audience = api.Identifier
	}
	out, err := d.Actions.PostLogin(ctx, ev)
	if err != nil {
		return protocol.ServerError(err)
	}
	deny, saveErr := trigger.Apply(ctx, d.Store, ev.User.UserID, out, tk)
	if saveErr != nil {
		d.logger().ErrorContext(ctx, "metadata from post-login actions not saved", "err", saveErr)
	}
	if deny != nil {
		e := denial(deny)
		e.UserID = ev.User.UserID
		return e
	}
	return nil
}

// newFamily starts a refresh token family for a sign-in at the token endpoint (password, device
// code) when one may be issued: offline_access granted, the client's refresh_token grant, and for an
// API its allow_offline_access (spec §1.3). Otherwise it drops offline_access from scopes, since the
// granted scope must not claim a refresh token (RFC 6749 §3.3, §5.1), and returns "".
func (d *Deps) newFamily(ctx context.Context, c *domain.Client, userID, sessionID string, api *domain.ResourceServer,
	scopes *protocol.ScopeResult, authTime time.Time, rc domain.RefreshContext, jkt string) (string, error) {
	if !contains(scopes.Scopes, "offline_access") || !c.HasGrant(domain.GrantRefreshToken) || (api != nil && !api.AllowOfflineAccess) {
		scopes.Scopes = slices.DeleteFunc(scopes.Scopes, func(s string) bool { return s == "offline_access" })
		return "", nil
	}
	now := d.now().UTC()
	secret, hash := newRefreshSecret()
	abs, idle := refreshExpiry(c, now)
	rt := &domain.RefreshToken{
		TokenHash: hash, FamilyID: domain.RandomToken(16), Generation: 1, ClientID: c.ClientID, UserID: userID,
		SessionID: sessionID, Scope: scopes.Scope(), Rotating: c.RefreshToken.RotationType == domain.RotationRotating,
		AuthTime: authTime, Claims: rc, CreatedAt: now, ExpiresAt: abs, IdleExpiresAt: idle,
		DPoPJKT: domain.RefreshBinding(c, jkt),
	}
	if api != nil {
		rt.Audience = api.Identifier
	}
	if err := d.Store.CreateRefreshToken(ctx, rt); err != nil {
		return "", protocol.ServerError(err)
	}
	return secret, nil
}
