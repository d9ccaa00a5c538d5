package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Account linking (Auth0's "Link User Accounts"): POST /users/{id}/identities makes another
// account a secondary identity of the primary user {id}, and DELETE
// /users/{id}/identities/{provider}/{user_id} makes it an account of its own again. The primary
// keeps its user id (the `sub` of its tokens), profile and metadata; the secondary account is
// deleted, its profile kept as the identity's profileData and its upstream tokens (or, for a
// database account, its password) with the identity, and a sign-in through it signs in as the
// primary from then on.

// IDTokenVerifier checks a link_with token: an ID token this tenant issued (signature, issuer,
// expiry), returning its subject and its audience (the client it was issued to).
type IDTokenVerifier interface {
	VerifyIDToken(ctx context.Context, raw string) (subject, audience string, err error)
}

// IdPTokenOpener opens the upstream tokens kept sealed with an identity (provider|id).
type IdPTokenOpener interface {
	Open(identity string, sealed []byte) (domain.IdPTokens, error)
}

// scopeIdPTokens lets a Management API token see the providers' tokens in identities[].
const scopeIdPTokens = "read:user_idp_tokens"

func (g *users) identityRoutes() []route {
	write := []string{"update:users"}
	self := []string{"update:current_user_identities"}
	return []route{
		{method: "POST", path: "/users/{id}/identities", scopes: write, selfScopes: self, desc: "Link a User Account", fn: g.link},
		{method: "DELETE", path: "/users/{id}/identities/{provider}/{user_id}", scopes: write, selfScopes: self, desc: "Unlink a User Account", fn: g.unlink},
	}
}

// view is the user as the Management API shows it: identities[] holds the linked accounts, and the
// providers' tokens when the caller's token has read:user_idp_tokens.
func (g *users) view(c *call, u *domain.User) (userView, error) {
	idents, err := g.st.ListUserIdentities(c.ctx(), u.UserID)
	if err != nil {
		return userView{}, err
	}
	v := viewUser(u)
	v.Identities = u.WithLinked(idents)
	if g.idpTokens == nil || !hasAnyScope(c.who.scopes, []string{scopeIdPTokens}) {
		return v, nil
	}
	for i := range v.Identities {
		id := &v.Identities[i]
		for _, row := range idents {
			if row.Provider != id.Provider || row.IdentityID != id.UserID || len(row.TokensSealed) == 0 {
				continue
			}
			t, err := g.idpTokens.Open(row.FullID(), row.TokensSealed)
			if err != nil {
				return userView{}, err
			}
			id.AccessToken, id.RefreshToken, id.ExpiresIn = t.AccessToken, t.RefreshToken, t.ExpiresIn
		}
	}
	return v, nil
}

// views is view over a list, with the projection applied.
func (g *users) views(c *call, pr projection, list []*domain.User) ([]any, error) {
	out := make([]any, len(list))
	for i, u := range list {
		v, err := g.view(c, u)
		if err != nil {
			return nil, err
		}
		out[i] = pr.apply(v)
	}
	return out, nil
}

// identitiesOf is the primary's identities[] after a change, as link and unlink answer it.
func (g *users) identitiesOf(c *call, userID string) ([]domain.Identity, error) {
	u, err := g.users.GetUser(c.ctx(), userID)
	if err != nil {
		return nil, err
	}
	v, err := g.view(c, u)
	return v.Identities, err
}

type linkBody struct {
	Provider     *string `json:"provider"`
	ConnectionID *string `json:"connection_id"`
	UserID       any     `json:"user_id"` // a string, or a number as Auth0 also takes
	LinkWith     *string `json:"link_with"`
}

var (
	errLinkSelf      = refuse(http.StatusBadRequest, codeInvalidBody, "Main identity and the new one are the same.")
	errLinkLinked    = refuse(http.StatusBadRequest, codeInvalidBody, "The secondary account has identities linked to it; unlink them first.")
	errLinkToken     = refuse(http.StatusBadRequest, codeInvalidBody, "link_with is not a valid ID token of this tenant.")
	errLinkAudience  = refuse(http.StatusBadRequest, codeInvalidBody, "link_with must be an ID token issued to the client of the access token (its aud must be the token's azp).")
	errLinkSecondary = refuse(http.StatusBadRequest, codeInvalidBody, "The secondary account does not exist.")
)

// secondaryID is the user id of the account the body names.
func (g *users) secondaryID(c *call, b *linkBody) (string, error) {
	if b.LinkWith != nil {
		if b.Provider != nil || b.UserID != nil || b.ConnectionID != nil {
			return "", refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: provider, user_id and connection_id must not be sent with link_with.")
		}
		if g.idTokens == nil {
			return "", refuse(http.StatusNotImplemented, codeNotSupported, "link_with is not available on this node.")
		}
		sub, aud, err := g.idTokens.VerifyIDToken(c.ctx(), strings.TrimSpace(*b.LinkWith))
		if err != nil {
			return "", errLinkToken
		}
		// Auth0: a user's own token links only an account signed in to the same application.
		if c.who.user && aud != c.who.clientID {
			return "", errLinkAudience
		}
		return sub, nil
	}
	if c.who.user {
		// A user's token (update:current_user_identities) must prove the other account: link_with.
		return "", refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: link_with'.")
	}
	var uid string
	switch v := b.UserID.(type) {
	case string:
		uid = v
	case float64:
		uid = strconv.FormatFloat(v, 'f', -1, 64)
	}
	if b.Provider == nil || *b.Provider == "" || uid == "" {
		return "", refuse(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'Missing required property: provider, user_id' (or link_with).")
	}
	if b.ConnectionID != nil && *b.ConnectionID != "" {
		conn, err := g.st.GetConnection(c.ctx(), *b.ConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return "", refuse(http.StatusBadRequest, codeInvalidBody, "The connection %s does not exist.", *b.ConnectionID)
		}
		if err != nil {
			return "", err
		}
		if conn.Strategy != *b.Provider {
			return "", refuse(http.StatusBadRequest, codeInvalidBody, "The connection %s is not of provider %s.", *b.ConnectionID, *b.Provider)
		}
	}
	return *b.Provider + "|" + uid, nil
}

func (g *users) link(c *call) (int, any, error) {
	var b linkBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	primaryID := c.r.PathValue("id")
	secondaryID, err := g.secondaryID(c, &b)
	if err != nil {
		return 0, nil, err
	}
	if secondaryID == primaryID {
		return 0, nil, errLinkSelf
	}
	err = g.st.WithTx(c.ctx(), func(tx store.Store) error {
		if _, err := load(c.ctx(), tx.GetUser, primaryID, nfUser); err != nil {
			return err
		}
		if owner, err := g.linkedOwner(c.ctx(), tx, primaryID); err != nil {
			return err
		} else if owner != "" {
			return refuse(http.StatusBadRequest, codeInvalidBody, "The primary account is itself linked to %s.", owner)
		}
		sec, err := tx.GetUser(c.ctx(), secondaryID)
		if errors.Is(err, store.ErrNotFound) {
			return errLinkSecondary
		}
		if err != nil {
			return err
		}
		provider, identityID, ok := domain.SplitUserID(sec.UserID)
		if !ok {
			return errLinkSecondary
		}
		owned, err := tx.ListUserIdentities(c.ctx(), sec.UserID)
		if err != nil {
			return err
		}
		ident := &domain.UserIdentity{Provider: provider, IdentityID: identityID}
		for _, o := range owned {
			if o.Linked() {
				return errLinkLinked
			}
			ident = o // its own identity's row: the upstream tokens move with it
		}
		ident.OwnerID, ident.Connection, ident.ProfileData = primaryID, sec.Connection, sec.ProfileData()
		if provider == domain.StrategyAuth0 && sec.PasswordHash != "" {
			// A database account's password goes with its identity: it signs in as the primary
			// from now on, and is the account's again once unlinked.
			ident.Password = &domain.LinkedPassword{Hash: sec.PasswordHash, LastPasswordReset: sec.LastPasswordReset}
		}
		ident.CreatedAt = g.now().UTC()
		if err := tx.DeleteUser(c.ctx(), sec.UserID); err != nil {
			return err
		}
		return tx.PutIdentity(c.ctx(), ident)
	})
	if err != nil {
		return 0, nil, err
	}
	ids, err := g.identitiesOf(c, primaryID)
	return http.StatusCreated, ids, err
}

// linkedOwner is the user an account is linked to, "" when it is not a secondary account. A
// secondary account has no user row, so this holds only for ids that still name one.
func (g *users) linkedOwner(ctx context.Context, st store.Store, userID string) (string, error) {
	provider, id, ok := domain.SplitUserID(userID)
	if !ok {
		return "", nil
	}
	ident, err := st.GetIdentity(ctx, provider, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil || !ident.Linked() {
		return "", err
	}
	return ident.OwnerID, nil
}

func (g *users) unlink(c *call) (int, any, error) {
	primaryID := c.r.PathValue("id")
	provider, identityID := c.r.PathValue("provider"), c.r.PathValue("user_id")
	err := g.st.WithTx(c.ctx(), func(tx store.Store) error {
		if _, err := load(c.ctx(), tx.GetUser, primaryID, nfUser); err != nil {
			return err
		}
		if provider+"|"+identityID == primaryID {
			return refuse(http.StatusBadRequest, codeInvalidURI, "Main identity cannot be removed.")
		}
		ident, err := tx.GetIdentity(c.ctx(), provider, identityID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && ident.OwnerID != primaryID) {
			return refuse(http.StatusNotFound, "inexistent_identity", "The identity %s|%s is not linked to the user.", provider, identityID)
		}
		if err != nil {
			return err
		}
		u := domain.UserFromProfileData(ident)
		u.CreatedAt = g.now().UTC()
		domain.ApplyUserDefaults(u)
		if err := tx.CreateUser(c.ctx(), u); err != nil {
			return onConflict(err, refuse(http.StatusConflict, "user_exists", "An account %s already exists.", u.UserID))
		}
		ident.OwnerID, ident.ProfileData = u.UserID, nil
		if len(ident.TokensSealed) == 0 {
			return tx.DeleteIdentity(c.ctx(), provider, identityID)
		}
		return tx.PutIdentity(c.ctx(), ident)
	})
	if err != nil {
		return 0, nil, err
	}
	ids, err := g.identitiesOf(c, primaryID)
	return http.StatusOK, ids, err
}
