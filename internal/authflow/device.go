package authflow

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// The device authorization flow's pages (RFC 8628 §3.3): the user enters the code their device shows
// at /activate, signs in through the same steps as /authorize, confirms the device by name, and the
// device code is approved instead of an authorization code being issued.
const (
	ActivatePath        = "/activate"
	ActivateConfirmPath = "/activate/confirm"
)

// Messages of the activation pages.
const (
	// MsgBadUserCode is the one answer for a code that never existed, has expired or was used: a
	// guesser learns nothing from the difference.
	MsgBadUserCode = "Invalid or expired code. Check the code on your device and try again."
	// MsgTooManyCodes is shown while an address that entered too many wrong codes is blocked.
	MsgTooManyCodes = "Too many attempts. Please wait a few minutes and try again."
)

// activateKey is the brute-force key of user code entry: the block is per address, whatever code it
// tries (RFC 8628 §5.1: the user code is short, so guessing must be rate-limited).
const activateKey = "device user code"

func (h *Handler) activateData(r *http.Request, code, msg string) web.ActivateData {
	return web.ActivateData{Base: h.base(r.Context()), Action: ActivatePath, UserCode: code, Error: msg}
}

// activatePage is GET /activate[?user_code=…] (verification_uri and verification_uri_complete).
func (h *Handler) activatePage(w http.ResponseWriter, r *http.Request) {
	code := domain.NormalizeUserCode(r.URL.Query().Get("user_code"))
	h.render(r.Context(), w, http.StatusOK, web.PageActivate, h.activateData(r, code, ""))
}

// activateSubmit is POST /activate: a valid pending code starts a sign-in for its client; anything
// else is one message and counts toward the address's block. A success does not clear the count:
// an attacker could request codes of their own to interleave with guesses.
func (h *Handler) activateSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, badRequest("The form could not be read."))
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("user_code"))
	shown := protocol.Truncate(typed, 16)
	ip := httpserver.ClientIP(ctx).String()
	// Every code entered is counted before it is looked up (guard.BruteForce.Attempt), so that
	// concurrent guesses on any node cannot pass the threshold; a right code does not reset it.
	attempt, err := h.activateGuard.Attempt(ctx, ip, activateKey)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("activate: %w", err))
		return
	}
	if !attempt.Allowed {
		w.Header().Set("Retry-After", strconv.Itoa(int(attempt.RetryAfter/time.Second)))
		h.render(ctx, w, http.StatusTooManyRequests, web.PageActivate, h.activateData(r, shown, MsgTooManyCodes))
		return
	}
	now := h.now().UTC()
	var dc *domain.DeviceCode
	if code := domain.NormalizeUserCode(typed); code != "" {
		var err error
		dc, err = h.store.GetDeviceCodeByUserCode(ctx, domain.HashUserCode(code))
		switch {
		case errors.Is(err, store.ErrNotFound):
			dc = nil
		case err != nil:
			h.internalError(w, r, fmt.Errorf("activate: device code: %w", err))
			return
		}
		shown = code
	}
	var client *domain.Client
	if dc != nil && dc.Status == domain.DevicePending && !dc.Expired(now) {
		c, err := h.store.GetClient(ctx, dc.ClientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.internalError(w, r, fmt.Errorf("activate: client: %w", err))
			return
		}
		client = c
	}
	if client == nil {
		h.render(ctx, w, http.StatusBadRequest, web.PageActivate, h.activateData(r, shown, MsgBadUserCode))
		return
	}
	*r = *r.WithContext(httpserver.WithClientID(ctx, client.ClientID))
	expires := now.Add(domain.LoginTransactionLifetime)
	if dc.ExpiresAt.Before(expires) {
		expires = dc.ExpiresAt
	}
	tx := &domain.LoginTransaction{
		ID: domain.RandomToken(24), ClientID: client.ClientID, ResponseType: "device_code", Scope: dc.Scope,
		Audience: dc.Audience, DeviceCodeHash: dc.CodeHash, DeviceUserCode: shown, CreatedAt: now, ExpiresAt: expires,
	}
	h.dispatch(w, r, &flow{client: client, tx: tx})
}

// confirmDevice is the sign-in step of a device transaction: once the user is authenticated, they
// confirm the device by name before anything is approved (RFC 8628 §5.4: a user tricked into
// entering someone else's code must see what they are about to allow).
func (h *Handler) confirmDevice(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	if f.tx.DeviceCodeHash == nil || f.tx.DeviceConfirmed {
		return next
	}
	return h.showPage(w, r, f, ActivateConfirmPath)
}

// deviceConfirmPage is GET /activate/confirm?state=<transaction id>.
func (h *Handler) deviceConfirmPage(w http.ResponseWriter, r *http.Request) {
	fs := h.loadTx(w, r, r.URL.Query().Get("state"))
	if fs == nil {
		return
	}
	if fs.tx.DeviceCodeHash == nil {
		h.errorPage(w, r, staleTransaction())
		return
	}
	h.render(r.Context(), w, http.StatusOK, web.PageDeviceConfirm, web.DeviceConfirmData{
		Base: h.base(r.Context()), ClientName: fs.client.Name, UserCode: fs.tx.DeviceUserCode,
		Scopes: scopeLabels(fs.tx.Scope), Action: ActivateConfirmPath + "?state=" + url.QueryEscape(fs.tx.ID),
		State: fs.tx.ID, CSRF: csrfToken(fs.secret, fs.tx.ID),
	})
}

