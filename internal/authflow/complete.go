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
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// The steps after authentication: they show no page, so the transaction is claimed first.

// claim takes the transaction out of the store: it is single-use whatever the outcome, and of
// concurrent requests finishing it (two submissions of one login form) only one goes on.
func (h *Handler) claim(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if !h.endTransaction(r.Context(), f.tx, f.stored) {
		h.errorPage(w, r, staleTransaction())
		return answered
	}
	return next
}

// checkUser loads the session's user and refuses one that no longer exists or is blocked.
func (h *Handler) checkUser(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	failType, _ := f.logTypes()
	user, err := h.store.GetUser(r.Context(), f.sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		h.record(r, failType, "user does not exist", f.client, nil)
		h.respondError(w, r, f.tx, protocol.AccessDenied("user does not exist"))
		return answered
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("complete: user: %w", err))
		return answered
	}
	if user.Blocked {
		h.record(r, audit.TypeBlockedUser, "user is blocked", f.client, user)
		h.respondError(w, r, f.tx, protocol.AccessDenied("user is blocked"))
		return answered
	}
	f.user = user
	return next
}

// resolveScopes decides what the code may grant before Actions change it (grantScopes).
func (h *Handler) resolveScopes(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	f.requested = strings.Fields(f.tx.Scope)
	granted, api, err := h.grantScopes(r.Context(), f.client.ClientID, f.user.UserID, f.org, f.tx.Audience, f.requested)
	if err != nil {
		h.internalError(w, r, err)
		return answered
	}
	f.api = api
	f.tokens = trigger.Tokens{Scopes: granted, MayAdd: func(s string) bool { return protocol.ActionMayAdd(api, s) }}
	return next
}

// postLoginActions runs the post-login Actions, when any are configured, and applies their outcome
// (trigger.Apply): metadata saved, a denial answered with access_denied, claims and scope changes
// kept for the code. Actions override RBAC (spec §2.3): the scopes they add are recorded on the code
// so that the exchange, which applies RBAC again, keeps them too.
func (h *Handler) postLoginActions(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if done := f.tx.ActionsDone; done != nil {
		f.tx.ActionsDone = nil
		if err := restoreActions(&f.tokens, done); err != nil {
			h.internalError(w, r, err)
			return answered
		}
		return next
	}
	if h.postLogin == nil {
		return next
	}
	ctx := r.Context()
	failType, _ := f.logTypes()
	ev := h.postLoginEvent(r, f)
	// The paused run is resumed once: a copy of the transaction stored later (mfa) must not
	// carry it.
	f.tx.ActionsResume = nil
	out, err := h.postLogin.PostLogin(ctx, ev)
	if err != nil {
		h.logger.ErrorContext(ctx, "post-login actions failed", "err", err)
		h.record(r, failType, "post-login actions failed", f.client, f.user)
		h.respondError(w, r, f.tx, protocol.NewError(http.StatusInternalServerError, "server_error", "The login could not be completed."))
		return answered
	}
	deny, saveErr := trigger.Apply(ctx, h.store, f.user.UserID, out, &f.tokens)
	if saveErr != nil {
		h.logger.ErrorContext(ctx, "metadata from post-login actions not saved", "err", saveErr)
	}
	if deny != nil {
		h.recordDetails(r, failType, deny.Reason, f.client, f.user, trigger.LogDetails(f.tokens.Executions))
		h.respondError(w, r, f.tx, protocol.NewError(http.StatusForbidden, "access_denied", deny.Reason))
		return answered
	}
	return next
}

