package emailverify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// Options are the dependencies of email verification.
type Options struct {
	Issuer string
	Store  store.Store
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
	Pages  *web.Pages
	// Kick wakes the mail worker after a mail is queued; nil leaves it to its next poll.
	Kick func()
}

// Handler serves the verification link and queues verification and welcome mail.
type Handler struct {
	o    Options
	mail *mailtemplate.Renderer
}

// New checks the options and returns the handler.
func New(o Options) (*Handler, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("emailverify: issuer %q is not an absolute http(s) URL", o.Issuer)
	}
	if o.Store == nil || o.Pages == nil {
		return nil, errors.New("emailverify: a store and pages are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	return &Handler{o: o, mail: mailtemplate.New(o.Store, o.Issuer)}, nil
}

// Kick wakes the mail worker (after a caller's transaction that queued mail has committed).
func (h *Handler) Kick() { h.o.Kick() }

// Mount registers the verification page.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+domain.EmailVerificationPath, h.verify)
}

// Messages of the result_url redirect, as Auth0 words them.
const (
	msgVerified    = "Your email was verified. You can continue using the application."
	msgAlreadyUsed = "This URL can be used only once"
	msgExpired     = "Access expired."
)

const secretLen = 43 // base64url of 32 bytes

var (
	errInvalid        = errors.New("verification ticket is not valid")
	errAddressChanged = errors.New("the user's email address changed since the link was sent")
)

// verify is GET /u/email-verification?ticket=…: the ticket is redeemed, the address marked
// verified and the user sent on. A HEAD request (a mail scanner checking the link) changes nothing.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx := r.Context()
	secret := r.URL.Query().Get("ticket")
	var t *domain.Ticket
	if len(secret) == secretLen {
		got, err := h.o.Store.GetTicket(ctx, domain.HashSecret(secret))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			h.internalError(w, r, err)
			return
		case got.Kind == domain.TicketEmailVerification:
			t = got
		}
	}
	now := h.o.Now().UTC()
	switch {
	case t == nil:
		h.record(r, audit.TypeVerificationEmailFailed, "Invalid email verification link", nil, nil)
		h.page(w, r, http.StatusBadRequest, invalidLink())
		return
	case t.UsedAt != nil:
		h.refuse(w, r, t, "already-used", msgAlreadyUsed, "Email verification link already used")
		return
	case !t.Usable(now):
		h.refuse(w, r, t, "expired", msgExpired, "Email verification link expired")
		return
	}
	var (
		user    *domain.User
		client  *domain.Client
		welcome bool
	)
	err := h.o.Store.WithTx(ctx, func(tx store.Store) error {
		red, err := tx.RedeemTicket(ctx, t.Hash, domain.TicketEmailVerification, now)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyUsed) {
			return errInvalid
		}
		if err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, red.UserID)
		if err != nil {
			return err
		}
		if red.Email != "" && domain.NormalizeEmail(u.Email) != domain.NormalizeEmail(red.Email) {
			return errAddressChanged
		}
		wasVerified := u.EmailVerified
		u.EmailVerified = true
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SpendUserTickets(ctx, u.UserID, domain.TicketEmailVerification, now); err != nil {
			return err
		}
		user = u
		if red.ClientID != "" {
			if client, err = tx.GetClient(ctx, red.ClientID); errors.Is(err, store.ErrNotFound) {
				client = nil
			} else if err != nil {
				return err
			}
		}
		if !wasVerified {
			welcome, err = h.queueWelcome(ctx, tx, u, client)
			return err
		}
		return nil
	})
	switch {
	case errors.Is(err, errInvalid):
		h.refuse(w, r, t, "already-used", msgAlreadyUsed, "Email verification link already used")
		return
	case errors.Is(err, errAddressChanged):
		h.record(r, audit.TypeVerificationEmailFailed, "The email address changed since the link was sent", t, nil)
		h.page(w, r, http.StatusBadRequest, invalidLink())
		return
	case err != nil:
		h.record(r, audit.TypeVerificationEmailFailed, "Email not verified", t, nil)
		h.internalError(w, r, err)
		return
	}
	if welcome {
		h.o.Kick()
	}
	h.record(r, audit.TypeVerificationEmail, "Email verified", t, user)
	if t.ResultURL != "" {
		q := url.Values{"supportSignUp": {"true"}, "supportForgotPassword": {"true"}, "message": {msgVerified},
			"success": {"true"}, "code": {"success"}}
		if t.IncludeEmail {
			q.Set("email", user.Email)
		}
		http.Redirect(w, r, appendQuery(t.ResultURL, q), http.StatusFound)
		return
	}
	d := web.EmailVerificationData{Heading: "Email verified", Email: user.Email,
		Paragraphs: []string{"Thank you: your email address is verified.", "You can close this window and continue using the application."}}
	// Auth0 offers the application's login route when the ticket names an application.
	if client != nil && client.InitiateLoginURI != "" {
		d.Paragraphs[1] = "You can continue to " + client.Name + "."
		d.LinkURL, d.LinkText = client.InitiateLoginURI, "Continue to "+client.Name
	}
	h.page(w, r, http.StatusOK, d)
}