// deviceConfirmSubmit is POST /activate/confirm: from the browser that started the transaction, with
// its CSRF token. Confirm returns to the dispatcher, which approves the device code at the end of the
// steps; deny ends the transaction and refuses the device code.
func (h *Handler) deviceConfirmSubmit(w http.ResponseWriter, r *http.Request) {
	fs := h.loadPostedTx(w, r)
	if fs == nil {
		return
	}
	ctx := r.Context()
	if fs.tx.DeviceCodeHash == nil || !csrfValid(fs.secret, fs.tx.ID, r.PostForm.Get("csrf")) {
		h.errorPage(w, r, staleTransaction())
		return
	}
	switch r.PostForm.Get("decision") {
	case "confirm":
		fs.tx.DeviceConfirmed = true
		if err := h.store.UpdateTransaction(ctx, fs.tx); err != nil {
			h.internalError(w, r, fmt.Errorf("activate: update transaction: %w", err))
			return
		}
		h.dispatch(w, r, &flow{client: fs.client, tx: fs.tx, stored: true})
	case "deny":
		if !h.endTransaction(ctx, fs.tx, true) {
			h.errorPage(w, r, staleTransaction())
			return
		}
		h.denyDevice(r, fs.tx)
		h.record(r, audit.TypeLoginFailure, "The user refused the device", fs.client, nil)
		h.deviceDone(w, r, http.StatusOK, false, "Device not connected", "You cancelled the request. Your device will not be connected to your account.")
	default:
		h.errorPage(w, r, badRequest("The form could not be read."))
	}
}

// approveDevice ends a device sign-in: the device code gets what the steps decided, and the device's
// next poll receives the tokens.
func (h *Handler) approveDevice(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	ctx := r.Context()
	_, okType := f.logTypes()
	authTime := f.sess.AuthenticatedAt
	if f.tx.AuthTime != nil {
		authTime = *f.tx.AuthTime
	}
	err := h.store.ApproveDeviceCode(ctx, f.tx.DeviceCodeHash, &domain.DeviceCode{
		UserID: f.user.UserID, SessionID: f.sess.ID, AuthTime: authTime.UTC(), GrantedScope: strings.Join(f.tokens.Scopes, " "),
		RefreshClaims: domain.RefreshContext{IDTokenClaims: f.tokens.IDTokenClaims, AccessTokenClaims: f.tokens.AccessTokenClaims,
			ActionScopes: f.tokens.ActionScopes},
	}, h.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		h.deviceDone(w, r, http.StatusBadRequest, false, "This code has expired", "The code expired or was already used. Start again on your device.")
		return answered
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("activate: approve device code: %w", err))
		return answered
	}
	if err := h.sessions.Touch(ctx, f.sess, f.client.ClientID); err != nil {
		h.logger.WarnContext(ctx, "session not touched", "err", err)
	}
	h.record(r, okType, "Successful login (device)", f.client, f.user)
	h.deviceDone(w, r, http.StatusOK, true, "You're all set", "Your device is now connected. You can return to it.")
	return answered
}

// denyDevice refuses the device code of tx, so that the device's next poll hears access_denied.
func (h *Handler) denyDevice(r *http.Request, tx *domain.LoginTransaction) {
	err := h.store.DenyDeviceCode(r.Context(), tx.DeviceCodeHash, h.now().UTC())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.logger.WarnContext(r.Context(), "device code not denied", "err", err)
	}
}

func (h *Handler) deviceDone(w http.ResponseWriter, r *http.Request, status int, approved bool, heading, msg string) {
	h.render(r.Context(), w, status, web.PageDeviceDone, web.DeviceDoneData{
		Base: h.base(r.Context()), Approved: approved, Heading: heading, Message: msg,
	})
}

// deviceError answers a refusal within a device sign-in (a blocked user, an Action's denial): there is
// no redirect_uri, so the page says it, and the device code is refused.
func (h *Handler) deviceError(w http.ResponseWriter, r *http.Request, tx *domain.LoginTransaction, e *protocol.Error) {
	h.denyDevice(r, tx)
	if e.Heading == "" {
		c := *e
		c.Heading = "Device not connected"
		e = &c
	}
	h.errorPage(w, r, e)
}

// scopeLabels words the OpenID Connect scopes (Core §5.4) for the person confirming a device; API
// permissions are shown as their names.
func scopeLabels(scope string) []string {
	labels := map[string]string{
		"openid": "Know who you are", "profile": "See your name and profile picture", "email": "See your email address",
		"offline_access": "Stay signed in", "address": "See your address", "phone": "See your phone number",
	}
	var out []string
	for _, s := range strings.Fields(scope) {
		if l, ok := labels[s]; ok {
			out = append(out, l)
		} else {
			out = append(out, s)
		}
	}
	return out
}

// activateBlockFor is how long an address that entered too many wrong user codes waits.
const activateBlockFor = 15 * time.Minute
