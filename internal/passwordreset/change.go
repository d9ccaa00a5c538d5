package passwordreset

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

const msgMismatch = "The passwords do not match."

// errTicketInvalid: the ticket is unknown, used, expired or of another kind.
var errTicketInvalid = errors.New("reset ticket is not valid")

// invalidLink is the one page for a tampered, replayed or expired link: nothing says which.
func invalidLink() web.ResetNoticeData {
	return web.ResetNoticeData{Heading: "This link is no longer valid", Problem: true,
		Paragraphs: []string{
			"The password reset link has expired, has already been used, or is incomplete.",
			"Your password has not been changed. You can ask for a new link.",
		},
		LinkURL: domain.ResetPasswordPath, LinkText: "Request a new link"}
}

// liveTicket returns the usable reset ticket for secret and its user, or errTicketInvalid.
func (h *Handler) liveTicket(r *http.Request, secret string) (*domain.Ticket, *domain.User, error) {
	return h.liveTicketOf(r, secret, domain.TicketPasswordReset)
}

// liveTicketOf returns the usable ticket of kind for secret and its user, or errTicketInvalid.
func (h *Handler) liveTicketOf(r *http.Request, secret, kind string) (*domain.Ticket, *domain.User, error) {
	if len(secret) != secretLen {
		return nil, nil, errTicketInvalid
	}
	ctx := r.Context()
	t, err := h.o.Store.GetTicket(ctx, domain.HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errTicketInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if t.Kind != kind || !t.Usable(h.o.Now()) {
		return t, nil, errTicketInvalid
	}
	u, err := h.o.Store.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return t, nil, errTicketInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if t.Identity != "" {
		ident, err := linkedAccount(ctx, h.o.Store, t)
		if err != nil {
			return t, nil, err
		}
		// The primary user, as the linked account's address, username, connection (its password
		// policy) and password show it: Actions and the log name the primary.
		shown := *u
		acct := domain.UserFromProfileData(ident)
		shown.Email, shown.Username, shown.Connection, shown.PasswordHash = acct.Email, acct.Username, acct.Connection, acct.PasswordHash
		u = &shown
	}
	return t, u, nil
}

// linkedAccount is the database account a reset ticket names, still linked to the ticket's user
// with its password; a ticket whose account was unlinked since is invalid.
func linkedAccount(ctx context.Context, st store.Store, t *domain.Ticket) (*domain.UserIdentity, error) {
	provider, id, ok := domain.SplitUserID(t.Identity)
	if !ok {
		return nil, errTicketInvalid
	}
	ident, err := st.GetIdentity(ctx, provider, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errTicketInvalid
	}
	if err != nil {
		return nil, err
	}
	if ident.OwnerID != t.UserID || ident.Provider != domain.StrategyAuth0 || ident.Password == nil {
		return nil, errTicketInvalid
	}
	return ident, nil
}

func (h *Handler) passwordData(w http.ResponseWriter, r *http.Request, secret string, u *domain.User, policy *passwordpolicy.Policy,
	msg string, rep *passwordpolicy.Report) web.ResetPasswordData {
	d := web.ResetPasswordData{Base: h.base(r.Context()), Action: domain.ResetPasswordPath, Ticket: secret,
		CSRF: csrfToken(h.ensureFormSecret(w, r), "change\x00"+secret), Email: u.Email, Error: msg,
		PasswordPolicy: "Your password must meet these rules:"}
	for _, l := range policy.Lines(rep) {
		d.PolicyRules = append(d.PolicyRules, web.PolicyRule{Text: l.Text, Nested: l.Depth > 0, Checked: l.Checked, Met: l.Met})
	}
	return d
}

// policyFor is the password policy of the user's database connection.
func (h *Handler) policyFor(ctx context.Context, u *domain.User) (*passwordpolicy.Policy, error) {
	conn, err := h.o.Store.GetConnectionByName(ctx, u.Connection)
	if err != nil {
		return nil, fmt.Errorf("reset: connection: %w", err)
	}
	return passwordpolicy.New(conn.Options), nil
}

// refuse shows the invalid-link page and logs `fcp`.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, t *domain.Ticket, reason string) {
	var u *domain.User
	client := ""
	if t != nil {
		u, client = &domain.User{UserID: t.UserID}, t.ClientID
	}
	h.record(r, audit.TypeChangePasswordFailed, reason, client, u)
	h.notice(w, r, http.StatusBadRequest, invalidLink())
}

// newPasswordPage is GET /u/reset-password?ticket=…: the form, without spending the ticket.
func (h *Handler) newPasswordPage(w http.ResponseWriter, r *http.Request, secret string) {
	t, u, err := h.liveTicket(r, secret)
	if errors.Is(err, errTicketInvalid) {
		h.refuse(w, r, t, "Invalid or expired password reset link")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !h.postChallenge(w, r, t, u, secret) || !h.requireMFA(w, r, t, u, secret) {
		return
	}
	policy, err := h.policyFor(r.Context(), u)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.PageResetPassword, h.passwordData(w, r, secret, u, policy, "", nil))
}

