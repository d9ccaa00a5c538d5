package passwordreset

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

const (
	msgInvalidEmail = "Please enter a valid email address."
	msgFormExpired  = "Your form has expired or was not sent from this page. Please try again."
)

// loginState accepts a login transaction id to link back to; anything else is dropped.
var loginState = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func cleanState(s string) string {
	if loginState.MatchString(s) {
		return s
	}
	return ""
}

func (h *Handler) requestData(w http.ResponseWriter, r *http.Request, state, email, msg string) web.ResetRequestData {
	d := web.ResetRequestData{Base: h.base(r.Context()), Action: domain.ResetPasswordPath, State: state,
		CSRF: csrfToken(h.ensureFormSecret(w, r), "request\x00"+state), Email: email, Error: msg}
	if state != "" {
		d.Action += "?state=" + url.QueryEscape(state)
		d.LoginURL = loginPath + "?state=" + url.QueryEscape(state)
	}
	return d
}

// requestPage is GET /u/reset-password[?state=<login transaction>].
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request) {
	state := cleanState(r.URL.Query().Get("state"))
	h.render(w, r, http.StatusOK, web.PageResetRequest, h.requestData(w, r, state, "", ""))
}

// requestSubmit is the request form's POST: the same "check your email" page for every valid address.
func (h *Handler) requestSubmit(w http.ResponseWriter, r *http.Request) {
	state := cleanState(r.PostForm.Get("state"))
	raw := strings.TrimSpace(r.PostForm.Get("email"))
	if !h.csrfValid(r, "request\x00"+state) {
		h.render(w, r, http.StatusForbidden, web.PageResetRequest, h.requestData(w, r, state, raw, msgFormExpired))
		return
	}
	if domain.CheckEmailAddress(raw) != nil || !strings.Contains(raw, "@") || strings.ContainsAny(raw, "<>") {
		h.render(w, r, http.StatusBadRequest, web.PageResetRequest, h.requestData(w, r, state, raw, msgInvalidEmail))
		return
	}
	if err := h.requestReset(r, domain.NormalizeEmail(raw), "", state); err != nil {
		h.internalError(w, r, err)
		return
	}
	life := domain.ResetMailLifetime
	if _, l, err := h.resetTemplate(r.Context()); err == nil {
		life = l
	}
	d := web.ResetNoticeData{Heading: "Check your email",
		Paragraphs: []string{
			"If " + raw + " belongs to an account, we've sent it a link to reset your password.",
			"The link expires in " + mailtemplate.HumanDuration(life) + ". If nothing arrives in a few minutes, check your spam folder or try again.",
		}}
	if state != "" {
		d.LinkURL, d.LinkText = loginPath+"?state="+url.QueryEscape(state), "Back to log in"
	}
	h.notice(w, r, http.StatusOK, d)
}

// changePassword is POST /dbconnections/change_password ({client_id, email, connection}, JSON or
// form), auth0-js's changePassword. Auth0 answers 200 with a plain-text sentence, the same for an
// unknown address.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	p, perr := protocol.ParseBody(r)
	if perr != nil {
		protocol.WriteJSON(w, perr)
		return
	}
	ctx := r.Context()
	email, connection, clientID := strings.TrimSpace(p["email"]), p["connection"], p["client_id"]
	switch {
	case email == "":
		protocol.WriteJSON(w, protocol.InvalidRequest("email is required"))
		return
	case connection == "":
		protocol.WriteJSON(w, protocol.InvalidRequest("connection is required"))
		return
	case connection != domain.DefaultConnection:
		protocol.WriteJSON(w, protocol.InvalidRequest("connection not found"))
		return
	case domain.CheckEmailAddress(email) != nil || !strings.Contains(email, "@") || strings.ContainsAny(email, "<>"):
		protocol.WriteJSON(w, protocol.InvalidRequest("email is not valid"))
		return
	}
	// Each request targets an account, as a sign-in does: it counts in the address's pre-login
	// bucket, so one address cannot send reset mail to every account of the tenant.
	if v, err := h.o.Throttle.Attempt(ctx, guard.PreLogin, httpserver.ClientIP(ctx).String()); err != nil {
		h.o.Logger.WarnContext(ctx, "suspicious IP throttling not counted", "err", err)
	} else if v.Throttled {
		if v.Logs {
			h.o.Audit.Record(ctx, domain.LogEvent{Type: audit.TypeBlockedIP, IP: httpserver.ClientIP(ctx).String(), ClientID: clientID,
				Description: "Suspicious IP throttling: too many password change requests from this address"})
		}
		if !v.Allowed {
			e := protocol.NewError(http.StatusTooManyRequests, "too_many_attempts", guard.MsgSuspiciousIP)
			e.RetryAfter = v.RetryAfter
			protocol.WriteJSON(w, e)
			return
		}
	}
	if clientID != "" {
		client, err := h.o.Store.GetClient(ctx, clientID)
		if errors.Is(err, store.ErrNotFound) {
			protocol.WriteJSON(w, &protocol.Error{Status: http.StatusUnauthorized, Code: "unauthorized_client", Description: "Unknown client."})
			return
		} else if err != nil {
			protocol.WriteJSON(w, &protocol.Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "The request could not be completed.", Cause: err})
			return
		}
		protocol.AllowOrigin(w, r, client)
	}
	if err := h.requestReset(r, domain.NormalizeEmail(email), clientID, ""); err != nil {
		h.o.Logger.ErrorContext(ctx, "password reset request failed", "err", err)
		protocol.WriteJSON(w, &protocol.Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "The request could not be completed."})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(MsgSent))
}

