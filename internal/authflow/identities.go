package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// signInIdentity is the user a provider's answer signs in. An identity linked to another account
// (POST /api/v2/users/{id}/identities) signs in as that primary account, whose own profile stays
// as it is; the identity's profileData and tokens are refreshed. Any other identity is its own
// account, found or created by user id (upstreamUser). Linking never happens here: an account is
// linked only by the Management API, never because an email matches.
func (h *Handler) signInIdentity(ctx context.Context, c *domain.Connection, p *upstream.Profile) (*domain.User, error) {
	id := UpstreamUserID(c, p.Subject)
	provider, identityID, _ := domain.SplitUserID(id)
	ident, err := h.store.GetIdentity(ctx, provider, identityID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if ident != nil && ident.Linked() {
		primary, err := h.store.GetUser(ctx, ident.OwnerID)
		if err != nil {
			return nil, fmt.Errorf("linked identity %s: primary user: %w", id, err)
		}
		profile := &domain.User{UserID: id}
		applyProfile(profile, p)
		ident.ProfileData = profile.ProfileData()
		if err := h.keepTokens(ident, p); err != nil {
			return nil, err
		}
		return primary, h.store.PutIdentity(ctx, ident)
	}
	u, err := h.upstreamUser(ctx, c, p)
	if err != nil {
		return nil, err
	}
	if ident == nil {
		if p.Tokens == (domain.IdPTokens{}) {
			return u, nil
		}
		ident = &domain.UserIdentity{Provider: provider, IdentityID: identityID, OwnerID: id}
	}
	ident.Connection = c.Name
	if err := h.keepTokens(ident, p); err != nil {
		return nil, err
	}
	return u, h.store.PutIdentity(ctx, ident)
}

// keepTokens seals the tokens the provider sent onto the identity; without a sealing key none
// are kept.
func (h *Handler) keepTokens(ident *domain.UserIdentity, p *upstream.Profile) error {
	if h.upstream.Tokens == nil {
		ident.TokensSealed = nil
		return nil
	}
	sealed, err := h.upstream.Tokens.Seal(ident.FullID(), p.Tokens)
	if err != nil {
		return fmt.Errorf("seal upstream tokens: %w", err)
	}
	ident.TokensSealed = sealed
	return nil
}

// upstreamFormPost is POST /login/callback: a provider answering by form_post (Sign in with
// Apple). A browser sends no SameSite=Lax cookie with a cross-site POST, so the browser binding
// could not be checked here; the answer's parameters are sent on to GET /login/callback, a
// top-level navigation that carries the cookie, where everything is checked as for a query answer.
func (h *Handler) upstreamFormPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, staleTransaction())
		return
	}
	if raw := r.PostForm.Get("id_token"); raw != "" {
		h.keepPostedIDToken(w, r, raw)
		return
	}
	q := url.Values{}
	for _, k := range []string{"state", "code", "error", "error_description"} {
		if v := r.PostForm.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, CallbackPath+"?"+q.Encode(), http.StatusSeeOther)
}

// keepPostedIDToken keeps a front_channel provider's ID token on the transaction its state names
// (the state's secret proves the post answers that request; the browser is checked on the GET
// that follows), so that the token never travels in a URL, then sends the browser on.
func (h *Handler) keepPostedIDToken(w http.ResponseWriter, r *http.Request, raw string) {
	ctx := r.Context()
	state := r.PostForm.Get("state")
	txID, secret, ok := upstream.SplitState(state)
	if !ok || len(raw) > 16<<10 {
		h.errorPage(w, r, staleTransaction())
		return
	}
	tx, err := h.store.GetTransaction(ctx, txID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!h.now().Before(tx.ExpiresAt) || !upstream.StateMatches(tx.Upstream, secret))) {
		h.logger.InfoContext(ctx, "an ID token was posted for no pending upstream request")
		h.errorPage(w, r, staleTransaction())
		return
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("upstream: transaction: %w", err))
		return
	}
	tx.Upstream.IDToken = raw
	if err := h.store.UpdateTransaction(ctx, tx); err != nil {
		h.internalError(w, r, fmt.Errorf("upstream: update transaction: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, CallbackPath+"?"+url.Values{"state": {state}}.Encode(), http.StatusSeeOther)
}