// issue stores the authorization code, marks the session as used by the client and sends the
// authorization response; a device sign-in approves its device code instead (approveDevice).
func (h *Handler) issue(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if f.tx.DeviceCodeHash != nil {
		return h.approveDevice(w, r, f)
	}
	ctx := r.Context()
	_, okType := f.logTypes()
	tx, sess := f.tx, f.sess
	authTime := sess.AuthenticatedAt
	if tx.AuthTime != nil {
		authTime = *tx.AuthTime
	}
	params := url.Values{}
	withCode := tx.ResponseType != protocol.ResponseIDToken
	code := ""
	if withCode {
		code = domain.RandomToken(32)
		params.Set("code", code)
	}
	now := h.now().UTC()
	rec := &domain.AuthorizationCode{
		CodeHash:            domain.HashSecret(code),
		ClientID:            f.client.ClientID,
		UserID:              f.user.UserID,
		SessionID:           sess.ID,
		RedirectURI:         tx.RedirectURI,
		Scope:               strings.Join(f.tokens.Scopes, " "),
		Audience:            tx.Audience,
		Nonce:               tx.Nonce,
		CodeChallenge:       tx.CodeChallenge,
		CodeChallengeMethod: tx.CodeChallengeMethod,
		DPoPJKT:             tx.DPoPJKT,
		AuthTime:            authTime.UTC(),
		IncludeAuthTime:     hasPrompt(tx.Prompt, "login") || tx.MaxAge != nil,
		IDTokenClaims:       f.tokens.IDTokenClaims,
		AccessTokenClaims:   f.tokens.AccessTokenClaims,
		ActionScopes:        f.tokens.ActionScopes,
		Organization:        f.org,
		AMR:                 h.signInAMR(ctx, sess),
		CreatedAt:           now,
		ExpiresAt:           now.Add(domain.AuthorizationCodeLifetime),
	}
	if withCode {
		if err := h.store.CreateAuthorizationCode(ctx, rec); err != nil {
			h.internalError(w, r, fmt.Errorf("complete: store code: %w", err))
			return answered
		}
	}
	if tx.ResponseType == protocol.ResponseIDToken || tx.ResponseType == protocol.ResponseCodeIDToken {
		// Implicit or hybrid (the client enabled the implicit grant): the ID token goes with the
		// response, its nonce and, beside a code, the code's c_hash binding them (OIDC Core §3.3.2.11).
		idt, err := h.idTokens.IDToken(ctx, token.IDTokenParams{
			Client: f.client, User: f.user, Scope: rec.Scope, Nonce: tx.Nonce, SessionID: sess.ID,
			AuthTime: rec.AuthTime, IncludeAuthTime: rec.IncludeAuthTime, Code: code, Custom: f.tokens.IDTokenClaims, Org: f.org,
			AMR: rec.AMR,
		})
		if err != nil {
			h.internalError(w, r, fmt.Errorf("complete: sign id_token: %w", err))
			return answered
		}
		params.Set("id_token", idt)
	}
	if err := h.sessions.Touch(ctx, sess, f.client.ClientID); err != nil {
		h.logger.WarnContext(ctx, "session not touched", "err", err)
	}
	h.recordDetails(r, okType, "Successful login", f.client, f.user, trigger.LogDetails(f.tokens.Executions))
	if tx.State != "" {
		params.Set("state", tx.State)
	}
	h.respond(w, r, tx, params)
	return answered
}

// grantScopes applies the token endpoint's scope rule (protocol.ResolveScopes) at sign-in: OIDC scopes
// pass; an API permission passes when a user may hold it there (on the Management API only the
// *:current_user* scopes), within the client's grant on the API where one exists, and with RBAC on
// only when the user holds it (spec §2.3). Without an audience only OIDC scopes remain. The token
// endpoint applies the rule once more at the exchange (permissions may change in between) and keeps
// what Actions added (code.ActionScopes).
func (h *Handler) grantScopes(ctx context.Context, clientID, userID string, org *domain.OrgClaims, audience string, requested []string) ([]string, *domain.ResourceServer, error) {
	in := protocol.ScopeInput{Requested: requested}
	if audience != "" {
		rs, err := h.store.GetResourceServerByIdentifier(ctx, audience)
		if err != nil {
			return nil, nil, fmt.Errorf("complete: audience: %w", err)
		}
		in.API = rs
		if protocol.NeedsHeld(rs) {
			if in.Held, err = h.heldPermissions(ctx, org, userID, audience); err != nil {
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
	return protocol.ResolveScopes(in).Scopes, in.API, nil
}

// postLoginEvent is what the post-login event of this sign-in is built from.
func (h *Handler) postLoginEvent(r *http.Request, f *flow) trigger.PostLogin {
	tx, sess := f.tx, f.sess
	query := map[string]string{"client_id": tx.ClientID, "redirect_uri": tx.RedirectURI, "response_type": tx.ResponseType, "scope": tx.Scope}
	maps.Copy(query, tx.Params)
	var body map[string]string
	var resume []byte
	continueState := ""
	if f.continued && tx.ActionsResume != nil {
		// Resuming at /continue: event.request is that request (Auth0's onContinuePostLogin).
		query, body, resume, continueState = trigger.FirstValues(r.URL.Query()), f.continueBody, tx.ActionsResume, tx.ID
	}
	if !f.silent() {
		f.redirectState = domain.RandomToken(24)
	}
	// tx.Connection is set by an upstream provider's answer in this transaction: a linked
	// identity signs in as its primary, but through its own connection. An SSO pass or a
	// password is the user's own connection.
	conn, methods := tx.Connection, h.authMethods(r.Context(), sess, f.user)
	if conn == "" {
		conn = userConnection(f.user)
	} else if methods[0].Name == "pwd" {
		methods[0].Name = "federated"
	}
	return trigger.PostLogin{
		RedirectState: f.redirectState, Resume: resume, ContinueState: continueState,
		Source: trigger.SignIn, User: f.user, Client: f.client, Connection: conn, Audience: tx.Audience,
		Transaction: tx, RequestedScopes: f.requested, GrantedScopes: slices.Clone(f.tokens.Scopes), Session: sess,
		Methods: methods,
		Request: trigger.Request{
			IP: httpserver.ClientIP(r.Context()).String(), Hostname: r.Host, Method: r.Method, UserAgent: r.UserAgent(),
			Language: r.Header.Get("Accept-Language"), Query: query, Body: body,
		},
		Interactive: !f.silent(),
		// In an organization sign-in, event.authorization.roles are the member's roles in it.
		Organization: f.organization, Roles: f.orgRoles,
	}
}
