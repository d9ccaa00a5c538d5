package grant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// AuthorizationCode redeems a code issued by /authorize (RFC 6749 §4.1.3, OpenID Connect Core
// §3.1.3, PKCE RFC 7636 §4.6).
type AuthorizationCode struct{ Deps *Deps }

// Type implements Grant.
func (AuthorizationCode) Type() string { return domain.GrantAuthorizationCode }

// LogTypes implements Grant.
func (AuthorizationCode) LogTypes() (string, string) {
	return audit.TypeCodeExchange, audit.TypeCodeExchangeFailed
}

// Exchange implements Grant.
func (g AuthorizationCode) Exchange(ctx context.Context, req *protocol.TokenRequest) (*Response, error) {
	d := g.Deps
	c := req.Client
	if !c.HasGrant(domain.GrantAuthorizationCode) {
		return nil, protocol.UnauthorizedClient(domain.GrantAuthorizationCode)
	}
	if req.Code == "" {
		return nil, protocol.MissingParameter("code")
	}
	now := d.now()
	codeHash := domain.HashSecret(req.Code)
	// One transaction redeems the code, checks it and stores the refresh token family: one durable
	// commit per exchange, and a replay (which waits for this transaction) always finds the family it
	// must revoke. A failed check still commits, so the code is spent (spec §1.3).
	var (
		x    *codeExchange
		gerr *protocol.Error
	)
	err := d.Store.WithTx(ctx, func(tx store.Store) error {
		x, gerr = nil, nil
		var err error
		x, gerr, err = g.redeem(ctx, tx, req, codeHash, now)
		return err
	})
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if gerr != nil {
		return nil, gerr
	}
	res, err := d.issue(ctx, x.tokens)
	if err != nil {
		return nil, err
	}
	res.RefreshToken = x.refresh
	return res, nil
}

// codeExchange is what a redemption decided, to be signed after the transaction commits.
type codeExchange struct {
	tokens  userTokens
	refresh string
}

