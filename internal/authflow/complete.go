package authflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// complete ends a transaction whose user is authenticated by sess: the user is loaded and checked,
// post-login Actions run, the authorization code is stored and the response sent. The transaction is
// deleted whatever the outcome.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, client *domain.Client, tx *domain.LoginTransaction, stored bool, sess *domain.Session) {
	ctx := r.Context()
	if !h.endTransaction(ctx, tx, stored) {
		h.errorPage(w, r, http.StatusBadRequest, staleTransaction)
		return
	}
	silent := tx.Prompt == "none"
	failType, okType := audit.TypeLoginFailure, audit.TypeLoginSuccess
	if silent {
		failType, okType = audit.TypeSilentAuthFailed, audit.TypeSilentAuth
	}
	user, err := h.store.GetUser(ctx, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		h.record(r, failType, "user does not exist", client, nil)
		h.respondError(w, r, tx, &oauthError{code: "access_denied", description: "user does not exist"})
		return
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("complete: user: %w", err))
		return
	}
	if user.Blocked {
		h.record(r, audit.TypeBlockedUser, "user is blocked", client, user)
		h.respondError(w, r, tx, &oauthError{code: "access_denied", description: "user is blocked"})
		return
	}
	authTime := sess.AuthenticatedAt
	if tx.AuthTime != nil {
		authTime = *tx.AuthTime
	}
	requested := strings.Fields(tx.Scope)
	granted, api, err := h.grantScopes(ctx, client.ClientID, user.UserID, tx.Audience, requested)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	tk := trigger.Tokens{Scopes: granted, MayAdd: func(s string) bool { return grant.ActionMayAdd(api, s) }}
	if h.postLogin != nil {
		out, err := h.runPostLogin(ctx, r, client, tx, sess, user, requested, granted)
		if err != nil {
			h.logger.ErrorContext(ctx, "post-login actions failed", "err", err)
			h.record(r, failType, "post-login actions failed", client, user)
			h.respondError(w, r, tx, &oauthError{code: "server_error", description: "The login could not be completed."})
			return
		}
		// Actions override RBAC (spec §2.3): their additions are kept even when RBAC would drop them,
		// and recorded on the code so that the exchange, which applies RBAC again, keeps them too.
		deny, saveErr := trigger.Apply(ctx, h.store, user.UserID, out, &tk)
		if saveErr != nil {
			h.logger.ErrorContext(ctx, "metadata from post-login actions not saved", "err", saveErr)
		}
		if deny != nil {
			h.record(r, failType, deny.Reason, client, user)
			h.respondError(w, r, tx, &oauthError{code: "access_denied", description: deny.Reason})
			return
		}
	}

	code := domain.RandomToken(32)
	now := h.now().UTC()
	rec := &domain.AuthorizationCode{
		CodeHash:            domain.HashSecret(code),
		ClientID:            client.ClientID,
		UserID:              user.UserID,
		SessionID:           sess.ID,
		RedirectURI:         tx.RedirectURI,
		Scope:               strings.Join(tk.Scopes, " "),
		Audience:            tx.Audience,
		Nonce:               tx.Nonce,
		CodeChallenge:       tx.CodeChallenge,
		CodeChallengeMethod: tx.CodeChallengeMethod,
		AuthTime:            authTime.UTC(),
		IncludeAuthTime:     hasPrompt(tx.Prompt, "login") || tx.MaxAge != nil,
		IDTokenClaims:       tk.IDTokenClaims,
		AccessTokenClaims:   tk.AccessTokenClaims,
		ActionScopes:        tk.ActionScopes,
		CreatedAt:           now,
		ExpiresAt:           now.Add(domain.AuthorizationCodeLifetime),
	}
	if err := h.store.CreateAuthorizationCode(ctx, rec); err != nil {
		h.internalError(w, r, fmt.Errorf("complete: store code: %w", err))
		return
	}
	if err := h.sessions.Touch(ctx, sess, client.ClientID); err != nil {
		h.logger.WarnContext(ctx, "session not touched", "err", err)
	}
	h.record(r, okType, "Successful login", client, user)
	params := url.Values{"code": {code}}
	if tx.State != "" {
		params.Set("state", tx.State)
	}
	h.respond(w, r, tx, params)
}

// grantScopes applies the token endpoint's scope rule (grant.ResolveScopes) at sign-in: OIDC scopes
// pass; an API permission passes when a user may hold it there (on the Management API only the
// *:current_user* scopes), within the client's grant on the API where one exists, and with RBAC on
// only when the user holds it (spec §2.3). Without an audience only OIDC scopes remain. The token
// endpoint applies the rule once more at the exchange (permissions may change in between) and keeps
// what Actions added (code.ActionScopes).
func (h *Handler) grantScopes(ctx context.Context, clientID, userID, audience string, requested []string) ([]string, *domain.ResourceServer, error) {
	in := grant.ScopeInput{Requested: requested}
	if audience != "" {
		rs, err := h.store.GetResourceServerByIdentifier(ctx, audience)
		if err != nil {
			return nil, nil, fmt.Errorf("complete: audience: %w", err)
		}
		in.API = rs
		if grant.NeedsHeld(rs) {
			if in.Held, err = h.store.UserPermissionNames(ctx, userID, audience); err != nil {
				return nil, nil, fmt.Errorf("complete: permissions: %w", err)
			}
		}
		cg, err := h.store.FindClientGrant(ctx, clientID, audience)
		switch {
		case err == nil:
			in.ClientGrant = cg
		case !errors.Is(err, store.ErrNotFound):
			return nil, nil, fmt.Errorf("complete: client grant: %w", err)
		}
	}
	return grant.ResolveScopes(in).Scopes, in.API, nil
}

func (h *Handler) runPostLogin(ctx context.Context, r *http.Request, client *domain.Client, tx *domain.LoginTransaction,
	sess *domain.Session, user *domain.User, requested, granted []string) (trigger.Outcome, error) {
	query := map[string]string{"client_id": tx.ClientID, "redirect_uri": tx.RedirectURI, "response_type": tx.ResponseType, "scope": tx.Scope}
	maps.Copy(query, tx.Params)
	in := trigger.PostLogin{
		Source: trigger.SignIn, User: user, Client: client, Connection: domain.DefaultConnection, Audience: tx.Audience,
		Transaction: tx, RequestedScopes: requested, GrantedScopes: slices.Clone(granted), Session: sess,
		Methods: []trigger.AuthMethod{{Name: "pwd", Timestamp: sess.AuthenticatedAt}},
		Request: trigger.Request{
			IP: clientIP(r), Hostname: r.Host, Method: r.Method, UserAgent: r.UserAgent(),
			Language: r.Header.Get("Accept-Language"), Query: query,
		},
		Interactive: tx.Prompt != "none",
	}
	return h.postLogin.PostLogin(ctx, in)
}