// refuse answers a ticket that was good once: to its result_url with Auth0's failure parameters,
// else with the hosted page. Either way nothing changes and `fv` is logged.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, t *domain.Ticket, code, message, reason string) {
	h.record(r, audit.TypeVerificationEmailFailed, reason, t, nil)
	if t.ResultURL != "" {
		http.Redirect(w, r, appendQuery(t.ResultURL, url.Values{"success": {"false"}, "code": {code}, "message": {message}}), http.StatusFound)
		return
	}
	d := invalidLink()
	if code == "already-used" {
		d.Heading = "This link has already been used"
		d.Paragraphs = []string{"Each verification link works once. If you opened it before, your address is already verified.",
			"Otherwise, sign in to the application and ask for a new verification email."}
	}
	h.page(w, r, http.StatusBadRequest, d)
}

func invalidLink() web.EmailVerificationData {
	return web.EmailVerificationData{Heading: "This link is no longer valid", Problem: true,
		Paragraphs: []string{"The verification link has expired, has already been used, or is incomplete.",
			"Your email address has not been verified. Sign in to the application to ask for a new link."}}
}

func appendQuery(target string, add url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	for k, v := range add {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, status int, d web.EmailVerificationData) {
	d.Base = h.base(r)
	if err := h.o.Pages.Render(w, status, web.PageEmailVerification, d); err != nil {
		h.o.Logger.ErrorContext(r.Context(), "page not rendered", "page", web.PageEmailVerification, "err", err)
	}
}

func (h *Handler) base(r *http.Request) web.Base {
	name := "Gatehouse"
	if s, err := h.o.Store.GetTenantSettings(r.Context()); err == nil && s.FriendlyName != "" {
		name = s.FriendlyName
	}
	return web.Base{Tenant: name}
}

func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.o.Logger.ErrorContext(r.Context(), "email verification failed", "err", err)
	h.page(w, r, http.StatusInternalServerError, web.EmailVerificationData{Heading: "Something went wrong.", Problem: true,
		Paragraphs: []string{"Your email address could not be verified just now. Please try the link again later."}})
}

func (h *Handler) record(r *http.Request, typ, description string, t *domain.Ticket, u *domain.User) {
	if h.o.Audit == nil {
		return
	}
	e := domain.LogEvent{Type: typ, Description: description, IP: httpserver.ClientIP(r.Context()).String(),
		UserAgent: r.UserAgent(), Hostname: r.Host, Connection: domain.DefaultConnection}
	if t != nil {
		e.UserID, e.ClientID, e.UserName = t.UserID, t.ClientID, t.Email
	}
	if u != nil {
		e.UserID, e.UserName = u.UserID, u.Email
	}
	h.o.Audit.Record(r.Context(), e)
}