// redeem runs inside the exchange's transaction. A returned *protocol.Error is the answer; a returned error
// aborts the transaction.
func (g AuthorizationCode) redeem(ctx context.Context, tx store.Store, req *protocol.TokenRequest, codeHash []byte, now time.Time) (*codeExchange, *protocol.Error, error) {
	d, c := g.Deps, req.Client
	code, err := tx.RedeemAuthorizationCode(ctx, codeHash, now)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		// RFC 6749 §4.1.2, RFC 9700 §4.5: a code used twice may have been stolen; revoke what its
		// first redemption issued — its refresh token family and its access token, both named by
		// the grant id recorded on the code — but only when the code's own client presents it (a
		// confidential one authenticated, a public one with the right PKCE verifier), so that
		// whoever merely learned a spent code cannot sign its owner out by replaying it under
		// another client. The access token is listed until it would have expired anyway; /userinfo
		// refuses it (an API verifying JWTs itself cannot be told, as with any JWT).
		if code == nil || code.ClientID != c.ClientID {
			return nil, protocol.InvalidGrant(protocol.DescInvalidCode), nil
		}
		e := protocol.InvalidGrant(protocol.DescInvalidCode)
		e.UserID = code.UserID
		if code.IssuedFamilyID != "" && (c.IsConfidential() || protocol.CheckVerifier(c, code.CodeChallenge, code.CodeChallengeMethod, req.CodeVerifier) == nil) {
			if err := tx.RevokeRefreshFamily(ctx, code.IssuedFamilyID, now); err != nil {
				return nil, nil, err
			}
			if err := tx.RevokeAccessToken(ctx, code.IssuedFamilyID, now.Add(domain.MaxAccessTokenLifetime)); err != nil {
				return nil, nil, err
			}
		}
		return nil, e, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, protocol.InvalidGrant(protocol.DescInvalidCode), nil
	case err != nil:
		return nil, nil, err
	}
	if code.ClientID != c.ClientID {
		// Another client's code: refused, and spent, since it has leaked.
		return nil, protocol.InvalidGrant(protocol.DescInvalidCode), nil
	}
	fail := func(e *protocol.Error) (*codeExchange, *protocol.Error, error) {
		e.UserID = code.UserID
		return nil, e, nil
	}
	if code.RedirectURI != "" && req.RedirectURI != code.RedirectURI {
		// RFC 6749 §4.1.3: identical to the /authorize value. Auth0's wording (spec §1.3).
		return fail(protocol.InvalidGrant(fmt.Sprintf("The redirect URI is wrong. You send %s, and we expected %s", clip(req.RedirectURI), code.RedirectURI)))
	}
	if code.DPoPJKT != "" && req.DPoPJKT != code.DPoPJKT {
		// RFC 9449 §10: the code was bound to a key at /authorize or /oauth/par.
		return fail(protocol.InvalidGrant("The authorization code is bound to a DPoP key; send a DPoP proof by that key"))
	}
	if e := protocol.CheckVerifier(c, code.CodeChallenge, code.CodeChallengeMethod, req.CodeVerifier); e != nil {
		return fail(e)
	}
	user, err := tx.GetUser(ctx, code.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return fail(protocol.InvalidGrant(protocol.DescInvalidCode))
	}
	if err != nil {
		return nil, nil, err
	}
	if user.Blocked {
		return fail(protocol.InvalidGrant("user is blocked"))
	}
	api, aerr := d.audienceAPI(ctx, code.Audience)
	if aerr != nil {
		if e, ok := aerr.(*protocol.Error); ok && e.Cause == nil {
			return fail(e)
		}
		return nil, nil, aerr
	}
	if e, err := stillMember(ctx, tx, code.Organization, user); e != nil || err != nil {
		if e != nil {
			return fail(e)
		}
		return nil, nil, err
	}
	scopes, err := d.userScopes(ctx, tx, c.ClientID, user.UserID, code.Organization, Fields(code.Scope), api)
	if err != nil {
		return nil, nil, err
	}
	// RBAC is applied again (permissions may have changed since /authorize), but what post-login
	// Actions added stays: Actions override RBAC (spec §2.3).
	keepActionScopes(&scopes, api, code.ActionScopes, Fields(code.Scope))
	// The grant id names what this redemption issues, for a replay to revoke: the access token's
	// jti and, when one is issued, the refresh token family.
	grantID := domain.RandomToken(16)
	if err := tx.SetCodeIssuedFamily(ctx, codeHash, grantID); err != nil {
		return nil, nil, err
	}
	x := &codeExchange{tokens: userTokens{
		client: c, user: user, api: api, scopes: scopes, idScope: scopes.Scope(),
		idToken: contains(scopes.Scopes, "openid"), nonce: code.Nonce, sessionID: code.SessionID,
		authTime: code.AuthTime, includeAuthTime: code.IncludeAuthTime, amr: code.AMR,
		idClaims: code.IDTokenClaims, atClaims: code.AccessTokenClaims, tokenID: grantID, jkt: req.DPoPJKT,
		org: code.Organization,
	}}
	// A refresh token needs offline_access, the client's refresh_token grant and, for an API, its
	// allow_offline_access (spec §1.3).
	if !contains(scopes.Scopes, "offline_access") || !c.HasGrant(domain.GrantRefreshToken) || (api != nil && !api.AllowOfflineAccess) {
		// No refresh token: the granted scope must not claim one (RFC 6749 §3.3, §5.1).
		x.tokens.scopes.Scopes = slices.DeleteFunc(x.tokens.scopes.Scopes, func(s string) bool { return s == "offline_access" })
		x.tokens.idScope = x.tokens.scopes.Scope()
		return x, nil, nil
	}
	family := grantID
	secret, hash := newRefreshSecret()
	abs, idle := refreshExpiry(c, now)
	rt := &domain.RefreshToken{
		TokenHash: hash, FamilyID: family, Generation: 1, ClientID: c.ClientID, UserID: user.UserID,
		SessionID: code.SessionID, Scope: scopes.Scope(), Rotating: c.RefreshToken.RotationType == domain.RotationRotating,
		AuthTime: code.AuthTime, Claims: code.RefreshContext(), CreatedAt: now, ExpiresAt: abs, IdleExpiresAt: idle,
		DPoPJKT: domain.RefreshBinding(c, req.DPoPJKT),
	}
	if api != nil {
		rt.Audience = api.Identifier
	}
	if err := tx.CreateRefreshToken(ctx, rt); err != nil {
		return nil, nil, err
	}
	x.refresh = secret
	return x, nil, nil
}

// clip bounds an echoed request value.
func clip(s string) string {
	if len(s) > 512 {
		return s[:512]
	}
	return s
}