// auth0-js calls /dbconnections/change_password from the application's page with fetch. The
// preflight and the answer follow the shared rule (protocol/cors.go): allowed only for an origin a
// client registers, and the answer itself readable only from an origin of the client it names.
func (h *Handler) changePasswordPreflight(w http.ResponseWriter, r *http.Request) {
	if err := protocol.Preflight(w, r, h.o.KnownOrigins, http.MethodPost); err != nil {
		h.o.Logger.ErrorContext(r.Context(), "preflight: client origins", "err", err)
	}
}

// MaxLiveResetLinks caps the reset links a user holds at once (unused, unexpired): a stranger
// who knows an address cannot fill its inbox. A reset spends them all.
const MaxLiveResetLinks = 5

// requestReset issues a reset ticket and queues its mail in one transaction when email names a
// database user with a password and fewer than MaxLiveResetLinks live links. For any other
// address it does the same work short of the write (a ticket secret, the rendered mail) and
// queues nothing; both then wait out the request floor.
func (h *Handler) requestReset(r *http.Request, email, clientID, state string) error {
	start := time.Now()
	ctx := r.Context()
	defer h.waitFloor(ctx, start)
	// A database account linked to another user is found too: its reset changes its own password,
	// kept with its identity (the ticket names it), and the mail goes to its address.
	login, err := store.FindDatabaseLoginByEmail(ctx, h.o.Store, domain.DefaultConnection, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("reset request: user: %w", err)
	}
	var user *domain.User
	identity := ""
	if login != nil {
		user = login.User
		if login.Linked != nil {
			user, identity = domain.UserFromProfileData(login.Linked), login.Linked.FullID()
			user.UserID = login.User.UserID
		}
	}
	secret, hash := domain.NewTicket()
	now := h.o.Now().UTC()
	tpl, life, err := h.resetTemplate(ctx)
	if err != nil {
		return err
	}
	recipient := user
	if recipient == nil {
		recipient = &domain.User{Email: email}
	}
	m, err := h.renderReset(ctx, tpl, life, recipient, clientID, secret)
	if err != nil {
		return err
	}
	if login == nil || login.PasswordHash == "" {
		h.record(r, audit.TypeChangePasswordRequestFailed, "User does not exist.", clientID, &domain.User{Email: email})
		return nil
	}
	live, err := h.o.Store.CountLiveTickets(ctx, user.UserID, domain.TicketPasswordReset, now)
	if err != nil {
		return fmt.Errorf("reset request: count links: %w", err)
	}
	if live >= MaxLiveResetLinks {
		h.record(r, audit.TypeChangePasswordRequestFailed, "Too many password reset links in flight", clientID, user)
		return nil
	}
	if !tpl.Enabled {
		h.record(r, audit.TypeChangePasswordRequestFailed, "The reset_email template is disabled", clientID, user)
		return nil
	}
	m.UserID, m.ClientID = user.UserID, clientID
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketPasswordReset, UserID: user.UserID, CreatedAt: now,
		ExpiresAt: now.Add(life), ClientID: clientID, LoginState: state, ResultURL: tpl.ResultURL,
		IncludeEmail: tpl.ResultURL != "" && tpl.IncludeEmailInRedirect, Identity: identity}
	err = h.o.Store.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTicket(ctx, t); err != nil {
			return err
		}
		return tx.EnqueueEmail(ctx, m)
	})
	if err != nil {
		return fmt.Errorf("reset request: queue: %w", err)
	}
	h.o.Kick()
	h.record(r, audit.TypeChangePasswordRequest, "Password reset email queued", clientID, user)
	return nil
}

func (h *Handler) waitFloor(ctx context.Context, start time.Time) {
	if h.o.RequestFloor <= 0 {
		return
	}
	if rest := h.o.RequestFloor - time.Since(start); rest > 0 {
		h.o.Sleep(ctx, rest)
	}
}
