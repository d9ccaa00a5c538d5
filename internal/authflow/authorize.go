package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
)

// authorize is GET /authorize: validate, then hand the new transaction to the dispatcher.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := h.parseAuthorize(ctx, r.URL.RawQuery)
	var pe *protocol.Error
	switch {
	case err != nil && !errors.As(err, &pe):
		h.internalError(w, r, err)
		return
	case pe != nil && req == nil:
		h.errorPage(w, r, pe)
		return
	}
	ctx = httpserver.WithClientID(ctx, req.Client.ClientID)
	r = r.WithContext(ctx)
	if pe != nil {
		h.respondError(w, r, &req.Transaction, pe)
		return
	}
	now := h.now().UTC()
	tx := req.Transaction
	tx.ID = domain.RandomToken(24)
	tx.CreatedAt = now
	tx.ExpiresAt = now.Add(domain.LoginTransactionLifetime)
	h.dispatch(w, r, &flow{client: req.Client, tx: &tx})
}

// authenticate passes a flow whose user an SSO session authenticates as the transaction requires:
// the session a sign-in form has just created, or the browser's. Otherwise it answers: a prompt=none
// request with login_required, any other by storing the transaction and showing the login (or
// signup) form, which returns to dispatch once the user has authenticated.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	ctx := r.Context()
	sess := f.sess
	if sess == nil {
		var err error
		if sess, err = h.sessions.Current(ctx, r); err != nil {
			h.internalError(w, r, err)
			return answered
		}
	}
	if sess != nil {
		ok, err := h.sessionSatisfies(ctx, f.client, f.tx, sess)
		if err != nil {
			h.internalError(w, r, err)
			return answered
		}
		if ok {
			f.sess = sess
			return next
		}
	}
	if f.silent() {
		// OIDC Core §3.1.2.6: no UI may be shown.
		h.endTransaction(ctx, f.tx, f.stored)
		h.record(r, audit.TypeSilentAuthFailed, "Login required", f.client, nil)
		h.respondError(w, r, f.tx, protocol.NewError(http.StatusBadRequest, "login_required", "Login required"))
		return answered
	}
	if res, ok := h.brokerDirect(w, r, f); ok { // ?connection= names another provider
		return res
	}
	page := LoginPath
	if f.tx.ScreenHint == "signup" {
		page = SignupPath
	}
	return h.showPage(w, r, f, page)
}

// showPage stores the transaction, bound to this browser, unless it already is, and sends the
// browser to a hosted page (?state=<transaction id>); the page's handler returns to dispatch.
func (h *Handler) showPage(w http.ResponseWriter, r *http.Request, f *flow, page string) stepResult {
	if !f.stored {
		secret := h.ensureBinding(w, r)
		f.tx.BrowserBindingHash = domain.HashSecret(secret)
		if err := h.store.CreateTransaction(r.Context(), f.tx); err != nil {
			h.internalError(w, r, fmt.Errorf("authorize: store transaction: %w", err))
			return answered
		}
		f.stored = true
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", page+"?state="+url.QueryEscape(f.tx.ID))
	w.WriteHeader(http.StatusFound)
	return answered
}

// sessionSatisfies reports whether sess may complete tx without showing a form. An authentication
// made within this transaction (tx.UserID, written by the login step) always does when it is the
// session's user. Otherwise the earlier authentication must satisfy prompt=login (never), max_age
// (OIDC Core §3.1.2.1; max_age=0 forces a login) and single sign-on must be on.
func (h *Handler) sessionSatisfies(ctx context.Context, client *domain.Client, tx *domain.LoginTransaction, sess *domain.Session) (bool, error) {
	if tx.UserID != "" {
		return sess.UserID == tx.UserID, nil
	}
	if hasPrompt(tx.Prompt, "login") || client.SSODisabled {
		return false, nil
	}
	if tx.MaxAge != nil {
		age := h.now().Sub(sess.AuthenticatedAt)
		if *tx.MaxAge == 0 || age > time.Duration(*tx.MaxAge)*time.Second {
			return false, nil
		}
	}
	settings, err := h.store.GetTenantSettings(ctx)
	if err != nil {
		return false, fmt.Errorf("authorize: tenant settings: %w", err)
	}
	if enabled, set := settings.Flags["enable_sso"]; set && !enabled {
		return false, nil
	}
	return true, nil
}

func hasPrompt(prompt, value string) bool {
	for _, p := range strings.Fields(prompt) {
		if p == value {
			return true
		}
	}
	return false
}

// endTransaction finishes a stored transaction. It reports false when a concurrent request finished it
// first (two submissions of one login form): only one of them may produce a code.
func (h *Handler) endTransaction(ctx context.Context, tx *domain.LoginTransaction, stored bool) bool {
	if !stored {
		return true
	}
	err := h.store.ConsumeTransaction(ctx, tx.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		h.logger.WarnContext(ctx, "transaction not deleted", "err", err)
	}
	return true
}

// record appends a tenant log event for this request.
func (h *Handler) record(r *http.Request, typ, description string, client *domain.Client, user *domain.User) {
	h.recordDetails(r, typ, description, client, user, nil)
}

// recordDetails is record with the event's details (the Actions executions of a sign-in:
// trigger.LogDetails).
func (h *Handler) recordDetails(r *http.Request, typ, description string, client *domain.Client, user *domain.User, details map[string]any) {
	e := domain.LogEvent{
		Type: typ, Description: description, IP: httpserver.ClientIP(r.Context()).String(), UserAgent: r.UserAgent(), Hostname: r.Host,
		Connection: domain.DefaultConnection, Details: details,
	}
	if client != nil {
		e.ClientID, e.ClientName = client.ClientID, client.Name
	}
	if user != nil {
		e.UserID, e.UserName = user.UserID, user.Email
		if user.Connection != "" {
			e.Connection = user.Connection
		}
	}
	h.audit.Record(r.Context(), e)
}