// newPasswordSubmit is the new-password form's POST. The ticket is checked before anything else,
// the password against the policy before the ticket is spent (a weak password costs the user
// nothing), and then, in one transaction: the ticket redeemed, the new hash saved, the user's
// refresh tokens revoked, sessions ended and other reset links spent.
func (h *Handler) newPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	secret := r.PostForm.Get("ticket")
	t, u, err := h.liveTicket(r, secret)
	if errors.Is(err, errTicketInvalid) {
		h.refuse(w, r, t, "Invalid or expired password reset link")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	policy, err := h.policyFor(r.Context(), u)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !h.csrfValid(r, "change\x00"+secret) {
		h.render(w, r, http.StatusForbidden, web.PageResetPassword, h.passwordData(w, r, secret, u, policy, msgFormExpired, nil))
		return
	}
	if !h.postChallenge(w, r, t, u, secret) || !h.requireMFA(w, r, t, u, secret) {
		return
	}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	v, err := policy.CheckChange(r.Context(), pw, u, h.o.Store, h.o.Hasher)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if v != nil {
		h.record(r, audit.TypeChangePasswordFailed, v.Error(), t.ClientID, u)
		h.render(w, r, http.StatusBadRequest, web.PageResetPassword, h.passwordData(w, r, secret, u, policy, v.PageMessage(), v.Report))
		return
	}
	if pw != confirm {
		h.render(w, r, http.StatusBadRequest, web.PageResetPassword, h.passwordData(w, r, secret, u, policy, msgMismatch, nil))
		return
	}
	if leak, err := h.o.Policy.BreachedAt(r.Context(), guard.StagePreChangePassword, pw); err != nil {
		h.o.Logger.WarnContext(r.Context(), "breached password detection not checked", "err", err)
	} else if leak.Detected {
		h.record(r, audit.TypeResetPasswordLeaked, "Breached password chosen as the new password", t.ClientID, u)
		if leak.Block {
			h.render(w, r, http.StatusBadRequest, web.PageResetPassword, h.passwordData(w, r, secret, u, policy, guard.MsgChoosePasswordLeaked, nil))
			return
		}
	}
	hash, err := h.o.Hasher.Hash(pw)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	ctx := r.Context()
	now := h.o.Now().UTC()
	logouts := 0
	err = h.o.Store.WithTx(ctx, func(tx store.Store) error {
		red, err := tx.RedeemTicket(ctx, t.Hash, domain.TicketPasswordReset, now)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyUsed) {
			return errTicketInvalid
		}
		if err != nil {
			return err
		}
		user, err := tx.GetUser(ctx, red.UserID)
		if err != nil {
			return err
		}
		if red.Identity != "" {
			// A linked database account's password, kept with its identity. Its password
			// history is not kept (it has no user row to keep it under).
			ident, err := linkedAccount(ctx, tx, red)
			if err != nil {
				return err
			}
			ident.Password.Hash, ident.Password.LastPasswordReset = hash, &now
			if red.MarkEmailVerified && ident.ProfileData != nil {
				ident.ProfileData["email_verified"] = true
			}
			if err := tx.PutIdentity(ctx, ident); err != nil {
				return err
			}
		} else {
			user.PasswordHash, user.LastPasswordReset = hash, &now
			if red.MarkEmailVerified {
				user.EmailVerified = true
			}
			if err := tx.UpdateUser(ctx, user); err != nil {
				return err
			}
			if err := policy.Remember(ctx, tx, user.UserID, hash, now); err != nil {
				return err
			}
			u = user
		}
		if err := tx.RevokeUserRefreshTokens(ctx, user.UserID, now); err != nil {
			return err
		}
		// As Auth0 with "end sessions on password change": every session ends, and each app the
		// user signed in to through one hears it by back-channel logout (password-changed).
		n, err := store.EndUserSessions(ctx, tx, user.UserID, domain.LogoutInitiatorPasswordChange)
		if err != nil {
			return err
		}
		logouts = n
		return tx.SpendUserTickets(ctx, user.UserID, domain.TicketPasswordReset, now)
	})
	if errors.Is(err, errTicketInvalid) {
		h.refuse(w, r, t, "Password reset link already used")
		return
	}
	if err != nil {
		h.record(r, audit.TypeChangePasswordFailed, "Password not changed", t.ClientID, u)
		h.internalError(w, r, fmt.Errorf("reset: change password: %w", err))
		return
	}
	if logouts > 0 && h.o.KickBackchannel != nil {
		h.o.KickBackchannel()
	}
	ids, err := store.LoginIdentifiers(r.Context(), h.o.Store, u)
	if err != nil {
		h.o.Logger.WarnContext(r.Context(), "brute-force blocks not lifted after a reset", "err", err)
	}
	for _, id := range ids {
		if err := h.o.Unblock(r.Context(), id.Identifier); err != nil {
			// The password changed; the block ends on its own when BlockFor has passed.
			h.o.Logger.WarnContext(r.Context(), "brute-force block not lifted after a reset", "err", err)
		}
	}
	h.record(r, audit.TypeChangePassword, "Password changed through a reset link", t.ClientID, u)
	h.postChangePassword(r, u)
	h.notice(w, r, http.StatusOK, h.doneData(t, u))
}

// doneData says the password changed and offers the way on: the ticket's result_url, else the
// login the user left.
func (h *Handler) doneData(t *domain.Ticket, u *domain.User) web.ResetNoticeData {
	d := web.ResetNoticeData{Heading: "Password changed",
		Paragraphs: []string{"Your password has been changed, and you have been signed out everywhere.",
			"Log in again with your new password."}}
	switch {
	case t.ResultURL != "":
		target := t.ResultURL
		if t.IncludeEmail {
			target = appendQuery(target, "email", u.Email)
		}
		d.LinkURL, d.LinkText = target, "Continue"
	case t.LoginState != "":
		d.LinkURL, d.LinkText = loginPath+"?state="+url.QueryEscape(t.LoginState), "Back to log in"
	default:
		d.Paragraphs[1] = "You can close this window and log in again with your new password."
	}
	return d
}

func appendQuery(target, k, v string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
